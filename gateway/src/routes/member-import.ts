import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '@union/common';
import { handleMemberImport, MEMBER_IMPORT_COST, type MemberImportDeps } from '../imports';
import { PartnerAccessCache } from '../partner-access';
import { authenticateCaller, isRefusal, type AuthenticationDeps } from '../pipeline/authenticate';
import { chargeBudget, rateBucketOf, type CostBudgetDeps } from '../pipeline/cost-budget';
import { setRateLimitHeaders } from '../rate-limit';
import type { RequestRecord } from '../router';

export interface MemberImportRouteDeps {
  authentication: AuthenticationDeps;
  budget: CostBudgetDeps;
  import: MemberImportDeps;
}

/**
 * POST /imports/members: authenticate and charge the import's cost like an export, then hand the
 * file to imports.ts, which pipes it to the member subgraph and audits the outcome.
 */
export async function serveMemberImport(req: IncomingMessage, res: ServerResponse, record: RequestRecord, deps: MemberImportRouteDeps): Promise<void> {
  const caller = await authenticateCaller(req, deps.authentication);
  if (isRefusal(caller)) return sendJson(res, caller.status, caller.body, caller.headers);
  const { principal, access } = caller;
  record.partnerId = PartnerAccessCache.partnerIdOf(principal);
  record.partnerKind = principal.kind;
  const refusal = await chargeBudget(rateBucketOf(principal, access), MEMBER_IMPORT_COST, deps.budget, principal, (state) => setRateLimitHeaders(res, state));
  if (refusal) return sendJson(res, refusal.status, refusal.body, refusal.headers);
  await handleMemberImport(req, res, principal, record.requestId, deps.import);
}
