import { sendGraphQLError, type StreamRoute } from '@union/common';
import type { DataSource } from 'typeorm';
import type { MemberConfig } from '../../config';
import { createMemberContext } from '../../context';
import { parseExportRequest, streamMemberExport } from './export.service';

/** Seconds a partner is told to wait when every export slot is taken. */
const EXPORT_RETRY_AFTER_SECONDS = 30;

/**
 * GET /stream/member-export?organizationId=...&format=csv|ndjson&status=...: the member side of the
 * gateway's GET /exports/members. The caller is the partner the gateway authenticated.
 *
 * Each export holds one pooled connection for as long as it streams, so at most a quarter of the
 * pool streams at once; the others are answered 429 RATE_LIMITED with Retry-After, and GraphQL
 * requests always find connections.
 */
export function memberExportRoute(db: DataSource, config: MemberConfig): StreamRoute {
  const slots = Math.max(1, Math.floor(config.poolSize / 4));
  let streaming = 0;
  return async ({ query, requestId }, caller, res) => {
    const ctx = createMemberContext(db, config, caller, requestId);
    const request = await parseExportRequest(ctx, query);
    if (streaming >= slots) {
      return sendGraphQLError(res, 429, 'RATE_LIMITED', `${slots} member exports are already streaming; retry in ${EXPORT_RETRY_AFTER_SECONDS} s`, {
        'retry-after': String(EXPORT_RETRY_AFTER_SECONDS),
      });
    }
    streaming += 1;
    try {
      await streamMemberExport(db, ctx, request, res);
    } finally {
      streaming -= 1;
    }
  };
}

export const memberStreamRoutes = (db: DataSource, config: MemberConfig): Record<string, StreamRoute> => ({
  'member-export': memberExportRoute(db, config),
});
