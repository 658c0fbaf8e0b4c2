import { memberTokenExchange } from '../../scripts/src/partner-token';
import { gql, partnerToken, requestToken, type GraphQLResponse } from '../testkit/client';
import { keepServiceDown, killService } from '../testkit/processes';
import { startSystem, type RunningSystem } from '../testkit/system';

/**
 * Issue 10, item 3: one service down costs only its own fields. The points, then the benefit
 * subgraph process is killed (SIGKILL) under a started system; the gateway keeps what the other
 * services gave, with null at the missing service's fields and SERVICE_UNAVAILABLE at their paths.
 */

let system: RunningSystem;
let district: string;
let hospital: string;
let memberId: string;
let organizationId: string;

const MEMBER = `query ($id: ID!) { member(id: $id) { id displayName points { balance } vouchers { totalCount } } }`;
const MEMBERS = `query ($org: ID!) { organization(id: $org) { name members(first: 5) { nodes { id displayName points { balance } } } } }`;
const TRIES = 20;

beforeAll(async () => {
  system = await startSystem();
  [district, hospital] = await Promise.all([partnerToken(system, 'districtUnion'), partnerToken(system, 'hospital')]);
  memberId = system.credentials.members[0].id;
  organizationId = system.credentials.partners.districtUnion.organizationId!;
});
afterAll(async () => {
  await system?.stop();
});

type Errors = NonNullable<GraphQLResponse['body']['errors']>;
const paths = (errors: Errors | undefined) => (errors ?? []).map((e) => JSON.stringify(e.path));
const codes = (errors: Errors | undefined) => [...new Set((errors ?? []).map((e) => e.extensions?.code))];

function expectNoStack(response: GraphQLResponse) {
  const text = JSON.stringify(response.body);
  expect(text).not.toMatch(/stacktrace|\n\s+at |ECONNREFUSED|127\.0\.0\.1|localhost/);
}

let before: { displayName: string; vouchers: number; balance: number };

test('with every service up, the member, its points and its vouchers arrive', async () => {
  const res = await gql(system, district, MEMBER, { id: memberId });
  expect(res.body.errors).toBeUndefined();
  const member = res.body.data!.member;
  before = { displayName: member.displayName, vouchers: member.vouchers.totalCount, balance: member.points.balance };
  expect(typeof before.balance).toBe('number');
});

describe('points subgraph killed', () => {
  beforeAll(async () => {
    await killService('points', system.subgraphUrls.points);
  });

  test(`${TRIES} of ${TRIES} answers keep the member and the vouchers, with points null and SERVICE_UNAVAILABLE at ["member","points"]`, async () => {
    let held = 0;
    for (let i = 0; i < TRIES; i += 1) {
      await keepServiceDown('points', system.subgraphUrls.points);
      const res = await gql(system, district, MEMBER, { id: memberId });
      expect(res.status).toBe(200);
      expect(res.body.data?.member).toEqual({ id: memberId, displayName: before.displayName, points: null, vouchers: { totalCount: before.vouchers } });
      expect(paths(res.body.errors)).toEqual([JSON.stringify(['member', 'points'])]);
      expect(codes(res.body.errors)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(res.body.errors![0].extensions?.retryAfterSeconds).toBeGreaterThan(0);
      expectNoStack(res);
      held += 1;
    }
    expect(held).toBe(TRIES);
  });

  test('in a list, each member keeps its fields and each points field has its own error path', async () => {
    await keepServiceDown('points', system.subgraphUrls.points);
    const res = await gql(system, district, MEMBERS, { org: organizationId });
    expect(res.status).toBe(200);
    const nodes = res.body.data!.organization.members.nodes as Array<{ displayName: string; points: unknown }>;
    expect(nodes.length).toBeGreaterThan(0);
    for (const node of nodes) {
      expect(node.displayName).toEqual(expect.any(String));
      expect(node.points).toBeNull();
    }
    expect(paths(res.body.errors).sort()).toEqual(nodes.map((_, i) => JSON.stringify(['organization', 'members', 'nodes', i, 'points'])).sort());
    expect(codes(res.body.errors)).toEqual(['SERVICE_UNAVAILABLE']);
  });

  test('a query served only by the points subgraph answers 503 with Retry-After, its path and code', async () => {
    await keepServiceDown('points', system.subgraphUrls.points);
    const res = await gql(system, district, `{ rewards(first: 3) { totalCount } }`);
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.body.data ?? null).toBeNull();
    expect(paths(res.body.errors)).toEqual([JSON.stringify(['rewards'])]);
    expect(codes(res.body.errors)).toEqual(['SERVICE_UNAVAILABLE']);
    expectNoStack(res);
  });
});

