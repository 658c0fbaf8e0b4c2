import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/** A statement PostgreSQL parses and plans once per connection (pg's named prepared statements). */
export interface PreparedStatement {
  /** Unique per text in the process: pg keeps one prepared statement per name on each connection. */
  name: string;
  text: string;
}

/** The data source's pg pool, for what TypeORM's query runner cannot do (prepared statements, array rows). */
export const connectionPoolOf = (db: DataSource): Pool => (db.driver as PostgresDriver).master as Pool;

/**
 * Runs a prepared statement on the data source's pool, outside TypeORM's query path (query
 * runner, parameter rewriting, logging hooks): for the hot reads every request makes, where that
 * path cost more CPU than the statement. Still counted (the pool's clients count statements) and
 * still traced (pg instrumentation); errors are pg's, which the availability mapping knows.
 */
export async function preparedRows<T>(db: DataSource, statement: PreparedStatement, values: unknown[]): Promise<T[]> {
  const result = await connectionPoolOf(db).query({ name: statement.name, text: statement.text, values });
  return result.rows as T[];
}
