import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasScope, isUuid } from '@union/common';
import type { DataSource } from 'typeorm';
import { pathInSubtree } from '../../access';
import type { MemberContext } from '../../context';
import { MemberErrors } from '../../errors';
import { checkPerson, writableOrganization } from '../enrollment/enrollment.service';
import { recordMemberEvents } from '../member/member.events';
import { hashIdNumber } from '../member/member.identity';
import { memberColumns, memberFromRow } from '../member/member.loaders';
import type { OrganizationEntity } from '../organization/organization.entity';
import { type ImportColumn, type ImportFormat, type RawRow, readRows } from './import.rows';

/** Rows per INSERT (and per transaction): big enough that round trips do not dominate, small enough that memory stays flat. */
export const IMPORT_BATCH_ROWS = 1000;
/**
 * Batches written at the same time: while PostgreSQL inserts one batch, this process parses and
 * checks the next, and a second connection inserts another. Their counter updates lock the same
 * ancestors' rows in the same (id) order, so they queue there briefly and never deadlock.
 */
export const IMPORT_BATCHES_IN_FLIGHT = 2;

export interface ImportRejection {
  row: number;
  field: string;
  code: string;
  message: string;
}

export interface ImportResult {
  importId: string;
  dryRun: boolean;
  totalRows: number;
  created: number;
  alreadyMembers: number;
  rejected: ImportRejection[];
}

export interface ImportRequest {
  organization: OrganizationEntity;
  dryRun: boolean;
}

/** A too-large file: answered 413 by the route. */
export class ImportTooLargeError extends Error {}

const XLSX_TYPES = new Set(['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet']);
const CSV_TYPES = new Set(['text/csv', 'application/csv', 'text/plain']);
const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const TRUE_VALUES = new Set(['true', '1', 'yes', 'y', '是']);
const FALSE_VALUES = new Set(['', 'false', '0', 'no', 'n', '否']);
/** Text a spreadsheet would run as a formula when the file is opened (OWASP "CSV injection"). */
const FORMULA = /^[=+\-@\t\r]/;

/** organizationId and dryRun, nothing else; the organization must be in the caller's subtree. */
export async function parseImportRequest(ctx: MemberContext, parameters: URLSearchParams): Promise<ImportRequest> {
  const { principal } = ctx;
  if (!hasScope(principal, 'member:write')) throw MemberErrors.forbidden('missing scope: member:write');
  if (principal.kind !== 'UNION' || !principal.organizationId) throw MemberErrors.forbidden('member imports are for UNION callers, into their own subtree');
  const single = new Map<string, string>();
  for (const [name, value] of parameters) {
    if (name !== 'organizationId' && name !== 'dryRun') throw MemberErrors.badInput(`unknown parameter ${name}; allowed: organizationId, dryRun`, name);
    if (single.has(name)) throw MemberErrors.badInput(`parameter ${name} given twice`, name);
    single.set(name, value);
  }
  const dryRun = single.get('dryRun');
  if (dryRun !== 'true' && dryRun !== 'false') throw MemberErrors.badInput('dryRun must be true or false (say which: a dry run writes nothing)', 'dryRun');
  const organizationId = single.get('organizationId');
  if (organizationId === undefined) throw MemberErrors.badInput('organizationId is required', 'organizationId');
  return { organization: await writableOrganization(ctx, organizationId), dryRun: dryRun === 'true' };
}

/**
 * Copies the request body to a private temporary file, bounded by `maxBytes`, and tells CSV from
 * XLSX by content: an XLSX workbook is a ZIP archive; anything else must be UTF-8 text without
 * NUL bytes (a GBK file from an old Excel, a PDF or an image is refused as a whole). The copy lets
 * the whole file be checked (size, type, header, row count) before the first row is written.
 */
