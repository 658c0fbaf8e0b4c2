import type { DataSource, QueryRunner } from 'typeorm';

/** Rows of any statement (UPDATE ... RETURNING included) on the pool or on a transaction's runner. */
export async function rowsOf<T = Record<string, unknown>>(db: DataSource | QueryRunner, sql: string, params: unknown[] = []): Promise<T[]> {
  const pooled = !('isTransactionActive' in db);
  const runner = pooled ? (db as DataSource).createQueryRunner() : (db as QueryRunner);
  try {
    const result = await runner.query(sql, params, true);
    return (result.records ?? []) as T[];
  } finally {
    if (pooled) await runner.release();
  }
}

/** pg-boss's `db` option over a transaction's runner: its job inserts commit or roll back with our rows. */
export const jobDb = (runner: QueryRunner) => ({
  executeSql: async (text: string, values: unknown[]) => ({ rows: await rowsOf(runner, text, values) }),
});
