import { randomUUID } from 'node:crypto';
import { memberToken, partnerToken } from '../testkit/client';
import { keepServiceDown, killService } from '../testkit/processes';
import { scrapeMetric } from '../testkit/metrics';
import { startSystem, type RunningSystem } from '../testkit/system';

/**
 * The gateway answers plain JSON POSTs of scope-checked documents on its own planned path
 * (gateway/src/planned-execution.ts) and everything else through Apollo Server. The two must be
 * indistinguishable: each request here is sent as it is (planned: no Accept header to negotiate)
 * and with an Accept header Apollo negotiates to the same JSON (so Apollo answers it), and the
 * two answers are compared: status, content type, Retry-After and body. The gateway's
 * `union_gateway_executions_total{path}` shows which path answered each.
 */

let system: RunningSystem;
let district: string;
let member: string;
let memberId: string;
let organizationId: string;

/** An Accept header Apollo answers with JSON but the planned path leaves to Apollo's negotiation. */
const NEGOTIATED = 'application/json, text/plain, */*';

beforeAll(async () => {
  system = await startSystem();
  district = await partnerToken(system, 'districtUnion');
  memberId = system.credentials.members[0].id;
  member = await memberToken(system, memberId);
  organizationId = system.credentials.partners.districtUnion.organizationId!;
});
afterAll(async () => {
  await system?.stop();
});

interface Answer {
  status: number;
  contentType: string | null;
  retryAfter: string | null;
  body: string;
}

async function post(token: string, payload: unknown, accept?: string): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  if (accept) headers.accept = accept;
  const response = await fetch(system.gatewayUrl, { method: 'POST', headers, body: JSON.stringify(payload) });
  // Error ids are random per answer; everything else must match.
  const body = (await response.text()).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>');
  return { status: response.status, contentType: response.headers.get('content-type'), retryAfter: response.headers.get('retry-after'), body };
}

const executions = async () => ({
  planned: await scrapeMetric(system.gatewayUrl, 'union_gateway_executions_total', { path: 'planned' }),
  apollo: await scrapeMetric(system.gatewayUrl, 'union_gateway_executions_total', { path: 'apollo' }),
});

/** Sends the payload both ways; returns the two answers and how many of each path the pair took. */
async function bothWays(token: string, payload: unknown) {
  const before = await executions();
  const planned = await post(token, payload);
  const middle = await executions();
  const apollo = await post(token, payload, NEGOTIATED);
  const after = await executions();
  return {
    planned,
    apollo,
    firstBy: middle.planned > before.planned ? 'planned' : middle.apollo > before.apollo ? 'apollo' : 'none',
    secondBy: after.apollo > middle.apollo ? 'apollo' : after.planned > middle.planned ? 'planned' : 'none',
  };
}

const MEMBER = `query MemberById($id: ID!) { member(id: $id) { id displayName cardNumber status organization { id name } } }`;
const FEDERATED = `query MemberWithBenefits($id: ID!) { member(id: $id) { id displayName points { balance } vouchers { totalCount } } }`;
const SHAPES = `
  query Shapes($id: ID!, $withOrg: Boolean!, $skipPoints: Boolean!) {
    __typename
    first: member(id: $id) { ...Who kind: __typename organization @include(if: $withOrg) { name } points @skip(if: $skipPoints) { balance } }
    again: member(id: $id) { id }
  }
  fragment Who on Member { id displayName }
`;
const MEMBERS = `query ($org: ID!) { organization(id: $org) { name members(first: 3) { totalCount nodes { id displayName points { balance } } } } }`;
const TWO_OPERATIONS = `query A($id: ID!) { member(id: $id) { id } } query B($id: ID!) { member(id: $id) { displayName } }`;

