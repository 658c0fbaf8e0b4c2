import { DataSource, type EntityManager } from 'typeorm';

/**
 * The rows a statement answers (RETURNING, SELECT), on the pool or inside a transaction. TypeORM's
 * plain query() answers UPDATE/DELETE with [rows, count] but INSERT/SELECT with rows; guarded
 * writes need the rows either way, so this asks the query runner for the structured result.
 */
export async function rowsOf<T = Record<string, unknown>>(db: DataSource | EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const pooled = db instanceof DataSource;
  const runner = pooled ? db.createQueryRunner() : db.queryRunner;
  if (!runner) throw new Error('rowsOf needs a DataSource or the EntityManager of a transaction');
  try {
    const result = await runner.query(sql, params, true);
    return (result.records ?? []) as T[];
  } finally {
    if (pooled) await runner.release();
  }
}
