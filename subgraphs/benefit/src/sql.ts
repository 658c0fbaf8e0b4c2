import type { EntityManager } from 'typeorm';

/**
 * Rows of a statement run inside a transaction. TypeORM answers UPDATE/DELETE with
 * [rows, count] but INSERT/SELECT with rows; the guarded writes here need the rows either way.
 */
export async function rowsOf<T = Record<string, unknown>>(tx: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const result = await tx.queryRunner!.query(sql, params, true);
  return (result.records ?? []) as T[];
}
