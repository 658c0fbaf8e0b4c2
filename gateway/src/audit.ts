import type { ServerResponse } from 'node:http';
import type { AccessReport, Principal } from '@union/common';
import type { DataSource } from 'typeorm';
import { PartnerAccessCache } from './partner-access';

/** One row of gateway.audit_records (append-only; `npm run audit-log -- list` reads them). */
export interface AccessRecord {
  principal: Principal;
  operationName: string | null;
  memberIds: string[];
  fields: string[];
  detail: Record<string, unknown>;
}

/**
 * Appends an access record. For a MEMBER token the partner is the PLATFORM that acts for the
 * member, and the member itself goes into the detail.
 */
export async function appendAccessRecord(db: DataSource, record: AccessRecord): Promise<void> {
  const { principal } = record;
  const detail = principal.kind === 'MEMBER' ? { ...record.detail, memberPrincipalId: principal.id } : record.detail;
  await db.query(
    `INSERT INTO audit_records (partner_id, principal_kind, operation_name, member_ids, fields, detail)
     VALUES ($1, $2, $3, $4::uuid[], $5::text[], $6::jsonb)`,
    [PartnerAccessCache.partnerIdOf(principal), principal.kind, record.operationName, record.memberIds, record.fields, JSON.stringify(detail)],
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PERSONAL_DATA_FIELDS = new Set(['fullName', 'phone', 'cardNumber']);

/**
 * Collects what the subgraphs report about one gateway request (their response extension
 * `unionAccessReport`, see AccessReport): the unmasked personal data it returns, per member, and
 * the failed guesses it contained.
 */
export class AccessReportCollector {
  private readonly personalData = new Map<string, Set<string>>();
  failedGuesses = 0;

  add(report: unknown): void {
    if (typeof report !== 'object' || report === null) return;
    const { personalData, failedGuesses } = report as AccessReport;
    if (typeof failedGuesses === 'number' && failedGuesses > 0) this.failedGuesses += failedGuesses;
    if (typeof personalData !== 'object' || personalData === null) return;
    for (const [memberId, fields] of Object.entries(personalData)) {
      if (!UUID.test(memberId) || !Array.isArray(fields)) continue;
      const known = this.personalData.get(memberId) ?? new Set<string>();
      for (const field of fields) if (PERSONAL_DATA_FIELDS.has(field)) known.add(field);
      if (known.size > 0) this.personalData.set(memberId, known);
    }
  }

  get disclosesPersonalData(): boolean {
    return this.personalData.size > 0;
  }

  /** Members, the union of their fields, and per member the fields when they differ between members. */
  disclosure(): { memberIds: string[]; fields: string[]; fieldsByMember?: Record<string, string[]> } {
    const memberIds = [...this.personalData.keys()].sort();
    const perMember = memberIds.map((id) => [...(this.personalData.get(id) ?? [])].sort());
    const fields = [...new Set(perMember.flat())].sort();
    const uniform = perMember.every((set) => set.length === fields.length);
    return uniform ? { memberIds, fields } : { memberIds, fields, fieldsByMember: Object.fromEntries(memberIds.map((id, i) => [id, perMember[i]])) };
  }
}

export interface ObservedExport {
  status: number;
  format: 'csv' | 'ndjson' | null;
  masked: boolean | null;
  exportId: string | null;
  /** Data rows that went out (the CSV header line not counted). */
  rows: number;
  /**
   * The whole file went out and the partner's connection did not break afterwards: false when the
   * partner hung up, the stream was cut, or the connection was reset while the end of the file
   * still sat in network buffers (a client that went away without reading it).
   */
  complete: boolean;
}

/**
 * How long after the last byte the gateway watches the connection for a reset before it writes the
 * audit row: a client that reads the file to its end closes cleanly or keeps the connection for
 * its next request; one that went away resets it as soon as it stops (unread data makes the
 * kernel answer close with RST).
 */
export const EXPORT_DELIVERY_GRACE_MS = 5_000;

/**
 * Counts the rows of a member export as its bytes pass through `res`, without buffering: it
 * watches writeHead and write and counts line ends (outside CSV quotes). Call `result()` once
 * the export handler has returned.
 */
export function observeExport(res: ServerResponse, graceMs = EXPORT_DELIVERY_GRACE_MS): { result(): Promise<ObservedExport> } {
  const socket = res.socket;
  let connectionBroke = false;
  let connectionClosed = false;
  const onSocketError = () => {
    connectionBroke = true;
  };
  const onSocketClose = (hadError: boolean) => {
    connectionClosed = true;
    if (hadError) connectionBroke = true;
  };
  socket?.on('error', onSocketError);
  socket?.once('close', onSocketClose);
  let format: ObservedExport['format'] = null;
  let masked: boolean | null = null;
  let exportId: string | null = null;
  let lines = 0;
  let inQuotes = false;

  const header = (headers: unknown, name: string): string | undefined => {
    if (headers && typeof headers === 'object' && !Array.isArray(headers)) {
      const value = (headers as Record<string, unknown>)[name];
      if (typeof value === 'string') return value;
    }
    const value = res.getHeader(name);
    return typeof value === 'string' ? value : undefined;
  };

  const originalWriteHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    const headers = args.find((a) => typeof a === 'object' && a !== null);
    const contentType = header(headers, 'content-type') ?? '';
    format = contentType.startsWith('text/csv') ? 'csv' : contentType.startsWith('application/x-ndjson') ? 'ndjson' : null;
    const maskedHeader = header(headers, 'x-export-masked');
    masked = maskedHeader === undefined ? null : maskedHeader === 'true';
    exportId = header(headers, 'x-export-id') ?? null;
    return (originalWriteHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];

  // Jumps from one quote or line feed to the next with Buffer.indexOf (memchr) instead of looking
  // at every byte in JavaScript: at 100,000 rows/s the byte loop cost the gateway more CPU than
  // piping the file.
  const count = (chunk: unknown) => {
    if (format === null || chunk === undefined || chunk === null || typeof chunk === 'function') return;
    const bytes =
      typeof chunk === 'string'
        ? Buffer.from(chunk)
        : Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from((chunk as Uint8Array).buffer, (chunk as Uint8Array).byteOffset, (chunk as Uint8Array).byteLength);
    // NDJSON never holds a raw line feed inside a line; in CSV one inside a quoted field is data.
    let nextQuote = format === 'csv' ? bytes.indexOf(0x22) : -1;
    let at = 0;
    while (at < bytes.length) {
      if (inQuotes) {
        // RFC 4180: a quote inside a quoted field is doubled, which closes and reopens at once.
        if (nextQuote === -1) return;
        inQuotes = false;
        at = nextQuote + 1;
        nextQuote = bytes.indexOf(0x22, at);
        continue;
      }
      const newline = bytes.indexOf(0x0a, at);
      if (nextQuote !== -1 && (newline === -1 || nextQuote < newline)) {
        inQuotes = true;
        at = nextQuote + 1;
        nextQuote = bytes.indexOf(0x22, at);
        continue;
      }
      if (newline === -1) return;
      lines += 1;
      at = newline + 1;
    }
  };
  const originalWrite = res.write;
  res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    count(chunk);
    return (originalWrite as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as ServerResponse['write'];
  const originalEnd = res.end;
  res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    count(chunk);
    return (originalEnd as (...a: unknown[]) => ServerResponse).call(this, chunk, ...rest);
  } as ServerResponse['end'];

  /** Resolves when the connection closed, or after the grace period with it still open. */
  const connectionSettled = () =>
    new Promise<void>((resolve) => {
      if (!socket || connectionClosed || socket.destroyed) return resolve();
      const timer = setTimeout(done, graceMs);
      function done() {
        clearTimeout(timer);
        socket?.off('close', done);
        resolve();
      }
      socket.once('close', done);
    });

  return {
    async result() {
      const finished = res.writableFinished;
      if (finished) await connectionSettled();
      socket?.off('error', onSocketError);
      socket?.off('close', onSocketClose);
      return {
        status: res.statusCode,
        format,
        masked,
        exportId,
        rows: format === 'csv' ? Math.max(0, lines - 1) : lines,
        complete: finished && !connectionBroke,
      };
    },
  };
}
