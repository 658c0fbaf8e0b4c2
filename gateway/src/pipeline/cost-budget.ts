import type { Principal } from '@union/common';
import type { PartnerAccess } from '../partner-access';
import type { BudgetState, CostBudget } from '../rate-limit';
import { graphQLRefusal, type GraphQLExchange, type RateBucket, type Refusal } from './exchange';

/** Rate-limit bucket of a caller: its partner, or for MEMBER tokens the member (a platform acts for millions of them). */
export function rateBucketOf(principal: Principal, access: PartnerAccess | null | undefined): RateBucket {
  return {
    key: `${principal.kind === 'MEMBER' ? 'member' : 'partner'}:${principal.id}`,
    perMinute: principal.kind === 'MEMBER' ? null : (access?.rateLimitPerMinute ?? null),
  };
}

export interface CostBudgetDeps {
  limiter: Pick<CostBudget, 'take' | 'state' | 'defaultPerMinute'>;
  /** Told of every refusal (the budget-refusal metric). */
  onRefused?: (principal: Principal) => void;
}

/**
 * Takes `cost` from the bucket, or returns the 429 RATE_LIMITED answer with Retry-After. Either
 * way `budget` is told what the caller has left (the RateLimit-* headers of the answer).
 */
export async function chargeBudget(
  rate: RateBucket,
  cost: number,
  deps: CostBudgetDeps,
  principal: Principal,
  budget: (state: BudgetState) => void = () => {},
): Promise<Refusal | void> {
  const decision = await deps.limiter.take(rate.key, cost, rate.perMinute);
  budget(decision);
  if (decision.allowed) return;
  deps.onRefused?.(principal);
  const perMinute = rate.perMinute ?? deps.limiter.defaultPerMinute;
  const message = decision.exceedsBudget
    ? `this operation costs ${cost}, more than your whole budget of ${perMinute} per minute; ask for less (smaller \`first\`, fewer fields)`
    : `rate limit exceeded: this operation costs ${cost} and your budget is ${perMinute} per minute; retry after ${decision.retryAfterSeconds} s`;
  return graphQLRefusal(429, 'RATE_LIMITED', message, {
    headers: { 'retry-after': String(decision.retryAfterSeconds) },
    extensions: { cost, budgetPerMinute: perMinute, retryAfterSeconds: decision.retryAfterSeconds },
  });
}

/**
 * Stage "charge the budget": the operation's cost (from the limits stage; 1 for a request it could
 * not analyse) is taken from the caller's per-minute budget before anything runs.
 */
export function chargeCostBudget(exchange: GraphQLExchange, deps: CostBudgetDeps): Promise<Refusal | void> {
  const principal = exchange.principal;
  if (!principal) throw new Error('cost budget: the request was not authenticated');
  exchange.rate = rateBucketOf(principal, exchange.access);
  exchange.cost = exchange.analysis?.cost ?? 1;
  return chargeBudget(exchange.rate, exchange.cost, deps, principal, (state) => (exchange.budget = state));
}

/**
 * For a request an earlier stage refused after authentication (limits, introspection): what the
 * caller has left, read without spending, so that refusal carries the RateLimit-* headers too.
 */
export async function readBudgetOfRefused(exchange: GraphQLExchange, deps: CostBudgetDeps): Promise<void> {
  if (!exchange.principal || exchange.budget || !exchange.refusal) return;
  const rate = rateBucketOf(exchange.principal, exchange.access);
  exchange.budget = await deps.limiter.state(rate.key, rate.perMinute);
}
