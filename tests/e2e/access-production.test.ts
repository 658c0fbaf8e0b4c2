import { createDataSource } from '@union/common';
import { runPartnerCommand } from '../../gateway/src/cli/partner';
import { GATEWAY_SCHEMA, gatewayMigrations } from '../../gateway/src/migrations';
import { errorCodes, gql, partnerToken } from '../testkit/client';
import { startSystem, type RunningSystem } from '../testkit/system';
import { eventually, postRaw } from './access-support';
import { refusingPort } from '../testkit/refusing-port';

/**
 * The production posture (NODE_ENV=production), through the real gateway: introspection only for
 * flagged partners, no "Did you mean" hints, no stack traces or subgraph URLs in errors (an error
 * id instead, with the details in the log), CSRF prevention and the body limit.
 *
 * The gateway is pointed at a points subgraph URL where nothing listens, so that a query reaching
 * points fails the way an outage would, and the test can see what a partner is told about it.
 */

let system: RunningSystem;
let deadPointsUrl: string;
const logLines: string[] = [];
let hospital: string;
let city: string;

beforeAll(async () => {
  deadPointsUrl = `http://127.0.0.1:${await refusingPort()}/graphql`;
  system = await startSystem({
    env: { NODE_ENV: 'production', PARTNER_CACHE_SECONDS: '0.5', POINTS_SUBGRAPH_URL: deadPointsUrl },
    log: (line) => logLines.push(line),
  });
  hospital = await partnerToken(system, 'hospital');
  city = await partnerToken(system, 'cityUnion');
});
afterAll(() => system?.stop());

describe('introspection in production', () => {
  it.each([
    ['__schema', '{ __schema { queryType { name } } }'],
    ['__type', '{ __type(name: "Member") { fields { name } } }'],
  ])('is refused with FORBIDDEN for a partner without the flag (%s)', async (_, query) => {
    const res = await gql(system, hospital, query);
    expect(res.status).toBe(403);
    expect(errorCodes(res)).toEqual(['FORBIDDEN']);
    expect(res.body.errors![0].message).toMatch(/introspection is off/);
  });

  it('still answers __typename', async () => {
    const res = await gql(system, hospital, '{ __typename }');
    expect(res.body).toEqual({ data: { __typename: 'Query' } });
  });

  it('is answered for a partner an operator flagged with the partner CLI', async () => {
    const platform = await partnerToken(system, 'platform');
    expect((await gql(system, platform, '{ __schema { queryType { name } } }')).status).toBe(403);

    const dataSource = createDataSource({
      url: system.databaseUrl,
      schema: GATEWAY_SCHEMA,
      entities: [],
      migrations: gatewayMigrations,
      poolSize: 1,
      applicationName: 'access-production-test',
    });
    await dataSource.initialize();
    const printed: string[] = [];
    try {
      const code = await runPartnerCommand(['set-introspection', system.credentials.partners.platform.id, 'on'], dataSource, {
        print: (line) => printed.push(line),
      });
      expect(code).toBe(0);
    } finally {
      await dataSource.destroy();
    }
    expect(printed.join('\n')).toMatch(/introspection on/);

    await eventually(async () => (await gql(system, platform, '{ __schema { queryType { name } } }')).status === 200, 3000);
    const res = await gql(system, platform, '{ __schema { queryType { name } } }');
    expect(res.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    // The flag is the platform's alone.
    expect((await gql(system, hospital, '{ __schema { queryType { name } } }')).status).toBe(403);
  });
});

describe('errors in production', () => {
  it('give no "Did you mean" hints about field names', async () => {
    for (const query of ['{ viewr { id } }', '{ viewer { nmae } }', '{ member(id: "x") { fulName } }']) {
      const res = await gql(system, city, query);
      expect(res.status).toBe(400);
      expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
      expect(JSON.stringify(res.body)).not.toMatch(/Did you mean|viewer"|fullName/);
    }
  });

  it('answer an unreachable subgraph with the rest of the data and SERVICE_UNAVAILABLE at its field: no stack trace, no subgraph URL or name, details in the log', async () => {
    const member = system.credentials.members[0];
    const res = await gql(system, city, 'query ($m: ID!) { member(id: $m) { id points { balance } } }', { m: member.id });
    const text = JSON.stringify(res.body);
    // Issue 10: one service down costs only its own fields (it was a pathless INTERNAL_SERVER_ERROR and member: null).
    expect(res.body.data).toEqual({ member: { id: member.id, points: null } });
    expect(errorCodes(res)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(res.body.errors![0].path).toEqual(['member', 'points']);
    const port = new URL(deadPointsUrl).port;
    for (const leak of [port, '127.0.0.1', 'ECONNREFUSED', 'stacktrace', 'points service', '.js:', 'serviceName']) expect(text).not.toContain(leak);
    expect(logLines.filter((line) => line.includes(port)).join('\n')).toMatch(/ECONNREFUSED|connect/);
  });

  it('keep contract errors as they are', async () => {
    const res = await gql(system, hospital, '{ member(id: "x") { id } }');
    expect(res.status).toBe(403);
    expect(res.body.errors![0]).toEqual({ message: 'Query.member requires scope member:read', extensions: expect.objectContaining({ code: 'FORBIDDEN' }) });
  });
});

describe('CSRF prevention and the body limit', () => {
  it('refuses a simple (non-preflighted) POST that a browser could send cross-site', async () => {
    const res = await postRaw(system, city, JSON.stringify({ query: '{ viewer { id } }' }), { 'content-type': 'text/plain' });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/Cross-Site Request Forgery|CSRF/i);
  });

  it('refuses a GET without a preflight header, and answers one with it', async () => {
    const url = `${system.gatewayUrl}?query=${encodeURIComponent('{ viewer { id } }')}`;
    const bare = await fetch(url, { headers: { authorization: `Bearer ${city}` } });
    expect(bare.status).toBe(400);
    const preflighted = await fetch(url, { headers: { authorization: `Bearer ${city}`, 'apollo-require-preflight': 'true' } });
    expect(preflighted.status).toBe(200);
    expect(((await preflighted.json()) as { data: unknown }).data).toEqual({ viewer: { id: system.credentials.partners.cityUnion.id } });
  });

  it('answers a body over the limit with 413 QUERY_TOO_COMPLEX', async () => {
    const res = await postRaw(system, city, JSON.stringify({ query: '{ viewer { id } }', variables: { pad: 'x'.repeat(300 * 1024) } }));
    expect(res.status).toBe(413);
    expect(res.json().errors![0].extensions!.code).toBe('QUERY_TOO_COMPLEX');
  });
});
