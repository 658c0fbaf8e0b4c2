import { Client } from 'pg';
import { launchSystem, type LaunchedSystem } from '../../scripts/src/system';
import { errorCodes, gql, partnerToken, requestToken } from '../testkit/client';
import { startOwnPostgres, type OwnPostgres } from '../testkit/own-postgres';

/**
 * Issue 10, item 4: PostgreSQL stopped in the middle of the suite (its own server, so no other
 * suite notices) and started again. Never a 500: what needs the database answers 503
 * SERVICE_UNAVAILABLE with Retry-After; partners whose status the gateway knows keep being served
 * (a disabled one stays refused); /health stays ok while /ready names what is down; everything
 * recovers unattended.
 */

let pg: OwnPostgres;
let system: LaunchedSystem;
const tokens: Record<'district' | 'hospital' | 'sibling' | 'city', string> = {} as never;
let memberId: string;
let organizationId: string;

beforeAll(async () => {
  pg = await startOwnPostgres();
  const verbose = process.env.UNION_TEST_LOGS === '1';
  // Partner status re-read every second, so the outage outlasts the cache and the fallback to the last known status is what serves.
  system = await launchSystem({
    databaseUrl: pg.url,
    persist: false,
    env: { PARTNER_CACHE_SECONDS: '1' },
    log: verbose ? (line) => console.log(line) : () => {},
  });
  [tokens.district, tokens.hospital, tokens.sibling, tokens.city] = await Promise.all([
    partnerToken(system, 'districtUnion'),
    partnerToken(system, 'hospital'),
    partnerToken(system, 'siblingDistrictUnion'),
    partnerToken(system, 'cityUnion'),
  ]);
  memberId = system.credentials.members[0].id;
  organizationId = system.credentials.partners.districtUnion.organizationId!;
}, 240_000);
afterAll(async () => {
  await system?.stop();
  await pg?.destroy();
}, 240_000);

const MEMBER = `query ($id: ID!) { member(id: $id) { displayName points { balance } } }`;
const VIEWER = `{ viewer { kind id name scopes } }`;
const AWARD = `mutation ($input: AwardPointsInput!) { awardPoints(input: $input) { id } }`;
const get = (path: string, token?: string) => fetch(`${system.baseUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
const subgraphBase = (name: 'member' | 'benefit' | 'points') => system.subgraphUrls[name].replace(/\/graphql$/, '');

async function waitUntil(what: string, ok: () => Promise<boolean>, ms = 90_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await ok().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} within ${ms} ms`);
}

