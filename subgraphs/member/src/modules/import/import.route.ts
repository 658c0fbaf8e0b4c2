import { rm } from 'node:fs/promises';
import { acceptUpload, isContractError, sendGraphQLError, sendJson, type UploadRoute } from '@union/common';
import type { DataSource } from 'typeorm';
import type { MemberConfig } from '../../config';
import { createMemberContext } from '../../context';
import type { ImportFormat } from './import.rows';
import { closeImportAudit, countRows, importRows, ImportTooLargeError, openImportAudit, parseImportRequest, spoolUpload } from './import.service';

/** Seconds a partner is told to wait when every import slot is taken. */
const IMPORT_RETRY_AFTER_SECONDS = 30;

/**
 * POST /stream/member-import?organizationId=...&dryRun=true|false: the member side of the
 * gateway's POST /imports/members. The caller is the partner the gateway authenticated.
 *
 * Order: parameters and subtree (400/403/404, nothing read), the declared size (413 before the
 * body is read), the audit row, the body copied to a temporary file (size, type and UTF-8 checked
 * while it arrives), the header and row count (whole-file refusals), then the rows in batches.
 * A file refused as a whole has written nothing but its audit row.
 */
export function memberImportRoute(db: DataSource, config: MemberConfig): UploadRoute {
  const slots = Math.max(1, Math.floor(config.poolSize / 4));
  let running = 0;
  return async ({ query, requestId, body }, caller, res) => {
    const refuseUnread = (status: number, code: string, message: string, headers: Record<string, string> = {}) => {
      // The body was not read: close the connection after answering rather than draining a large upload.
      sendGraphQLError(res, status, code, message, { connection: 'close', ...headers });
      res.once('finish', () => body.destroy());
    };
    const ctx = createMemberContext(db, config, caller, requestId);
    let request;
    try {
      request = await parseImportRequest(ctx, query);
    } catch (error) {
      if (isContractError(error)) {
        const code = String(error.extensions.code);
        return refuseUnread(code === 'FORBIDDEN' ? 403 : code === 'NOT_FOUND' ? 404 : 400, code, error.message);
      }
      throw error;
    }
    const declared = Number(body.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > config.importMaxBytes) {
      return refuseUnread(413, 'BAD_USER_INPUT', `the file is larger than the limit of ${config.importMaxBytes} bytes`, {});
    }
    if (running >= slots) {
      return refuseUnread(429, 'RATE_LIMITED', `${slots} member imports are already running; retry in ${IMPORT_RETRY_AFTER_SECONDS} s`, {
        'retry-after': String(IMPORT_RETRY_AFTER_SECONDS),
      });
    }
    running += 1;
    const importId = await openImportAudit(db, ctx, request);
    let spooled: { dir: string; path: string; format: ImportFormat; bytes: number } | null = null;
    try {
      acceptUpload(body, res);
      spooled = await spoolUpload(body, body.headers['content-type'], config.importMaxBytes);
      await countRows(spooled.path, spooled.format, config.importMaxRows);
      const result = await importRows(ctx, request, spooled.path, spooled.format, importId);
      await closeImportAudit(db, importId, { status: 'COMPLETED', format: spooled.format, bytes: spooled.bytes, result });
      sendJson(res, 200, result, {
        'x-import-id': importId,
        'x-import-dry-run': String(result.dryRun),
        'x-import-total-rows': String(result.totalRows),
        'x-import-created': String(result.created),
        'x-import-already-members': String(result.alreadyMembers),
        'x-import-rejected': String(result.rejected.length),
      });
    } catch (error) {
      const refusal = error instanceof ImportTooLargeError || isContractError(error);
      await closeImportAudit(db, importId, {
        status: refusal ? 'REFUSED' : 'FAILED',
        format: spooled?.format,
        bytes: spooled?.bytes,
        refusal: (error as Error).message,
      }).catch(() => {});
      if (error instanceof ImportTooLargeError)
        return refuseUnread(413, 'BAD_USER_INPUT', `${error.message}; the limit is ${config.importMaxBytes} bytes`, { 'x-import-id': importId });
      if (isContractError(error)) {
        if (!body.readableEnded) return refuseUnread(400, String(error.extensions.code), error.message, { 'x-import-id': importId });
        return sendGraphQLError(res, 400, String(error.extensions.code), error.message, { 'x-import-id': importId });
      }
      throw error;
    } finally {
      running -= 1;
      if (spooled) await rm(spooled.dir, { recursive: true, force: true });
    }
  };
}

export const memberUploadRoutes = (db: DataSource, config: MemberConfig): Record<string, UploadRoute> => ({
  'member-import': memberImportRoute(db, config),
});
