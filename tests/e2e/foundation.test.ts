import { errorCodes, gql, memberToken, partnerToken } from '../testkit/client';
import { startSystem, type RunningSystem } from '../testkit/system';
import { statementCounts, SUBGRAPHS } from './access-support';

let system: RunningSystem;
let cityToken: string;

beforeAll(async () => {
  system = await startSystem();
  cityToken = await partnerToken(system, 'cityUnion');
});
afterAll(() => system?.stop());

describe('the gateway answers a federated query for a seeded member', () => {
  it('joins member, points and benefit data', async () => {
    const member = system.credentials.members[0];
    const res = await gql(
      system,
      cityToken,
      `query ($id: ID!) { member(id: $id) { displayName organization { name parent { name } } points { balance } vouchers { totalCount } } }`,
      { id: member.id },
    );
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    const answer = res.body.data!.member;
    const chars = Array.from(member.fullName);
    expect(answer.displayName).toBe(chars.length === 2 ? `${chars[0]}*` : `${chars[0]}${'*'.repeat(chars.length - 2)}${chars[chars.length - 1]}`);
    expect(answer.organization.name).toEqual(expect.any(String));
    expect(answer.organization.parent.name).toEqual(expect.any(String));
    expect(answer.points.balance).toEqual(expect.any(Number));
    expect(answer.vouchers.totalCount).toEqual(expect.any(Number));
  });

  it('answers null for an unknown or malformed id', async () => {
    const res = await gql(
      system,
      cityToken,
      `{ a: member(id: "00000000-0000-4000-8000-000000000000") { id } b: member(id: "not-an-id") { id } c: organization(id: "x") { id } }`,
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toEqual({ a: null, b: null, c: null });
  });
});

describe('no N+1: statements per subgraph do not grow with list length', () => {
  const query = `query ($org: ID!, $first: Int!) {
    organization(id: $org) { members(first: $first) { nodes { id displayName organization { name } points { balance transactions(first: 2) { totalCount } } vouchers { totalCount nodes { id } } } } }
  }`;

  async function countFor(first: number) {
    const before = await statementCounts(system);
    const res = await gql(system, cityToken, query, { org: system.credentials.partners.cityUnion.organizationId, first });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.organization.members.nodes).toHaveLength(first);
    const after = await statementCounts(system);
    return Object.fromEntries(SUBGRAPHS.map((name) => [name, after[name] - before[name]]));
  }

  it('issues the same number of SQL statements for 5 and for 50 members', async () => {
    // Warm-up: first statements of a pool (e.g. search_path) are not the request's, and the member
    // subgraph keeps organization rows process-wide, so both lists below find every organization cached.
    await countFor(50);
    const five = await countFor(5);
    const fifty = await countFor(50);
    expect(fifty).toEqual(five);
    for (const name of SUBGRAPHS) expect(five[name]).toBeGreaterThan(0);
  });
});

describe('bad input and faults', () => {
  it('refuses a request without a token with 401 UNAUTHENTICATED', async () => {
    const res = await gql(system, null, '{ viewer { id } }');
    expect(res.status).toBe(401);
    expect(errorCodes(res)).toEqual(['UNAUTHENTICATED']);
  });

  it('answers malformed JSON with 400 and a GraphQL error, no stack trace', async () => {
    const response = await fetch(system.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${cityToken}` },
      body: '{"query": ',
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(body)).not.toMatch(/at .*\.js:\d+/);
  });

  it('answers malformed GraphQL with 400 BAD_USER_INPUT', async () => {
    const res = await gql(system, cityToken, '{ member(id: ) { id }');
    expect(res.status).toBe(400);
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(JSON.stringify(res.body)).not.toContain('stacktrace');
  });

  it('answers an unknown field with 400 BAD_USER_INPUT', async () => {
    const res = await gql(system, cityToken, '{ member(id: "x") { salary } }');
    expect(res.status).toBe(400);
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
  });

  it.each([...SUBGRAPHS, 'events'] as const)('the %s subgraph refuses direct calls, _service and _entities included', async (name) => {
    for (const query of ['{ _service { sdl } }', '{ _entities(representations: [{__typename: "Member", id: "x"}]) { __typename } }']) {
      const response = await fetch(system.subgraphUrls[name], {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      });
      expect(response.status).toBe(401);
      expect(await response.text()).toContain('UNAUTHENTICATED');
    }
  });

  it('a MEMBER token reads its own member through `me`', async () => {
    const member = system.credentials.members[1];
    const token = await memberToken(system, member.id);
    const res = await gql(system, token, '{ me { id displayName fullName points { balance } } viewer { kind id } }');
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.me).toMatchObject({ id: member.id, fullName: null });
    expect(res.body.data!.viewer).toEqual({ kind: 'MEMBER', id: member.id });
  });
});
