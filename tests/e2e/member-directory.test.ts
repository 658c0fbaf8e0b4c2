import { type MemberFacts, signMemberAccessFacts } from '@union/common';
import { gql, type GraphQLResponse, partnerToken } from '../testkit/client';
import { demoPartnerPrincipal, postInternalGraphQL } from '../testkit/subgraph-harness';
import { startSystem, type RunningSystem } from '../testkit/system';
import { statementsDuring } from './access-support';

/**
 * Issue 12: the member's facts travel with the federated read (Member.accessFacts, signed by the
 * member subgraph, @required by benefit and points), so benefit and points decide access without
 * calling the member subgraph back; facts that are not genuine, or too old, are never believed.
 */

let system: RunningSystem;
let district: string;
let memberId: string;
let siblingOrg: string;

const FEDERATED = `query ($id: ID!) { member(id: $id) { id displayName points { balance } vouchers { totalCount } } }`;
const PLAIN = `query ($id: ID!) { member(id: $id) { id displayName } }`;
const ENTITIES = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Member { id points { balance } } } }`;
const VOUCHER_ENTITIES = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Member { id vouchers { totalCount } } } }`;

beforeAll(async () => {
  system = await startSystem();
  district = await partnerToken(system, 'districtUnion');
  memberId = system.credentials.members[0].id;
  siblingOrg = system.credentials.partners.siblingDistrictUnion.organizationId!;
}, 180_000);
afterAll(async () => {
  await system?.stop();
});

test('the public schema has no accessFacts: partners cannot ask for it', async () => {
  const res = await gql(system, district, `query ($id: ID!) { member(id: $id) { id accessFacts } }`, { id: memberId });
  expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  expect(res.body.errors?.[0]?.message).toMatch(/Cannot query field "accessFacts"/);
  expect(res.body.data).toBeUndefined();
});

test('the federated read costs the member subgraph no more statements than the member alone: no call back for facts', async () => {
  // Warm: plans, pools and the organization node cache.
  expect((await gql(system, district, FEDERATED, { id: memberId })).body.errors).toBeUndefined();
  const plain = await statementsDuring(system, () => gql(system, district, PLAIN, { id: memberId }));
  let answer: GraphQLResponse<Record<string, any>> | undefined;
  const federated = await statementsDuring(system, async () => (answer = await gql(system, district, FEDERATED, { id: memberId })));
  expect(answer!.body.errors).toBeUndefined();
  expect(typeof answer!.body.data!.member.points.balance).toBe('number');
  expect(typeof answer!.body.data!.member.vouchers.totalCount).toBe('number');
  expect(federated.member).toBe(plain.member);
  expect(federated.points).toBe(1);
  expect(federated.benefit).toBe(1);
});

describe('benefit and points believe only genuine, fresh facts', () => {
  const sibling = () => demoPartnerPrincipal('siblingDistrictUnion', ['member:read'], siblingOrg);
  const claimed = (): MemberFacts => ({
    id: memberId,
    status: 'ACTIVE',
    realNameVerified: true,
    organizationId: siblingOrg,
    // What a forger would claim: the member under the sibling district.
    organizationChain: [siblingOrg],
  });
  const ask = (url: string, query: string, accessFacts: string) =>
    postInternalGraphQL<{ _entities: unknown[] }>(url, system.secrets.INTERNAL_SECRET, sibling(), query, {
      r: [{ __typename: 'Member', id: memberId, accessFacts }],
    });

  test('control: facts signed with INTERNAL_SECRET are what decides (the sibling is let in on the claim)', async () => {
    const signed = signMemberAccessFacts(claimed(), system.secrets.INTERNAL_SECRET);
    const answer = await ask(system.subgraphUrls.points, ENTITIES, signed);
    expect(answer.errors).toBeUndefined();
    expect(answer.data!._entities[0]).toMatchObject({ id: memberId, points: { balance: expect.any(Number) } });
  });

  test.each([
    ['signed with another secret', () => signMemberAccessFacts(claimed(), 'z'.repeat(48))],
    ['expired', () => signMemberAccessFacts(claimed(), system.secrets.INTERNAL_SECRET, Date.now() - 60_000)],
    ['for another member', () => signMemberAccessFacts({ ...claimed(), id: system.credentials.members[1].id }, system.secrets.INTERNAL_SECRET)],
  ])('facts %s are ignored: the member directory is asked, and the sibling district is refused', async (_, facts) => {
    for (const [url, query] of [
      [system.subgraphUrls.points, ENTITIES],
      [system.subgraphUrls.benefit, VOUCHER_ENTITIES],
    ]) {
      const answer = await ask(url, query, facts());
      expect(answer.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    }
  });
});
