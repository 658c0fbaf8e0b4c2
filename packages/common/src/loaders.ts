import DataLoader from 'dataloader';
import type { CoalescedLookup } from './coalesced-lookup';

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

/**
 * A per-request loader whose batches go out together with those the process's other requests ask
 * for in the same turn of the event loop: one statement for all of them (`lookup` is shared by the
 * process, one per statement). Rows are read per request and mapped per request, so no request
 * sees another's objects; the loader still remembers its own answers for its request only. Only
 * for reads whose rows do not depend on the caller: what a caller may see is decided after.
 * `idOf` names a key in the lookup (identity for string keys).
 */
export function coalescedLoader<K, V, R extends { id: string }>(
  lookup: CoalescedLookup<R>,
  fromRow: (row: R) => V,
  idOf: (key: K) => string = String,
): DataLoader<K, V | null, string> {
  return new DataLoader<K, V | null, string>(
    async (keys) => {
      const ids = keys.map(idOf);
      const rows = await lookup.get(ids);
      return ids.map((id) => {
        const row = rows.get(id);
        return row === undefined ? null : fromRow(row);
      });
    },
    { cacheKeyFn: idOf },
  );
}
