import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { connectionPoolOf, DateScalar, hasScope, isUuid, shanghaiDate } from '@union/common';
import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import type { MemberContext } from '../../context';
import { MemberErrors } from '../../errors';
import { filterSql, subtreeUpperBound, type MemberQuery } from '../member/member.loaders';
import { memberQuery } from '../member/member.service';
import { MembershipStatus, type MemberFilter } from '../member/member.types';
import type { OrganizationEntity } from '../organization/organization.entity';
import { CONTENT_TYPES, csvHeader, EXPORT_FACTS_SQL, EXPORT_FORMATS, exportLineFormatter, type ExportFormat, type ExportRow } from './export.format';

/**
 * Rows per FETCH: large enough that round trips do not dominate, small enough that memory stays
 * flat (EXPORT_FETCHES_AHEAD + 1 batches at most: the one being written and those asked for).
 */
export const EXPORT_BATCH_ROWS = 2000;
/**
 * FETCHes queued behind the batch being written. With one, PostgreSQL sat idle from the moment
 * it had sent the next batch until this process had written the current one and asked again;
 * with two, pg sends the next FETCH as soon as the previous one completes.
 */
const EXPORT_FETCHES_AHEAD = 2;
/** Rows formatted and written between two turns of the event loop (see streamMemberExport). */
const EXPORT_SLICE_ROWS = 1000;

const FILTER_PARAMETERS = ['status', 'realNameVerified', 'newEmploymentForm', 'joinedFrom', 'joinedTo', 'search'] as const;
const PARAMETERS = new Set<string>(['organizationId', 'format', ...FILTER_PARAMETERS]);

export interface ExportRequest {
  organization: OrganizationEntity;
  format: ExportFormat;
  /** The filter as the caller gave it (recorded in the audit trail). */
  filter: Partial<Record<(typeof FILTER_PARAMETERS)[number], string | boolean>>;
  query: MemberQuery;
  masked: boolean;
}

function booleanParameter(name: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw MemberErrors.badInput(`${name} must be true or false`, name);
}

/**
 * Checks an export request the way `members(filter)` checks its arguments: same filter, same
 * subtree rule; anything unknown or repeated is refused rather than ignored, so a typo never
 * turns a filtered export into a full one.
 */
export async function parseExportRequest(ctx: MemberContext, parameters: URLSearchParams): Promise<ExportRequest> {
  const { principal } = ctx;
  if (!hasScope(principal, 'member:export')) throw MemberErrors.forbidden('missing scope: member:export');
  if (principal.kind !== 'UNION' || !principal.organizationId) throw MemberErrors.forbidden('member exports are for UNION callers, over their own subtree');

  const single = new Map<string, string>();
  for (const [name, value] of parameters) {
    if (!PARAMETERS.has(name)) throw MemberErrors.badInput(`unknown parameter ${name}; allowed: ${[...PARAMETERS].join(', ')}`, name);
    if (single.has(name)) throw MemberErrors.badInput(`parameter ${name} given twice`, name);
    single.set(name, value);
  }

  const format = single.get('format') ?? 'csv';
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw MemberErrors.badInput(`unknown export format ${JSON.stringify(format)}; use csv or ndjson`, 'format');
  }

  const filter: ExportRequest['filter'] = {};
  const memberFilter: MemberFilter = {};
  const status = single.get('status');
  if (status !== undefined) {
    if (!Object.values(MembershipStatus).includes(status as MembershipStatus)) {
      throw MemberErrors.badInput(`status must be one of ${Object.values(MembershipStatus).join(', ')}`, 'status');
    }
    memberFilter.status = status as MembershipStatus;
    filter.status = status;
  }
  for (const name of ['realNameVerified', 'newEmploymentForm'] as const) {
    const value = single.get(name);
    if (value !== undefined) filter[name] = memberFilter[name] = booleanParameter(name, value);
  }
  for (const name of ['joinedFrom', 'joinedTo'] as const) {
    const value = single.get(name);
    if (value !== undefined) filter[name] = memberFilter[name] = DateScalar.parseValue(value) as string;
  }
  const search = single.get('search');
  if (search !== undefined) filter.search = memberFilter.search = search;
  const query = memberQuery(memberFilter, ctx);

  const organizationId = single.get('organizationId');
  if (organizationId === undefined) throw MemberErrors.badInput('organizationId is required', 'organizationId');
  const organization = isUuid(organizationId) ? await ctx.loaders.organizationById.load(organizationId) : null;
  if (!organization) throw MemberErrors.notFound('organization');
  if (!(await ctx.access.canSeeOrganization(organization))) {
    throw MemberErrors.forbidden('this organization is outside the subtree you may export');
  }
  // Same rule as the GraphQL fields: personal data only with member:pii, inside the caller's subtree (checked above).
  const masked = !hasScope(principal, 'member:pii');
  return { organization, format: format as ExportFormat, filter, query, masked };
}

class ExportAborted extends Error {}

