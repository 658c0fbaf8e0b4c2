import DataLoader from 'dataloader';

/**
 * A DataLoader over one `WHERE key = ANY($1)` query: one statement per batch, answers in the
 * order of the keys, null for keys with no row.
 */
export function keyedLoader<K, V>(fetch: (keys: readonly K[]) => Promise<V[]>, keyOf: (row: V) => K): DataLoader<K, V | null> {
  return new DataLoader<K, V | null>(async (keys) => {
    const rows = await fetch(keys);
    const byKey = new Map(rows.map((row) => [keyOf(row), row]));
    return keys.map((key) => byKey.get(key) ?? null);
  });
}

/** Like keyedLoader, for one-to-many: every key gets the (possibly empty) list of its rows. */
export function groupedLoader<K, V>(fetch: (keys: readonly K[]) => Promise<V[]>, keyOf: (row: V) => K): DataLoader<K, V[]> {
  return new DataLoader<K, V[]>(async (keys) => {
    const rows = await fetch(keys);
    const groups = new Map<K, V[]>();
    for (const row of rows) {
      const key = keyOf(row);
      const list = groups.get(key);
      if (list) list.push(row);
      else groups.set(key, [row]);
    }
    return keys.map((key) => groups.get(key) ?? []);
  });
}

/** What runs a named statement: the pg Pool under a TypeORM DataSource (or a test double of it). */
interface NamedStatementRunner {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: Array<Record<string, unknown>> }>;
}

/**
 * Rows of a named (prepared) statement, sent on the pg pool under a TypeORM DataSource.
 *
 * For the hot per-request reads (a member by id, an organization by id): PostgreSQL parses and
 * plans a named statement once per connection instead of once per call, and the call skips
 * TypeORM's query runner (its own connection bookkeeping, logging hooks and result wrapping),
 * which cost more CPU than the statement itself. `name` must be unique per distinct `text`.
 */
export async function namedStatementRows(
  db: { driver: unknown; query(text: string, values?: unknown[]): Promise<unknown> },
  name: string,
  text: string,
  values: unknown[],
): Promise<Array<Record<string, unknown>>> {
  const pool = (db.driver as { master?: NamedStatementRunner }).master;
  // Not initialized through the postgres driver (never in the services): TypeORM's path still works.
  if (!pool || typeof pool.query !== 'function') return (await db.query(text, values)) as Array<Record<string, unknown>>;
  return (await pool.query({ name, text, values })).rows;
}
