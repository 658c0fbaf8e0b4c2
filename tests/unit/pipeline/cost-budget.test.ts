import type { Principal } from '@union/common';
import { chargeCostBudget, rateBucketOf } from '../../../gateway/src/pipeline/cost-budget';
import { CostRateLimiter } from '../../../gateway/src/rate-limit';
import { errorsOf, exchangeFor, HOSPITAL, incomingRequest } from './support';

const withCost = (cost: number, principal: Principal = HOSPITAL, rateLimitPerMinute: number | null = null) =>
  exchangeFor(incomingRequest(), {
    principal,
    access: { status: 'active', rateLimitPerMinute, introspectionAllowed: false },
    analysis: { cost } as never,
  });

describe('stage cost-budget', () => {
  it("takes the operation's cost from the partner's bucket until it is spent, then 429 with Retry-After", () => {
    let now = 0;
    const limiter = new CostRateLimiter({ defaultPerMinute: 100, now: () => now });
    const refused: Principal[] = [];
    const deps = { limiter, onRefused: (p: Principal) => refused.push(p) };
    expect(chargeCostBudget(withCost(60), deps)).toBeUndefined();
    const refusal = chargeCostBudget(withCost(60), deps);
    expect(refusal?.status).toBe(429);
    expect(Number(refusal?.headers?.['retry-after'])).toBeGreaterThan(0);
    expect(errorsOf(refusal?.body)[0].extensions).toMatchObject({ code: 'RATE_LIMITED', cost: 60, budgetPerMinute: 100 });
    expect(refused).toEqual([HOSPITAL]);
    now += 60_000;
    expect(chargeCostBudget(withCost(60), deps)).toBeUndefined();
  });

  it('refuses outright an operation costing more than the whole budget, and uses the partner-specific rate', () => {
    const limiter = new CostRateLimiter({ defaultPerMinute: 100 });
    expect(errorsOf(chargeCostBudget(withCost(150), { limiter })?.body)[0].message).toMatch(/more than your whole budget of 100/);
    expect(chargeCostBudget(withCost(150, HOSPITAL, 1000), { limiter: new CostRateLimiter({ defaultPerMinute: 100 }) })).toBeUndefined();
  });

  it('charges 1 for a request it could not analyse, and MEMBER tokens per member, not per platform', () => {
    const limiter = new CostRateLimiter({ defaultPerMinute: 100 });
    const exchange = exchangeFor(incomingRequest(), { principal: HOSPITAL, access: null, analysis: null });
    chargeCostBudget(exchange, { limiter });
    expect(exchange.cost).toBe(1);
    const member: Principal = { kind: 'MEMBER', id: 'm1', name: 'm', scopes: [], actingPartnerId: 'platform' };
    expect(rateBucketOf(member, { status: 'active', rateLimitPerMinute: 5, introspectionAllowed: false })).toEqual({ key: 'member:m1', perMinute: null });
    expect(rateBucketOf(HOSPITAL, null)).toEqual({ key: `partner:${HOSPITAL.id}`, perMinute: null });
  });
});