export async function spoolUpload(
  body: IncomingMessage,
  contentType: string | undefined,
  maxBytes: number,
): Promise<{ dir: string; path: string; format: ImportFormat; bytes: number }> {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (!XLSX_TYPES.has(mediaType) && !CSV_TYPES.has(mediaType) && mediaType !== 'application/octet-stream') {
    throw MemberErrors.badInput(
      'send the file as text/csv (UTF-8) or application/vnd.openxmlformats-officedocument.spreadsheetml.sheet (.xlsx)',
      'content-type',
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'member-import-'));
  const path = join(dir, 'upload');
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let bytes = 0;
  let head: Buffer | null = null;
  let notText: string | null = null;
  try {
    const out = createWriteStream(path, { mode: 0o600 });
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        if (bytes > maxBytes) throw new ImportTooLargeError(`the file is larger than ${maxBytes} bytes`);
        if (head === null) head = chunk.subarray(0, 4);
        const zip = head.length >= 4 && head.equals(ZIP_MAGIC);
        if (!zip && notText === null) {
          try {
            decoder.decode(chunk, { stream: true });
            if (chunk.includes(0)) notText = 'it contains NUL bytes';
          } catch {
            notText = 'it is not UTF-8 text (save the sheet as "CSV UTF-8")';
          }
        }
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      }
    } finally {
      await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    }
    const zip = head !== null && head.length >= 4 && head.equals(ZIP_MAGIC);
    if (bytes === 0) throw MemberErrors.badInput('the file is empty: it needs a header row', 'file');
    if (zip) {
      if (CSV_TYPES.has(mediaType)) throw MemberErrors.badInput('the body is a ZIP archive (an .xlsx workbook?) but was sent as CSV', 'content-type');
      return { dir, path, format: 'xlsx', bytes };
    }
    if (!notText) {
      try {
        decoder.decode();
      } catch {
        notText = 'it is not UTF-8 text (save the sheet as "CSV UTF-8")';
      }
    }
    if (notText) throw MemberErrors.badInput(`the file is neither CSV nor XLSX: ${notText}`, 'file');
    if (XLSX_TYPES.has(mediaType)) throw MemberErrors.badInput('the body was sent as an .xlsx workbook but is not one', 'file');
    return { dir, path, format: 'csv', bytes };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** First pass: the header and the row count, so a file over the row limit is refused before anything is written. */
export async function countRows(path: string, format: ImportFormat, maxRows: number): Promise<number> {
  let rows = 0;
  for await (const _row of readRows(path, format)) {
    rows += 1;
    if (rows > maxRows) throw MemberErrors.badInput(`the file has more than ${maxRows} data rows; split it`, 'file');
  }
  return rows;
}

interface CheckedRow {
  row: number;
  organizationId: string;
  orgPath: string;
  fullName: string;
  idNumberHash: Buffer;
  idNumberLast4: string;
  phone: string;
  newEmploymentForm: boolean;
  realNameVerified: boolean;
}

type Problem = Omit<ImportRejection, 'row'>;

function parseFlag(value: string | undefined, field: ImportColumn): boolean | Problem {
  const text = (value ?? '').trim().toLowerCase();
  if (TRUE_VALUES.has(text)) return true;
  if (FALSE_VALUES.has(text)) return false;
  return { field, code: 'BAD_USER_INPUT', message: `${field} must be true or false (or 1/0, 是/否)` };
}

/** Organizations named by rows, looked up once per file (the subtree's organizations at most). */
class OrganizationCache {
  private readonly known = new Map<string, { id: string; path: string } | null>();
  constructor(private readonly db: DataSource) {}

  async prefetch(ids: string[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.known.has(id));
    if (missing.length === 0) return;
    const rows: Array<{ id: string; path: string }> = await this.db.query(`SELECT id, path FROM organizations WHERE id = ANY($1::uuid[])`, [missing]);
    for (const id of missing) this.known.set(id, null);
    for (const row of rows) this.known.set(row.id, row);
  }

  get(id: string): { id: string; path: string } | null {
    return this.known.get(id) ?? null;
  }
}

/** The checks of enrolment for one row, plus those only a file has (formulas, flags, per-row organizations). */
function checkRow(
  raw: RawRow,
  request: ImportRequest,
  scopePath: string,
  organizations: OrganizationCache,
  canAssertVerified: boolean,
  hmacKey: string,
): CheckedRow | Problem {
  if (raw.problem) return { field: raw.problem.field, code: 'BAD_USER_INPUT', message: raw.problem.message };
  for (const [field, value] of Object.entries(raw.cells)) {
    if (value && FORMULA.test(value))
      return { field, code: 'BAD_USER_INPUT', message: `${field} starts with = + - @ or a control character (a spreadsheet formula); values only` };
  }
  const person = checkPerson({ fullName: raw.cells.fullName ?? '', idNumber: raw.cells.idNumber ?? '', phone: raw.cells.phone ?? '' });
  if (!person.ok) return { field: person.field, code: 'BAD_USER_INPUT', message: person.message };
  const newEmploymentForm = parseFlag(raw.cells.newEmploymentForm, 'newEmploymentForm');
  if (typeof newEmploymentForm !== 'boolean') return newEmploymentForm;
  const realNameVerified = parseFlag(raw.cells.realNameVerified, 'realNameVerified');
  if (typeof realNameVerified !== 'boolean') return realNameVerified;
  if (realNameVerified && !canAssertVerified)
    return { field: 'realNameVerified', code: 'FORBIDDEN', message: 'importing verified members needs scope member:assert-verified' };

  let organization: { id: string; path: string } = request.organization;
  const organizationId = (raw.cells.organizationId ?? '').trim().toLowerCase();
  if (organizationId !== '') {
    if (!isUuid(organizationId)) return { field: 'organizationId', code: 'BAD_USER_INPUT', message: 'organizationId must be an organization id (UUID)' };
    const found = organizations.get(organizationId);
    if (!found) return { field: 'organizationId', code: 'NOT_FOUND', message: 'organization not found' };
    if (!pathInSubtree(found.path, scopePath))
      return { field: 'organizationId', code: 'FORBIDDEN', message: 'this organization is outside the subtree you may write in' };
    organization = found;
  }
  return {
    row: raw.row,
    organizationId: organization.id,
    orgPath: organization.path,
    fullName: person.fullName,
    idNumberHash: hashIdNumber(hmacKey, person.idNumber),
    idNumberLast4: person.idNumber.slice(-4),
    phone: person.phone,
    newEmploymentForm,
    realNameVerified,
  };
}

