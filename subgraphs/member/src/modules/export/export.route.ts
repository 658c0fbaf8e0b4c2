import type { StreamRoute } from '@union/common';
import type { DataSource } from 'typeorm';
import type { MemberConfig } from '../../config';
import { createMemberContext } from '../../context';
import { parseExportRequest, streamMemberExport } from './export.service';

/**
 * GET /stream/member-export?organizationId=...&format=csv|ndjson&status=...: the member side of the
 * gateway's GET /exports/members. The caller is the partner the gateway authenticated.
 */
export function memberExportRoute(db: DataSource, config: MemberConfig): StreamRoute {
  return async ({ query, requestId }, caller, res) => {
    const ctx = createMemberContext(db, config, caller, requestId);
    const request = await parseExportRequest(ctx, query);
    await streamMemberExport(db, ctx, request, res);
  };
}

export const memberStreamRoutes = (db: DataSource, config: MemberConfig): Record<string, StreamRoute> => ({
  'member-export': memberExportRoute(db, config),
});