/** Writes a chunk, waiting while the client (through the gateway) is slower than the database. */
function write(res: ServerResponse, chunk: string): Promise<void> {
  if (res.destroyed) return Promise.reject(new ExportAborted('client went away'));
  if (res.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new ExportAborted('client went away'));
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/**
 * Streams the export from a server-side cursor (DECLARE ... CURSOR, FETCH EXPORT_BATCH_ROWS)
 * inside one read-only transaction: one snapshot for the whole file, a few batches in memory at
 * most, and the socket's backpressure pauses the FETCHes. The audit row is written before the
 * first byte and closed with the row count (COMPLETED, ABORTED when the client hangs up, FAILED
 * on error).
 */
export async function streamMemberExport(db: DataSource, ctx: MemberContext, request: ExportRequest, res: ServerResponse): Promise<number> {
  const exportId = randomUUID();
  await db.query(
    `INSERT INTO member_exports (id, actor_kind, actor_id, actor_name, organization_id, format, filter, masked, status)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'STREAMING')`,
    [
      exportId,
      ctx.principal.kind,
      ctx.principal.id,
      ctx.principal.name,
      request.organization.id,
      request.format,
      JSON.stringify(request.filter),
      request.masked,
    ],
  );

  let rowCount = 0;
  let outcome: 'COMPLETED' | 'ABORTED' | 'FAILED' = 'FAILED';
  let connection: PoolClient | null = null;
  let inTransaction = false;
  // A connection whose transaction could not be rolled back is closed, not returned to the pool.
  let broken = false;
  try {
    connection = await connectionPoolOf(db).connect();
    await connection.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    inTransaction = true;
    const subtree = [request.organization.path, subtreeUpperBound(request.organization.path)];
    // The subtree's organization names, read once in the export's snapshot: a city has some
    // thousands, its members millions, and joining them per member cost PostgreSQL more than
    // reading them here (and the member subgraph a column to decode per line).
    const organizationNames = new Map(
      (
        await connection.query<[string, string]>({
          text: `SELECT id, name FROM organizations WHERE path >= $1 AND path < $2`,
          values: subtree,
          rowMode: 'array',
        })
      ).rows,
    );
    const filter = filterSql(request.query, 2);
    await connection.query(
      `DECLARE member_export NO SCROLL CURSOR FOR
         SELECT m.id, m.card_number, m.full_name, m.phone, ${EXPORT_FACTS_SQL[request.format]} AS facts, m.organization_id
           FROM members m
          WHERE m.org_path >= $1 AND m.org_path < $2 ${filter.sql}
          ORDER BY m.org_path, m.id`,
      [...subtree, ...filter.params],
    );

    res.writeHead(200, {
      'content-type': CONTENT_TYPES[request.format],
      'content-disposition': `attachment; filename="members-${request.organization.id}-${shanghaiDate(new Date())}.${request.format}"`,
      'cache-control': 'no-store',
      'x-export-id': exportId,
      'x-export-masked': String(request.masked),
    });
    const line = exportLineFormatter(request.format, request.masked, (id) => {
      const name = organizationNames.get(id);
      // A member's org_path is its organization's path, kept in step by the same transactions.
      if (name === undefined) throw new Error(`organization ${id} of an exported member is not in the subtree`);
      return name;
    });
    if (request.format === 'csv') await write(res, csvHeader());
    // The next batches are fetched while this one is formatted and written: PostgreSQL and this
    // process work at the same time instead of taking turns.
    const cursor = connection;
    const fetchBatch = () => {
      const batch = cursor.query<ExportRow>({ text: `FETCH ${EXPORT_BATCH_ROWS} FROM member_export`, rowMode: 'array' }).then((result) => result.rows);
      // A client that hangs up while FETCHes are on their way: their outcome no longer matters.
      batch.catch(() => undefined);
      return batch;
    };
    const ahead = Array.from({ length: EXPORT_FETCHES_AHEAD }, fetchBatch);
    for (;;) {
      const rows: ExportRow[] = await ahead.shift()!;
      const last = rows.length < EXPORT_BATCH_ROWS;
      // After a short batch the FETCHes still queued find nothing; the COMMIT waits for them.
      if (!last) ahead.push(fetchBatch());
      for (let start = 0; start < rows.length; start += EXPORT_SLICE_ROWS) {
        let chunk = '';
        const end = Math.min(rows.length, start + EXPORT_SLICE_ROWS);
        for (let i = start; i < end; i++) chunk += line(rows[i]);
        await write(res, chunk);
        // Let the event loop read the next batch off PostgreSQL's socket between slices: while a
        // whole batch was formatted in one go the socket filled, PostgreSQL stopped sending, and
        // the two took turns (48,000 -> 62,000-68,000 rows/s at 15 million members).
        if (end < rows.length) await new Promise((resolve) => setImmediate(resolve));
      }
      rowCount += rows.length;
      if (last) break;
    }
    await connection.query('COMMIT');
    inTransaction = false;
    outcome = 'COMPLETED';
  } catch (error) {
    outcome = error instanceof ExportAborted ? 'ABORTED' : 'FAILED';
    if (inTransaction) await connection?.query('ROLLBACK').catch(() => (broken = true));
    if (outcome === 'FAILED') throw error;
  } finally {
    connection?.release(broken);
    // Closed before the response ends, so whoever holds the whole file also finds it audited.
    await db
      .query(`UPDATE member_exports SET status = $2, row_count = $3, finished_at = now() WHERE id = $1`, [exportId, outcome, rowCount])
      .catch(() => undefined);
  }
  if (outcome === 'COMPLETED') res.end();
  return rowCount;
}