describe('benefit subgraph killed as well', () => {
  beforeAll(async () => {
    await killService('benefit', system.subgraphUrls.benefit);
  });

  test(`${TRIES} of ${TRIES} answers keep the member, with points and vouchers null, each with its error`, async () => {
    for (let i = 0; i < TRIES; i += 1) {
      await keepServiceDown('points', system.subgraphUrls.points);
      await keepServiceDown('benefit', system.subgraphUrls.benefit);
      const res = await gql(system, district, MEMBER, { id: memberId });
      expect(res.status).toBe(200);
      expect(res.body.data?.member).toEqual({ id: memberId, displayName: before.displayName, points: null, vouchers: null });
      expect(paths(res.body.errors).sort()).toEqual([JSON.stringify(['member', 'points']), JSON.stringify(['member', 'vouchers'])]);
      expect(codes(res.body.errors)).toEqual(['SERVICE_UNAVAILABLE']);
      expectNoStack(res);
    }
  });

  test('a root field of the benefit subgraph is null with its error, and with nothing else in the answer it is a 503', async () => {
    await keepServiceDown('benefit', system.subgraphUrls.benefit);
    const batch = await gql(system, district, `query ($id: ID!) { voucherBatch(id: $id) { name } }`, { id: '00000000-0000-4000-8000-000000000000' });
    expect(batch.status).toBe(503);
    expect(batch.body.data).toEqual({ voucherBatch: null });
    expect(paths(batch.body.errors)).toEqual([JSON.stringify(['voucherBatch'])]);
    expect(codes(batch.body.errors)).toEqual(['SERVICE_UNAVAILABLE']);

    const claims = await gql(system, hospital, `{ discountClaims(from: "2026-01-01T00:00:00+08:00", to: "2026-02-01T00:00:00+08:00") { totalCount } }`);
    expect(claims.status).toBe(503);
    expect(Number(claims.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(paths(claims.body.errors)).toEqual([JSON.stringify(['discountClaims'])]);
    expect(codes(claims.body.errors)).toEqual(['SERVICE_UNAVAILABLE']);
  });

  test('the member subgraph alone still answers what is its own', async () => {
    const res = await gql(system, district, `query ($id: ID!) { member(id: $id) { displayName organization { name } } }`, { id: memberId });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.member.displayName).toBe(before.displayName);
  });
});

describe('member subgraph killed too (nothing left but the gateway)', () => {
  beforeAll(async () => {
    await killService('member', system.subgraphUrls.member);
  });

  test('a member query answers 503 with Retry-After and SERVICE_UNAVAILABLE at ["member"]; a member-token exchange 503 too', async () => {
    await keepServiceDown('member', system.subgraphUrls.member);
    const res = await gql(system, district, MEMBER, { id: memberId });
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.body.data).toEqual({ member: null });
    expect(paths(res.body.errors)).toEqual([JSON.stringify(['member'])]);
    expect(codes(res.body.errors)).toEqual(['SERVICE_UNAVAILABLE']);
    expectNoStack(res);

    // The platform exchanging a member id for a MEMBER token needs the member service to know the member.
    const exchange = await requestToken(system, 'platform', memberTokenExchange(memberId));
    expect(exchange.status).toBe(503);
    expect(exchange.body).toMatchObject({ error: 'temporarily_unavailable' });
  });
});
