import DataLoader from 'dataloader';
import { CoalescedLookup, coalescedLoader, keyedLoader, perDataSource, preparedRows, type PreparedStatement } from '@union/common';
import { escapeLiteral } from 'pg';
import type { DataSource } from 'typeorm';
import { MemberEntity } from './member.entity';

/** A member filter already checked and normalized by the service (see member.service.ts). */
export interface MemberQuery {
  status?: string;
  realNameVerified?: boolean;
  newEmploymentForm?: boolean;
  /** Instants (inclusive lower, exclusive upper bound) computed from the Asia/Shanghai dates. */
  joinedFrom?: string;
  joinedBefore?: string;
  cardNumber?: string;
  namePrefix?: string;
  /** ISO instant: updated_at at or after it (members_changed_idx). */
  changedSince?: string;
}

export interface MemberPageKey {
  /** Materialized path of the organization whose subtree is listed. */
  path: string;
  query: MemberQuery;
  limit: number;
  after: [string, string] | null;
}

/** First string that sorts after every path starting with `path` ('/1/5/' -> '/1/50'; '0' follows '/'). */
export const subtreeUpperBound = (path: string) => `${path.slice(0, -1)}0`;

/** The columns memberFromRow reads (never id_number_hash). */
const MEMBER_COLUMN_NAMES = [
  'id',
  'organization_id',
  'org_path',
  'full_name',
  'id_number_last4',
  'phone',
  'card_number',
  'status',
  'real_name_verified',
  'new_employment_form',
  'joined_at',
  'updated_at',
] as const;

/** The select list for memberFromRow, qualified by `alias` when given. */
export const memberColumns = (alias?: string): string => MEMBER_COLUMN_NAMES.map((c) => (alias ? `${alias}.${c}` : c)).join(', ');

const MEMBER_COLUMNS = memberColumns('m');
/** The most members one shared read carries (a partner's list asks for at most a few hundred). */
const MEMBERS_BY_ID_MAX = 1_000;
const MEMBERS_BY_ID: PreparedStatement = { name: 'member_members_by_id', text: `SELECT ${MEMBER_COLUMNS} FROM members m WHERE m.id = ANY($1::uuid[])` };

/**
 * SQL conditions for a member query. Parameters start at `offset`; values are shared by every
 * key of a batch (keys are grouped by query before batching).
 */
export function filterSql(query: MemberQuery, offset: number): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const sql = filterConditions(query, (value) => {
    params.push(value);
    return `$${offset + params.length}`;
  });
  return { sql, params };
}

/**
 * The same conditions with their values written into the SQL as literals, for the one statement
 * that takes no parameters: COPY (see the member export). Strings go through pg's escapeLiteral.
 */
export function filterSqlWithLiterals(query: MemberQuery): string {
  return filterConditions(query, (value) => (typeof value === 'boolean' ? String(value) : escapeLiteral(value)));
}

function filterConditions(query: MemberQuery, place: (value: string | boolean) => string): string {
  const conditions: string[] = [];
  const add = (condition: (p: string) => string, value: string | boolean) => conditions.push(condition(place(value)));
  if (query.status !== undefined) add((p) => `m.status = ${p}`, query.status);
  if (query.realNameVerified !== undefined) add((p) => `m.real_name_verified = ${p}`, query.realNameVerified);
  if (query.newEmploymentForm !== undefined) add((p) => `m.new_employment_form = ${p}`, query.newEmploymentForm);
  if (query.joinedFrom !== undefined) add((p) => `m.joined_at >= ${p}::timestamptz`, query.joinedFrom);
  if (query.joinedBefore !== undefined) add((p) => `m.joined_at < ${p}::timestamptz`, query.joinedBefore);
  if (query.cardNumber !== undefined) add((p) => `m.card_number = ${p}`, query.cardNumber);
  if (query.changedSince !== undefined) add((p) => `m.updated_at >= ${p}::timestamptz`, query.changedSince);
  if (query.namePrefix !== undefined) {
    add((p) => `m.full_name COLLATE "C" >= ${p}`, query.namePrefix);
    add((p) => `m.full_name COLLATE "C" < ${p}`, `${query.namePrefix}\u{10FFFF}`);
  }
  return conditions.map((c) => ` AND ${c}`).join('');
}

