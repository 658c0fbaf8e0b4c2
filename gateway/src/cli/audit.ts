import { parseArgs } from 'node:util';
import type { DataSource } from 'typeorm';
import { isUuid, SHANGHAI_OFFSET_MS } from '@union/common';
import { CliError, runCli, type CliIo } from './support';

const USAGE = `Usage: npm run audit-log -- list [--partner PARTNER_ID] [--member MEMBER_ID]
                                    [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--limit N] [--json]

Dates are Asia/Shanghai calendar days, both ends included. Shows the newest --limit records
(default 100), oldest first.`;

const DEFAULT_LIMIT = 100;

export interface AuditRecord {
  id: string;
  at: Date;
  partnerId: string | null;
  principalKind: string;
  operationName: string | null;
  memberIds: string[];
  fields: string[];
  detail: unknown;
}

export interface AuditQuery {
  partnerId?: string;
  memberId?: string;
  /** Inclusive lower bound. */
  from?: Date;
  /** Exclusive upper bound. */
  until?: Date;
  limit: number;
}

/** The instant an Asia/Shanghai calendar day begins; `dayOffset` 1 gives the next day's start. */
export function shanghaiDayStart(date: string, dayOffset = 0): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const [year, month, day] = match ? match.slice(1).map(Number) : [NaN, NaN, NaN];
  const utc = Date.UTC(year, month - 1, day);
  // Date.UTC rolls 2026-02-30 over into March; a date that does not round-trip was not a real day.
  if (!match || Number.isNaN(utc) || new Date(utc).toISOString().slice(0, 10) !== date) {
    throw new CliError(`"${date}" is not a date (YYYY-MM-DD)`);
  }
  return new Date(utc + dayOffset * 24 * 60 * 60 * 1000 - SHANGHAI_OFFSET_MS);
}

const shanghaiTimestamp = (at: Date) => new Date(at.getTime() + SHANGHAI_OFFSET_MS).toISOString().replace('Z', '+08:00');

/** The newest matching records, returned oldest first. */
export async function listAuditRecords(dataSource: DataSource, query: AuditQuery): Promise<AuditRecord[]> {
  const conditions: string[] = [];
  const parameters: unknown[] = [];
  const where = (sql: (placeholder: string) => string, value: unknown) => {
    parameters.push(value);
    conditions.push(sql(`$${parameters.length}`));
  };
  if (query.partnerId) where((p) => `partner_id = ${p}`, query.partnerId);
  if (query.memberId) where((p) => `member_ids @> ARRAY[${p}::uuid]`, query.memberId);
  if (query.from) where((p) => `at >= ${p}`, query.from);
  if (query.until) where((p) => `at < ${p}`, query.until);
  parameters.push(query.limit);
  const rows: {
    id: string;
    at: Date;
    partner_id: string | null;
    principal_kind: string;
    operation_name: string | null;
    member_ids: string[];
    fields: string[];
    detail: unknown;
  }[] = await dataSource.query(
    `SELECT id, at, partner_id, principal_kind, operation_name, member_ids, fields, detail
       FROM audit_records
      ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
      ORDER BY at DESC, id DESC
      LIMIT $${parameters.length}`,
    parameters,
  );
  return rows.reverse().map((row) => ({
    id: String(row.id),
    at: row.at,
    partnerId: row.partner_id,
    principalKind: row.principal_kind,
    operationName: row.operation_name,
    memberIds: row.member_ids,
    fields: row.fields,
    detail: row.detail,
  }));
}

function formatRecord(record: AuditRecord): string {
  const parts = [
    shanghaiTimestamp(record.at),
    `#${record.id}`,
    record.principalKind,
    `partner=${record.partnerId ?? '-'}`,
    `operation=${record.operationName ?? '-'}`,
    `members=${record.memberIds.length > 0 ? record.memberIds.join(',') : '-'}`,
    `fields=${record.fields.length > 0 ? record.fields.join(',') : '-'}`,
  ];
  if (record.detail !== null && record.detail !== undefined) parts.push(`detail=${JSON.stringify(record.detail)}`);
  return parts.join('  ');
}

/** Runs one command against an open database; returns the exit code. Separate from main() for tests. */
export async function runAuditCommand(argv: string[], dataSource: DataSource, io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      partner: { type: 'string' },
      member: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals[0] !== 'list' || positionals.length > 1) throw new CliError(USAGE);
  if (values.partner !== undefined && !isUuid(values.partner)) throw new CliError('--partner must be a partner id (UUID)');
  if (values.member !== undefined && !isUuid(values.member)) throw new CliError('--member must be a member id (UUID)');
  const limit = values.limit === undefined ? DEFAULT_LIMIT : Number(values.limit);
  if (!Number.isSafeInteger(limit) || limit <= 0) throw new CliError('--limit must be a positive whole number');
  const from = values.from === undefined ? undefined : shanghaiDayStart(values.from);
  const until = values.to === undefined ? undefined : shanghaiDayStart(values.to, 1);
  if (from && until && from >= until) throw new CliError('--from must not be after --to');

  const records = await listAuditRecords(dataSource, { partnerId: values.partner, memberId: values.member, from, until, limit });
  if (values.json) {
    io.print(JSON.stringify(records, null, 2));
    return 0;
  }
  if (records.length === 0) {
    io.print('No audit records match.');
    return 0;
  }
  for (const record of records) io.print(formatRecord(record));
  if (records.length === limit) io.print(`(the newest ${limit} records; narrow with --from/--to or raise --limit to see more)`);
  return 0;
}

if (require.main === module) runCli({ usage: USAGE, applicationName: 'gateway-audit-cli', command: runAuditCommand });