test('all up: /ready is 200 on the gateway and every subgraph', async () => {
  const gateway = await get('/ready');
  expect(gateway.status).toBe(200);
  expect(await gateway.json()).toMatchObject({ status: 'ready', service: 'gateway', down: [] });
  for (const name of ['member', 'benefit', 'points'] as const) {
    const res = await fetch(`${subgraphBase(name)}/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ready', service: name, checks: { database: { status: 'up' } } });
  }
});

describe('PostgreSQL stopped', () => {
  const statuses: number[] = [];
  const ROUNDS = 5;

  beforeAll(async () => {
    // Known to the gateway before the outage: district and hospital (active), sibling (disabled meanwhile).
    expect((await gql(system, tokens.district, MEMBER, { id: memberId })).status).toBe(200);
    expect((await gql(system, tokens.hospital, VIEWER)).status).toBe(200);
    const sql = new Client({ connectionString: pg.url });
    await sql.connect();
    await sql.query(`UPDATE gateway.partners SET status = 'disabled', disabled_at = now() WHERE id = $1`, [
      system.credentials.partners.siblingDistrictUnion.id,
    ]);
    await sql.end();
    await waitUntil('the disabled partner is refused', async () => (await gql(system, tokens.sibling, VIEWER)).status === 401, 10_000);
    await pg.stop();
    // Longer than PARTNER_CACHE_SECONDS: the cache has to fall back on what it last knew.
    await new Promise((resolve) => setTimeout(resolve, 1500));
  });

  test(`${ROUNDS} rounds of every kind of request: no 500, 503 with Retry-After where the database is needed`, async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      // Needs the member database: 503, SERVICE_UNAVAILABLE at the field's path.
      const member = await gql(system, tokens.district, MEMBER, { id: memberId });
      statuses.push(member.status);
      expect(member.status).toBe(503);
      expect(Number(member.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(errorCodes(member)).toContain('SERVICE_UNAVAILABLE');
      expect(member.body.errors!.find((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE')!.path).toEqual(['member']);
      expect(JSON.stringify(member.body)).not.toMatch(/INTERNAL_SERVER_ERROR|stacktrace|ECONNREFUSED|postgres:/);

      // A write: refused, retryable.
      const award = await gql(system, tokens.district, AWARD, { input: { memberId, rule: 'ACTIVITY', sourceRef: `outage-${round}`, amount: 5 } });
      statuses.push(award.status);
      expect(award.status).toBe(503);
      expect(errorCodes(award)).toEqual(['SERVICE_UNAVAILABLE']);

      // Known active partner, nothing the database is needed for: served from the last known status.
      const viewer = await gql(system, tokens.hospital, VIEWER);
      statuses.push(viewer.status);
      expect(viewer.status).toBe(200);
      expect(viewer.body.data!.viewer.kind).toBe('HOSPITAL');

      // Known disabled: stays refused.
      const sibling = await gql(system, tokens.sibling, VIEWER);
      statuses.push(sibling.status);
      expect(sibling.status).toBe(401);

      // Never seen before the outage: its status cannot be checked, so 503 (not a 500, not let in).
      const city = await gql(system, tokens.city, VIEWER);
      statuses.push(city.status);
      expect(city.status).toBe(503);
      expect(Number(city.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(errorCodes(city)).toEqual(['SERVICE_UNAVAILABLE']);

      // The token endpoint needs the partner registry.
      const token = await requestToken(system, 'districtUnion');
      statuses.push(token.status);
      expect(token.status).toBe(503);
      expect(token.body).toMatchObject({ error: 'temporarily_unavailable', code: 'SERVICE_UNAVAILABLE' });

      // A member export streams from the member database.
      const exported = await get(`/exports/members?organizationId=${organizationId}&format=ndjson`, tokens.district);
      statuses.push(exported.status);
      expect(exported.status).toBe(503);
      expect(Number(exported.headers.get('retry-after'))).toBeGreaterThan(0);
      await exported.text();
    }
    expect(statuses.filter((status) => status >= 500 && status !== 503)).toEqual([]);
  });

  test('/health stays ok (liveness); /ready is 503 and names what is down', async () => {
    expect((await get('/health')).status).toBe(200);
    const ready = await get('/ready');
    expect(ready.status).toBe(503);
    expect(Number(ready.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await ready.json()) as { status: string; down: string[] };
    expect(body.status).toBe('unavailable');
    expect(body.down.sort()).toEqual(['database', 'subgraph:benefit', 'subgraph:events', 'subgraph:member', 'subgraph:points']);
    // Reachable from outside: it says what is down, never where (no host, port or connection string).
    expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|localhost|postgres:\/\//);
    for (const name of ['member', 'benefit', 'points'] as const) {
      expect((await fetch(`${subgraphBase(name)}/health`)).status).toBe(200);
      const res = await fetch(`${subgraphBase(name)}/ready`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: 'unavailable', down: ['database'] });
    }
  });
});

describe('PostgreSQL started again', () => {
  beforeAll(async () => {
    await pg.start();
  });

  test('everything recovers unattended: /ready 200, queries, tokens and the disabled partner still refused', async () => {
    await waitUntil('the gateway is ready again', async () => (await get('/ready')).status === 200);
    const member = await gql(system, tokens.district, MEMBER, { id: memberId });
    expect(member.status).toBe(200);
    expect(member.body.errors).toBeUndefined();
    expect(member.body.data!.member.displayName).toEqual(expect.any(String));
    expect((await requestToken(system, 'districtUnion')).status).toBe(200);
    expect((await gql(system, tokens.city, VIEWER)).status).toBe(200);
    expect((await gql(system, tokens.sibling, VIEWER)).status).toBe(401);
  });
});