/** The members columns a query's conditions read. */
function filterColumns(query: MemberQuery): string[] {
  const columns: string[] = [];
  if (query.status !== undefined) columns.push('status');
  if (query.realNameVerified !== undefined) columns.push('real_name_verified');
  if (query.newEmploymentForm !== undefined) columns.push('new_employment_form');
  if (query.joinedFrom !== undefined || query.joinedBefore !== undefined) columns.push('joined_at');
  if (query.cardNumber !== undefined) columns.push('card_number');
  if (query.changedSince !== undefined) columns.push('updated_at');
  if (query.namePrefix !== undefined) columns.push('full_name');
  return columns;
}

/**
 * How a filtered totalCount that no counter answers is bounded (MemberConnection.totalCountIsExact):
 * it counts the matches among the first `window` members of the subtree in list order, and stops at
 * `cap` + 1 matches. The window is large where members_subtree_idx holds every column the filter
 * reads (an index-only scan: at 15 million members on the loaded 2-core bench machine, 200,000
 * entries took 0.3 s, 1,000,000 took 0.55-0.9 s, too long for the 200 ms budget) and small where
 * each member's row must be read (name prefix, changedSince). The statement timeout is the backstop.
 */
export const BOUNDED_COUNT = {
  cap: 10_000,
  indexWindow: 100_000,
  rowWindow: 20_000,
  statementTimeoutMs: 500,
} as const;

/** The columns members_subtree_idx carries (migration MemberSubtreeCovering1767000016000). */
const COVERED = new Set(['status', 'real_name_verified', 'new_employment_form', 'joined_at']);

/** The window of a bounded count for this filter. */
export const boundedCountWindow = (query: MemberQuery): number =>
  filterColumns(query).every((c) => COVERED.has(c)) ? BOUNDED_COUNT.indexWindow : BOUNDED_COUNT.rowWindow;

/**
 * The bounded count of a filter over many subtrees ($1: their paths): per subtree, the matches
 * among its first `window` members in list order, counted up to cap + 1.
 */
export function boundedCountSql(query: MemberQuery): { sql: string; params: (paths: string[]) => unknown[] } {
  const filter = filterSql(query, 3);
  const columns =
    filterColumns(query)
      .map((c) => `m.${c}`)
      .join(', ') || 'm.id';
  return {
    sql: `SELECT q.idx,
                 (SELECT count(*) FROM (
                    SELECT 1 FROM (SELECT ${columns} FROM members m
                                    WHERE m.org_path >= q.path AND m.org_path < (left(q.path, -1) || '0')
                                    ORDER BY m.org_path, m.id LIMIT $2) m
                     WHERE true ${filter.sql}
                     LIMIT $3) x) AS n
            FROM unnest($1::text[]) WITH ORDINALITY AS q(path, idx)`,
    params: (paths) => [paths, boundedCountWindow(query), BOUNDED_COUNT.cap + 1, ...filter.params],
  };
}

export function memberFromRow(row: Record<string, unknown>): MemberEntity {
  return Object.assign(new MemberEntity(), {
    id: row.id,
    organizationId: row.organization_id,
    orgPath: row.org_path,
    fullName: row.full_name,
    idNumberLast4: row.id_number_last4,
    phone: row.phone,
    cardNumber: row.card_number,
    status: row.status,
    realNameVerified: row.real_name_verified,
    newEmploymentForm: row.new_employment_form,
    joinedAt: row.joined_at,
    updatedAt: row.updated_at,
  });
}

/** Batches keys that share a query, so one statement answers many subtrees at once. */
function batchByQuery<K extends { query: MemberQuery }, V>(run: (query: MemberQuery, keys: K[]) => Promise<V[]>) {
  return async (keys: readonly K[]): Promise<V[]> => {
    const groups = new Map<string, number[]>();
    keys.forEach((key, index) => {
      const signature = JSON.stringify(key.query);
      const group = groups.get(signature);
      if (group) group.push(index);
      else groups.set(signature, [index]);
    });
    const results = new Array<V>(keys.length);
    await Promise.all(
      [...groups.values()].map(async (indexes) => {
        const answers = await run(
          keys[indexes[0]].query,
          indexes.map((i) => keys[i]),
        );
        indexes.forEach((keyIndex, i) => (results[keyIndex] = answers[i]));
      }),
    );
    return results;
  };
}

/** Members by id, the read behind member(id), me and every Member reference: shared by the requests of a turn. */
const membersByIdOf = perDataSource(
  (db) => new CoalescedLookup<Record<string, unknown> & { id: string }>((ids) => preparedRows(db, MEMBERS_BY_ID, [ids]), MEMBERS_BY_ID_MAX),
);