/**
 * Writes one batch in one transaction with one statement: every valid row becomes a member and
 * its ENROLLED event, or (its ID number already a member) nothing. A row is never half written.
 * Answers the hashes inserted. The subtree counters follow through the statement-level triggers
 * (one aggregate per batch).
 */
async function insertBatch(db: DataSource, rows: CheckedRow[], ctx: MemberContext): Promise<Set<string>> {
  const inserted = await db.transaction(async (tx) => {
    const members: Array<Record<string, unknown>> = await tx.query(
      `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::bytea[], $6::text[], $7::text[], $8::boolean[], $9::boolean[])
                  AS u(id, organization_id, org_path, full_name, id_number_hash, id_number_last4, phone, new_employment_form, real_name_verified)
       ), inserted AS (
         INSERT INTO members (id, organization_id, org_path, full_name, id_number_hash, id_number_last4, phone, card_number,
                              status, real_name_verified, new_employment_form, joined_at)
         SELECT id, organization_id, org_path, full_name, id_number_hash, id_number_last4, phone,
                'GD' || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY') || lpad(nextval('member_card_seq')::text, 8, '0'),
                'ACTIVE', real_name_verified, new_employment_form, now()
           FROM input
         ON CONFLICT DO NOTHING
         RETURNING ${memberColumns()}, id_number_hash
       ), event AS (
         INSERT INTO membership_events (member_id, kind, to_organization_id, actor_kind, actor_id, actor_name)
         SELECT id, 'ENROLLED', organization_id, $10, $11, $12 FROM inserted
       )
       SELECT * FROM inserted`,
      [
        rows.map(() => randomUUID()),
        rows.map((r) => r.organizationId),
        rows.map((r) => r.orgPath),
        rows.map((r) => r.fullName),
        rows.map((r) => r.idNumberHash),
        rows.map((r) => r.idNumberLast4),
        rows.map((r) => r.phone),
        rows.map((r) => r.newEmploymentForm),
        rows.map((r) => r.realNameVerified),
        ctx.principal.kind,
        ctx.principal.id,
        ctx.principal.name,
      ],
    );
    // MEMBER_ENROLLED for every member of the batch, in the batch's transaction.
    await recordMemberEvents(tx, 'MEMBER_ENROLLED', members.map(memberFromRow));
    return members;
  });
  return new Set(inserted.map((r) => (r.id_number_hash as Buffer).toString('base64')));
}

async function existingHashes(db: DataSource, hashes: Buffer[]): Promise<Set<string>> {
  if (hashes.length === 0) return new Set();
  const rows: Array<{ id_number_hash: Buffer }> = await db.query(`SELECT id_number_hash FROM members WHERE id_number_hash = ANY($1::bytea[])`, [hashes]);
  return new Set(rows.map((r) => r.id_number_hash.toString('base64')));
}

/**
 * Second pass: checks every row and, unless it is a dry run, writes the valid ones batch by
 * batch. Idempotent on the ID number: a row whose person is a member already (from an earlier
 * run of the same file, or anywhere) counts in alreadyMembers and is not touched. A dry run
 * reads which ID numbers are members already and writes nothing; its `created` is what a real
 * run would create now.
 */
