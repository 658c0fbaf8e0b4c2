import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DataSource } from 'typeorm';
import { appendAccessRecord, observeExport } from '../audit';
import { handleMemberExport, type MemberExportDeps } from '../exports';
import { authenticateCaller, isRefusal, type AuthenticationDeps } from '../pipeline/authenticate';
import { setRateLimitHeaders } from '../rate-limit';
import { chargeBudget, rateBucketOf, type CostBudgetDeps } from '../pipeline/cost-budget';
import { PartnerAccessCache } from '../partner-access';
import type { RequestRecord } from '../router';
import { sendJson } from '@union/common';

/** What a member export costs against the rate limit: it reads a whole subtree. */
export const MEMBER_EXPORT_COST = 1000;

export interface MemberExportRouteDeps {
  authentication: AuthenticationDeps;
  budget: CostBudgetDeps;
  export: MemberExportDeps;
  db: DataSource;
  logError(message: string, fields: Record<string, unknown>): void;
}

/**
 * GET /exports/members: authenticate, charge the export's cost, pipe the member subgraph's stream
 * through, then one access record per export that went out.
 */
export async function serveMemberExport(req: IncomingMessage, res: ServerResponse, record: RequestRecord, deps: MemberExportRouteDeps): Promise<void> {
  const caller = await authenticateCaller(req, deps.authentication);
  if (isRefusal(caller)) return sendJson(res, caller.status, caller.body, caller.headers);
  const { principal, access } = caller;
  record.partnerId = PartnerAccessCache.partnerIdOf(principal);
  record.partnerKind = principal.kind;
  const refusal = await chargeBudget(rateBucketOf(principal, access), MEMBER_EXPORT_COST, deps.budget, principal, (state) => setRateLimitHeaders(res, state));
  if (refusal) return sendJson(res, refusal.status, refusal.body, refusal.headers);
  const observed = observeExport(res);
  await handleMemberExport(req, res, principal, record.requestId, deps.export);
  const outcome = await observed.result();
  if (outcome.status !== 200) return;
  const filter = Object.fromEntries([...record.url.searchParams].filter(([name]) => name !== 'format'));
  try {
    await appendAccessRecord(deps.db, {
      principal,
      operationName: 'GET /exports/members',
      memberIds: [],
      fields: outcome.masked === false ? ['cardNumber', 'fullName', 'phone'] : [],
      detail: {
        export: true,
        exportId: outcome.exportId,
        filter,
        format: outcome.format,
        masked: outcome.masked,
        rows: outcome.rows,
        complete: outcome.complete,
      },
    });
  } catch (error) {
    // The file has gone out already; the member subgraph's own export log (member_exports) still has it.
    deps.logError('access record for an export not written', { exportId: outcome.exportId, err: error });
  }
}
