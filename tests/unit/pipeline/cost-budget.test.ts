import type { Principal } from '@union/common';
import { createLimiterStore } from '../../../gateway/src/limiter-store';
import { chargeCostBudget, rateBucketOf, readBudgetOfRefused } from '../../../gateway/src/pipeline/cost-budget';
import { graphQLRefusal } from '../../../gateway/src/pipeline/exchange';
import { CostBudget } from '../../../gateway/src/rate-limit';
import { errorsOf, exchangeFor, HOSPITAL, incomingRequest } from './support';

const withCost = (cost: number, principal: Principal = HOSPITAL, rateLimitPerMinute: number | null = null) =>
  exchangeFor(incomingRequest(), {
    principal,
    access: { status: 'active', rateLimitPerMinute, introspectionAllowed: false },
    analysis: { cost } as never,
  });

describe('stage cost-budget', () => {
  const budgetOf = (defaultPerMinute: number) => new CostBudget({ store: createLimiterStore(), defaultPerMinute });

  it("takes the operation's cost from the partner's budget until it is spent, then 429 with Retry-After; the exchange knows what is left", async () => {
    const limiter = budgetOf(100);
    const refused: Principal[] = [];
    const deps = { limiter, onRefused: (p: Principal) => refused.push(p) };
    const first = withCost(60);
    expect(await chargeCostBudget(first, deps)).toBeUndefined();
    expect(first.budget).toMatchObject({ limit: 100, remaining: 40 });
    const second = withCost(60);
    const refusal = await chargeCostBudget(second, deps);
    expect(refusal?.status).toBe(429);
    expect(Number(refusal?.headers?.['retry-after'])).toBeGreaterThan(0);
    expect(errorsOf(refusal?.body)[0].extensions).toMatchObject({ code: 'RATE_LIMITED', cost: 60, budgetPerMinute: 100 });
    expect(second.budget).toMatchObject({ limit: 100, remaining: 40 });
    expect(refused).toEqual([HOSPITAL]);
  });

  it('a request refused before the charge learns what is left without spending it', async () => {
    const limiter = budgetOf(100);
    await chargeCostBudget(withCost(30), { limiter });
    const refusedEarlier = withCost(10);
    refusedEarlier.refusal = graphQLRefusal(400, 'QUERY_TOO_COMPLEX', 'too deep');
    await readBudgetOfRefused(refusedEarlier, { limiter });
    expect(refusedEarlier.budget).toMatchObject({ limit: 100, remaining: 70 });
    expect(await limiter.available(`partner:${HOSPITAL.id}`)).toBe(70);
  });

  it('refuses outright an operation costing more than the whole budget, and uses the partner-specific rate', async () => {
    const limiter = budgetOf(100);
    expect(errorsOf((await chargeCostBudget(withCost(150), { limiter }))?.body)[0].message).toMatch(/more than your whole budget of 100/);
    expect(await chargeCostBudget(withCost(150, HOSPITAL, 1000), { limiter: budgetOf(100) })).toBeUndefined();
  });

  it('charges 1 for a request it could not analyse, and MEMBER tokens per member, not per platform', async () => {
    const limiter = budgetOf(100);
    const exchange = exchangeFor(incomingRequest(), { principal: HOSPITAL, access: null, analysis: null });
    await chargeCostBudget(exchange, { limiter });
    expect(exchange.cost).toBe(1);
    const member: Principal = { kind: 'MEMBER', id: 'm1', name: 'm', scopes: [], actingPartnerId: 'platform' };
    expect(rateBucketOf(member, { status: 'active', rateLimitPerMinute: 5, introspectionAllowed: false })).toEqual({ key: 'member:m1', perMinute: null });
    expect(rateBucketOf(HOSPITAL, null)).toEqual({ key: `partner:${HOSPITAL.id}`, perMinute: null });
  });
});
