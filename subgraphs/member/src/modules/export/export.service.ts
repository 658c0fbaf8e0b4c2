import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { connectionPoolOf, DateScalar, hasScope, isUuid, shanghaiDate } from '@union/common';
import { escapeLiteral, type PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { DataSource } from 'typeorm';
import type { MemberContext } from '../../context';
import { MemberErrors } from '../../errors';
import { filterSqlWithLiterals, subtreeUpperBound, type MemberQuery } from '../member/member.loaders';
import { memberQuery } from '../member/member.service';
import { MembershipStatus, type MemberFilter } from '../member/member.types';
import type { OrganizationEntity } from '../organization/organization.entity';
import { CopyColumnBytes } from './export.copy';
import { CONTENT_TYPES, csvHeader, EXPORT_FORMATS, exportLinesSql, type ExportFormat } from './export.format';

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
function write(res: ServerResponse, chunk: string | Buffer): Promise<void> {
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
 * Streams the export straight from PostgreSQL: one `COPY (...) TO STDOUT` whose rows are the
 * file's lines (see exportLinesSql), passed on as they come. One statement is one snapshot for the
 * whole file; the socket's backpressure pauses the COPY (a few chunks in memory at most). The audit
 * row is written before the first byte and closed with the row count (COMPLETED, ABORTED when the
 * client hangs up, FAILED on error). Nothing is sent before PostgreSQL has started to answer, so a
 * statement that fails at once is still a plain error answer.
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

  const lines = new CopyColumnBytes();
  let outcome: 'COMPLETED' | 'ABORTED' | 'FAILED' = 'FAILED';
  let connection: PoolClient | null = null;
  const start = async () => {
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[request.format],
      'content-disposition': `attachment; filename="members-${request.organization.id}-${shanghaiDate(new Date())}.${request.format}"`,
      'cache-control': 'no-store',
      'x-export-id': exportId,
      'x-export-masked': String(request.masked),
    });
    if (request.format === 'csv') await write(res, csvHeader());
  };
  try {
    connection = await connectionPoolOf(db).connect();
    const path = request.organization.path;
    const subtree: [string, string] = [escapeLiteral(path), escapeLiteral(subtreeUpperBound(path))];
    const search = request.query.cardNumber !== undefined || request.query.namePrefix !== undefined;
    const sql = exportLinesSql(request.format, request.masked, subtree, { sql: filterSqlWithLiterals(request.query), search });
    const copy = connection.query(copyTo(`COPY (${sql}) TO STDOUT (FORMAT binary)`));
    await pipeline(copy, lines, async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) {
        if (!res.headersSent) await start();
        await write(res, chunk);
      }
    });
    if (!res.headersSent) await start();
    outcome = 'COMPLETED';
  } catch (error) {
    // The pipeline reports a hang-up as whichever of its streams noticed first.
    outcome = error instanceof ExportAborted || res.destroyed ? 'ABORTED' : 'FAILED';
    if (outcome === 'FAILED') throw error;
  } finally {
    // A COPY cut short leaves the connection mid-statement: it is closed, not returned to the pool.
    connection?.release(outcome !== 'COMPLETED');
    // Closed before the response ends, so whoever holds the whole file also finds it audited.
    await db
      .query(`UPDATE member_exports SET status = $2, row_count = $3, finished_at = now() WHERE id = $1`, [exportId, outcome, lines.rows])
      .catch(() => undefined);
  }
  if (outcome === 'COMPLETED') res.end();
  return lines.rows;
}