export function memberLoaders(db: DataSource) {
  return {
    memberById: coalescedLoader(membersByIdOf(db), memberFromRow),
    memberByCardNumber: keyedLoader<string, MemberEntity>(
      async (cards) => (await db.query(`SELECT ${MEMBER_COLUMNS} FROM members m WHERE m.card_number = ANY($1)`, [cards])).map(memberFromRow),
      (m) => m.cardNumber,
    ),
    /**
     * Pages of members of many subtrees in one LATERAL query. Keyset order is (org_path, id): the
     * order of the members_subtree_idx index, so page 500 costs what page 1 costs.
     */
    memberPage: new DataLoader<MemberPageKey, MemberEntity[], string>(
      batchByQuery(async (query, keys) => {
        const filter = filterSql(query, 4);
        const rows: Array<Record<string, unknown>> = await db.query(
          `SELECT ${MEMBER_COLUMNS}, q.idx
             FROM unnest($1::text[], $2::int[], $3::text[], $4::uuid[]) WITH ORDINALITY AS q(path, lim, after_path, after_id, idx)
             CROSS JOIN LATERAL (
               SELECT * FROM members m
                -- One row comparison as the lower bound, so the index scan starts right after the
                -- cursor (an "after IS NULL OR ..." condition would make it start at the subtree's
                -- first member and filter its way down: OFFSET in disguise). The nil UUID is never an id.
                WHERE (m.org_path, m.id) > (coalesce(q.after_path, q.path), coalesce(q.after_id, '00000000-0000-0000-0000-000000000000'::uuid))
                  AND m.org_path < (left(q.path, -1) || '0')
                  ${filter.sql}
                ORDER BY m.org_path, m.id
                LIMIT q.lim
             ) m
            ORDER BY q.idx, m.org_path, m.id`,
          [keys.map((k) => k.path), keys.map((k) => k.limit), keys.map((k) => k.after?.[0] ?? null), keys.map((k) => k.after?.[1] ?? null), ...filter.params],
        );
        const pages = keys.map(() => [] as MemberEntity[]);
        for (const row of rows) pages[Number(row.idx) - 1].push(memberFromRow(row));
        return pages;
      }),
      { cacheKeyFn: (k) => JSON.stringify(k) },
    ),
    /** Exact filtered counts over many subtrees in one statement: only for filters an index narrows to a few rows (an exact card number). */
    memberCount: new DataLoader<{ path: string; query: MemberQuery }, number, string>(
      batchByQuery(async (query, keys) => {
        const filter = filterSql(query, 1);
        const rows: Array<{ idx: string; n: string }> = await db.query(
          `SELECT q.idx, (SELECT count(*) FROM members m
                           WHERE m.org_path >= q.path AND m.org_path < (left(q.path, -1) || '0') ${filter.sql}) AS n
             FROM unnest($1::text[]) WITH ORDINALITY AS q(path, idx)`,
          [keys.map((k) => k.path), ...filter.params],
        );
        const counts = keys.map(() => 0);
        for (const row of rows) counts[Number(row.idx) - 1] = Number(row.n);
        return counts;
      }),
      { cacheKeyFn: (k) => JSON.stringify(k) },
    ),
    /**
     * Bounded filtered counts (see BOUNDED_COUNT): the matches among the first `window` members of
     * each subtree in list order, counted up to cap + 1, or null where the statement timeout cut the
     * count off. With the filter's columns in members_subtree_idx this is an index-only scan that
     * stops at the window or at the cap, whichever comes first.
     */
    memberCountBounded: new DataLoader<{ path: string; query: MemberQuery }, number | null, string>(
      batchByQuery(async (query, keys) => {
        const statement = boundedCountSql(query);
        try {
          return await db.transaction(async (manager) => {
            await manager.query(`SELECT set_config('statement_timeout', $1, true)`, [`${BOUNDED_COUNT.statementTimeoutMs}ms`]);
            const rows: Array<{ idx: string; n: string }> = await manager.query(statement.sql, statement.params(keys.map((k) => k.path)));
            const counts: Array<number | null> = keys.map(() => 0);
            for (const row of rows) counts[Number(row.idx) - 1] = Number(row.n);
            return counts;
          });
        } catch (error) {
          // The backstop: a count that overran its time (a cold cache, a machine under load) gives
          // no number rather than a late answer or a failed page.
          if ((error as { code?: string }).code === '57014') return keys.map(() => null);
          throw error;
        }
      }),
      { cacheKeyFn: (k) => JSON.stringify(k) },
    ),
  };
}

export type MemberLoaders = ReturnType<typeof memberLoaders>;