describe('the planned path answers as Apollo Server does', () => {
  const cases: Array<[string, () => [string, unknown]]> = [
    ['member(id) with organization', () => [district, { query: MEMBER, variables: { id: memberId } }]],
    ['the federated read (member, points, benefit)', () => [district, { query: FEDERATED, variables: { id: memberId } }]],
    [
      'aliases, fragments, __typename, @include and @skip on variables',
      () => [district, { query: SHAPES, variables: { id: memberId, withOrg: true, skipPoints: true } }],
    ],
    ['a list with entities from two subgraphs', () => [district, { query: MEMBERS, variables: { org: organizationId } }]],
    ['a member that does not exist (null)', () => [district, { query: MEMBER, variables: { id: '999999999' } }]],
    ['the operation picked by name', () => [district, { query: TWO_OPERATIONS, operationName: 'A', variables: { id: memberId } }]],
    ['a member token on me', () => [member, { query: `{ me { id displayName } }` }]],
    ['introspection, answered by the gateway itself', () => [district, { query: `{ __type(name: "Member") { name fields { name type { name kind } } } }` }]],
    [
      'a mutation refused by its subgraph (no such batch), writing nothing',
      () => [
        member,
        { query: `mutation ($b: ID!, $k: String) { claimVoucher(batchId: $b, idempotencyKey: $k) { id } }`, variables: { b: '999999999', k: randomUUID() } },
      ],
    ],
  ];

  test.each(cases)('%s', async (_name, request) => {
    const [token, payload] = request();
    const { planned, apollo, firstBy, secondBy } = await bothWays(token, payload);
    expect([firstBy, secondBy]).toEqual(['planned', 'apollo']);
    expect(planned).toEqual(apollo);
    expect(planned.contentType).toBe('application/json; charset=utf-8');
    expect(JSON.parse(planned.body)).toHaveProperty('data');
  });

  test('an error from a subgraph is formatted alike (path, contract code, no service name)', async () => {
    const claim = `mutation ($b: ID!, $k: String) { claimVoucher(batchId: $b, idempotencyKey: $k) { id } }`;
    const { planned, firstBy } = await bothWays(member, { query: claim, variables: { b: '999999999', k: randomUUID() } });
    expect(firstBy).toBe('planned');
    expect(JSON.parse(planned.body)).toEqual({
      errors: [{ message: 'voucher batch not found', path: ['claimVoucher'], extensions: { code: 'NOT_FOUND' } }],
      data: null,
    });
  });

  test('what the planned path cannot run as sent goes to Apollo, which refuses it in its own words', async () => {
    const badVariables = await bothWays(district, { query: MEMBER, variables: { id: { not: 'an id' } } });
    expect([badVariables.firstBy, badVariables.secondBy]).toEqual(['apollo', 'apollo']);
    expect(badVariables.planned).toEqual(badVariables.apollo);
    expect(badVariables.planned.status).toBe(400);
    expect(JSON.parse(badVariables.planned.body).errors[0].extensions.code).toBe('BAD_USER_INPUT');

    const persisted = { version: 1, sha256Hash: 'ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38' };
    const persistedQuery = await bothWays(district, { query: MEMBER, variables: { id: memberId }, extensions: { persistedQuery: persisted } });
    expect([persistedQuery.firstBy, persistedQuery.secondBy]).toEqual(['apollo', 'apollo']);
    expect(persistedQuery.planned).toEqual(persistedQuery.apollo);
    expect(JSON.parse(persistedQuery.planned.body).errors[0]).toMatchObject({ message: 'PersistedQueryNotSupported', extensions: { code: 'BAD_USER_INPUT' } });
  });
});

describe('with the benefit subgraph killed', () => {
  beforeAll(async () => {
    await killService('benefit', system.subgraphUrls.benefit);
  });

  /** Both ways while benefit is down (the supervisor restarts it: a pair it came back during is sent again). */
  async function whileDown(token: string, payload: unknown) {
    for (let attempt = 1; ; attempt += 1) {
      await keepServiceDown('benefit', system.subgraphUrls.benefit);
      const pair = await bothWays(token, payload);
      if (JSON.stringify(pair.planned) === JSON.stringify(pair.apollo) || attempt === 3) return pair;
    }
  }

  test('an answer that lost everything is 503 with Retry-After on both paths; a partial one 200', async () => {
    const nothing = await whileDown(member, { query: `query ($b: ID!) { voucherBatch(id: $b) { id } }`, variables: { b: randomUUID() } });
    expect([nothing.firstBy, nothing.secondBy]).toEqual(['planned', 'apollo']);
    expect(nothing.planned).toEqual(nothing.apollo);
    expect(nothing.planned.status).toBe(503);
    expect(Number(nothing.planned.retryAfter)).toBeGreaterThan(0);

    const partial = await whileDown(district, { query: FEDERATED, variables: { id: memberId } });
    expect(partial.planned).toEqual(partial.apollo);
    expect(partial.planned.status).toBe(200);
    expect(JSON.parse(partial.planned.body).errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
  });
});