export async function importRows(ctx: MemberContext, request: ImportRequest, path: string, format: ImportFormat, importId: string): Promise<ImportResult> {
  const scopePath = (await ctx.access.scopePath())!;
  const organizations = new OrganizationCache(ctx.db);
  const canAssertVerified = hasScope(ctx.principal, 'member:assert-verified');
  const result: ImportResult = { importId, dryRun: request.dryRun, totalRows: 0, created: 0, alreadyMembers: 0, rejected: [] };
  /** ID number hash -> the first row that carried it: a person listed twice in one file is rejected the second time. */
  const firstRowOf = new Map<string, number>();
  let batch: RawRow[] = [];

  const inFlight = new Set<Promise<void>>();
  let failure: unknown = null;
  /** Writes (or, in a dry run, looks up) one batch of checked rows, next to at most IMPORT_BATCHES_IN_FLIGHT - 1 others. */
  const write = async (valid: CheckedRow[]) => {
    while (inFlight.size >= IMPORT_BATCHES_IN_FLIGHT) await Promise.race(inFlight);
    if (failure) throw failure;
    const job = (async () => {
      if (request.dryRun) {
        const existing = await existingHashes(
          ctx.db,
          valid.map((r) => r.idNumberHash),
        );
        result.alreadyMembers += existing.size;
        result.created += valid.length - existing.size;
        return;
      }
      // Members already (a re-run, people enrolled elsewhere) are looked up first, through the unique
      // index, so that a re-run costs reads, not a thousand refused inserts per batch.
      const known = await existingHashes(
        ctx.db,
        valid.map((r) => r.idNumberHash),
      );
      result.alreadyMembers += known.size;
      let pending = valid.filter((r) => !known.has(r.idNumberHash.toString('base64')));
      // A row neither inserted nor a member already (enrolled at this very moment, or a hand-assigned
      // card number in the online block) is looked up again, and retried with the next number.
      for (let attempt = 0; attempt < 3 && pending.length > 0; attempt++) {
        const inserted = await insertBatch(ctx.db, pending, ctx);
        result.created += inserted.size;
        const rest = pending.filter((r) => !inserted.has(r.idNumberHash.toString('base64')));
        const existing = await existingHashes(
          ctx.db,
          rest.map((r) => r.idNumberHash),
        );
        result.alreadyMembers += existing.size;
        pending = rest.filter((r) => !existing.has(r.idNumberHash.toString('base64')));
      }
      if (pending.length > 0) throw new Error(`no free card number for ${pending.length} rows: card numbers in the 9xxxxxxx block were assigned by hand`);
    })().catch((error: unknown) => {
      failure ??= error;
    });
    inFlight.add(job);
    void job.finally(() => inFlight.delete(job));
  };

  const flush = async () => {
    await organizations.prefetch(batch.map((r) => (r.cells.organizationId ?? '').trim().toLowerCase()).filter(isUuid));
    const valid: CheckedRow[] = [];
    for (const raw of batch) {
      const checked = checkRow(raw, request, scopePath, organizations, canAssertVerified, ctx.config.idNumberHmacKey);
      if (!('idNumberHash' in checked)) {
        result.rejected.push({ row: raw.row, ...checked });
        continue;
      }
      const key = checked.idNumberHash.toString('base64');
      const first = firstRowOf.get(key);
      if (first !== undefined) {
        result.rejected.push({ row: raw.row, field: 'idNumber', code: 'BAD_USER_INPUT', message: `the same idNumber as row ${first}` });
        continue;
      }
      firstRowOf.set(key, raw.row);
      valid.push(checked);
    }
    batch = [];
    if (valid.length > 0) await write(valid);
  };

  for await (const raw of readRows(path, format)) {
    result.totalRows += 1;
    batch.push(raw);
    if (batch.length >= IMPORT_BATCH_ROWS) await flush();
  }
  await flush();
  await Promise.all(inFlight);
  if (failure) throw failure;
  result.rejected.sort((a, b) => a.row - b.row);
  return result;
}

/** The audit row: written when the request passed its parameter checks, closed with the outcome. */
export async function openImportAudit(db: DataSource, ctx: MemberContext, request: ImportRequest): Promise<string> {
  const id = randomUUID();
  await db.query(
    `INSERT INTO member_imports (id, actor_kind, actor_id, actor_name, organization_id, dry_run, status) VALUES ($1, $2, $3, $4, $5, $6, 'RUNNING')`,
    [id, ctx.principal.kind, ctx.principal.id, ctx.principal.name, request.organization.id, request.dryRun],
  );
  return id;
}

export async function closeImportAudit(
  db: DataSource,
  id: string,
  outcome: { status: 'COMPLETED' | 'REFUSED' | 'FAILED'; format?: ImportFormat | null; bytes?: number; result?: ImportResult; refusal?: string },
): Promise<void> {
  await db.query(
    `UPDATE member_imports SET status = $2, format = $3, bytes = $4, total_rows = $5, created = $6, already_members = $7, rejected = $8,
            refusal = $9, finished_at = now() WHERE id = $1`,
    [
      id,
      outcome.status,
      outcome.format ?? null,
      outcome.bytes ?? 0,
      outcome.result?.totalRows ?? 0,
      outcome.result?.created ?? 0,
      outcome.result?.alreadyMembers ?? 0,
      outcome.result?.rejected.length ?? 0,
      outcome.refusal ?? null,
    ],
  );
}
