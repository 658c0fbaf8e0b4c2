import type { Principal } from '@union/common';
import type { PartnerAccess } from '../partner-access';
import type { CostRateLimiter } from '../rate-limit';
import { graphQLRefusal, type GraphQLExchange, type RateBucket, type Refusal } from './exchange';

/** Rate-limit bucket of a caller: its partner, or for MEMBER tokens the member (a platform acts for millions of them). */
export function rateBucketOf(principal: Principal, access: PartnerAccess | null | undefined): RateBucket {
  return {
    key: `${principal.kind === 'MEMBER' ? 'member' : 'partner'}:${principal.id}`,
    perMinute: principal.kind === 'MEMBER' ? null : (access?.rateLimitPerMinute ?? null),
  };
}

export interface CostBudgetDeps {
  limiter: Pick<CostRateLimiter, 'take' | 'defaultPerMinute'>;
  /** Told of every refusal (the budget-refusal metric). */
  onRefused?: (principal: Principal) => void;
}

/** Takes `cost` from the bucket, or returns the 429 RATE_LIMITED answer with Retry-After. */
export function chargeBudget(rate: RateBucket, cost: number, deps: CostBudgetDeps, principal: Principal): Refusal | void {
  const decision = deps.limiter.take(rate.key, cost, rate.perMinute);
  if (decision.allowed) return;
  deps.onRefused?.(principal);
  const budget = rate.perMinute ?? deps.limiter.defaultPerMinute;
  const message = decision.exceedsBudget
    ? `this operation costs ${cost}, more than your whole budget of ${budget} per minute; ask for less (smaller \`first\`, fewer fields)`
    : `rate limit exceeded: this operation costs ${cost} and your budget is ${budget} per minute; retry after ${decision.retryAfterSeconds} s`;
  return graphQLRefusal(429, 'RATE_LIMITED', message, {
    headers: { 'retry-after': String(decision.retryAfterSeconds) },
    extensions: { cost, budgetPerMinute: budget, retryAfterSeconds: decision.retryAfterSeconds },
  });
}

/**
 * Stage "charge the budget": the operation's cost (from the limits stage; 1 for a request it could
 * not analyse) is taken from the caller's per-minute budget before anything runs.
 */
export function chargeCostBudget(exchange: GraphQLExchange, deps: CostBudgetDeps): Refusal | void {
  const principal = exchange.principal;
  if (!principal) throw new Error('cost budget: the request was not authenticated');
  exchange.rate = rateBucketOf(principal, exchange.access);
  exchange.cost = exchange.analysis?.cost ?? 1;
  return chargeBudget(exchange.rate, exchange.cost, deps, principal);
}
