import { Client } from 'pg';
import { residentIdCheckDigit } from '../../subgraphs/member/src/modules/enrollment/resident-id';
import { errorCodes, gql, partnerToken } from '../testkit/client';
import { startSystem, type RunningSystem } from '../testkit/system';

/**
 * Local unions through the gateway with their own tokens: the "Done when" flow of issue 7 and
 * every bad input it names.
 */

let system: RunningSystem;
let sql: Client;
let district: string;
let sibling: string;
let city: string;
let districtOrg: string;
let siblingOrg: string;

beforeAll(async () => {
  system = await startSystem();
  sql = new Client({ connectionString: system.databaseUrl, options: '-c search_path=member' });
  await sql.connect();
  [district, sibling, city] = await Promise.all([
    partnerToken(system, 'districtUnion'),
    partnerToken(system, 'siblingDistrictUnion'),
    partnerToken(system, 'cityUnion'),
  ]);
  districtOrg = system.credentials.partners.districtUnion.organizationId!;
  siblingOrg = system.credentials.partners.siblingDistrictUnion.organizationId!;
});
afterAll(async () => {
  await sql?.end();
  await system?.stop();
});

let serial = 0;
function residentId(birth = '19920614'): string {
  serial += 1;
  const first17 = `440106${birth}${String(500 + serial).padStart(3, '0')}`;
  return first17 + residentIdCheckDigit(first17);
}
const phone = () => `137${String(20_000_000 + serial).padStart(8, '0')}`;

const ENROLL = `mutation ($input: EnrollMemberInput!) {
  enrollMember(input: $input) { id cardNumber fullName displayName phone status realNameVerified newEmploymentForm organization { id name } }
}`;
const FIND = `query ($org: ID!, $filter: MemberFilter, $first: Int, $after: String) {
  organization(id: $org) { members(filter: $filter, first: $first, after: $after) {
    nodes { id cardNumber fullName status organization { id } } pageInfo { hasNextPage endCursor } totalCount } }
}`;
const TRANSFER = `mutation ($member: ID!, $to: ID!) { transferMember(memberId: $member, toOrganizationId: $to) { id cardNumber organization { id name } } }`;
const STATS = `query ($org: ID!) { organization(id: $org) { name stats { memberCount activeMemberCount realNameVerifiedCount realNameVerificationRate newEmploymentFormCount } } }`;
const HISTORY = `query ($id: ID!) { member(id: $id) { membershipHistory { nodes { kind fromOrganization { name } toOrganization { name } recordedBy } totalCount } } }`;
const CHILDREN = `query ($org: ID!) { organization(id: $org) { children(first: 100) { nodes { id name } } } }`;

const exportMembers = (token: string | null, params: Record<string, string>) =>
  fetch(`${system.baseUrl}/exports/members?${new URLSearchParams(params)}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
const memberCount = async () => Number((await sql.query(`SELECT count(*) AS n FROM members`)).rows[0].n);
const auditCount = async () => Number((await sql.query(`SELECT count(*) AS n FROM member_exports`)).rows[0].n);
const childOf = async (token: string, org: string) =>
  (await gql(system, token, CHILDREN, { org })).body.data!.organization.children.nodes[0] as { id: string; name: string };

describe('a district union enrolls, finds, and (with its city union) transfers a worker; stats and export follow', () => {
  it("runs the whole flow through the gateway with the unions' own tokens", async () => {
    // 1. Enroll into an organization of the district's own subtree (扫码入会).
    const workplace = await childOf(district, districtOrg);
    const enrolled = await gql(system, district, ENROLL, {
      input: { organizationId: workplace.id, fullName: '欧阳晓明', idNumber: residentId(), phone: phone(), newEmploymentForm: true },
    });
    expect(enrolled.body.errors).toBeUndefined();
    const worker = enrolled.body.data!.enrollMember;
    expect(worker).toMatchObject({
      fullName: '欧阳晓明',
      displayName: '欧**明',
      status: 'ACTIVE',
      realNameVerified: false,
      newEmploymentForm: true,
      organization: { id: workplace.id },
    });
    expect(worker.cardNumber).toMatch(/^GD\d{4}9\d{7}$/);

    // 2. Find them: by card number, and by name prefix (member:pii).
    const byCard = await gql(system, district, FIND, { org: districtOrg, filter: { search: worker.cardNumber } });
    expect(byCard.body.data!.organization.members.nodes).toEqual([expect.objectContaining({ id: worker.id, fullName: '欧阳晓明' })]);
    const byName = await gql(system, district, FIND, { org: districtOrg, filter: { search: '欧阳晓', newEmploymentForm: true } });
    expect(byName.body.data!.organization.members.nodes.map((n: { id: string }) => n.id)).toContain(worker.id);

    const statsOf = async (token: string, org: string) => (await gql(system, token, STATS, { org })).body.data!.organization.stats;
    const [districtBefore, siblingBefore, cityBefore] = [
      await statsOf(district, districtOrg),
      await statsOf(sibling, siblingOrg),
      await statsOf(city, system.credentials.partners.cityUnion.organizationId!),
    ];

    // 3. The district alone cannot move the worker to its sibling; the city union above both can (转会).
    const target = await childOf(sibling, siblingOrg);
    expect(errorCodes(await gql(system, district, TRANSFER, { member: worker.id, to: target.id }))).toEqual(['FORBIDDEN']);
    const moved = await gql(system, city, TRANSFER, { member: worker.id, to: target.id });
    expect(moved.body.errors).toBeUndefined();
    expect(moved.body.data!.transferMember).toEqual({ id: worker.id, cardNumber: worker.cardNumber, organization: target });

    // 4. Stats: the district lost one, the sibling gained one, the city is unchanged.
    const [districtAfter, siblingAfter, cityAfter] = [
      await statsOf(district, districtOrg),
      await statsOf(sibling, siblingOrg),
      await statsOf(city, system.credentials.partners.cityUnion.organizationId!),
    ];
    expect(districtAfter.memberCount).toBe(districtBefore.memberCount - 1);
    expect(districtAfter.newEmploymentFormCount).toBe(districtBefore.newEmploymentFormCount - 1);
    expect(siblingAfter.memberCount).toBe(siblingBefore.memberCount + 1);
    expect(siblingAfter.activeMemberCount).toBe(siblingBefore.activeMemberCount + 1);
    expect(cityAfter).toEqual(cityBefore);
    expect(districtAfter.realNameVerificationRate).toBeCloseTo(districtAfter.realNameVerifiedCount / districtAfter.memberCount, 10);

    // The district no longer finds the worker; the sibling does, with the history of the move.
    expect((await gql(system, district, FIND, { org: districtOrg, filter: { search: worker.cardNumber } })).body.data!.organization.members.totalCount).toBe(0);
    const history = await gql(system, sibling, HISTORY, { id: worker.id });
    expect(history.body.data!.member.membershipHistory).toEqual({
      nodes: [
        { kind: 'ENROLLED', fromOrganization: null, toOrganization: { name: workplace.name }, recordedBy: '天河区总工会' },
        { kind: 'TRANSFERRED', fromOrganization: { name: workplace.name }, toOrganization: { name: target.name }, recordedBy: '广州市总工会' },
      ],
      totalCount: 2,
    });

    // 5. Export the district's members through the gateway: every member of the subtree, once.
    const csv = await exportMembers(district, { organizationId: districtOrg, format: 'csv' });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="members-.*\.csv"$/);
    const lines = (await csv.text()).split('\r\n').filter(Boolean);
    expect(lines.length - 1).toBe(districtAfter.memberCount);
    expect(lines.some((l) => l.startsWith(worker.id))).toBe(false);
    const audit = (await sql.query(`SELECT * FROM member_exports WHERE id = $1`, [csv.headers.get('x-export-id')])).rows[0];
    expect(audit).toMatchObject({ actor_id: system.credentials.partners.districtUnion.id, organization_id: districtOrg, status: 'COMPLETED', masked: false });
    expect(Number(audit.row_count)).toBe(districtAfter.memberCount);

    // The sibling's NDJSON export, filtered like `members`, now holds the worker.
    const ndjson = await exportMembers(sibling, { organizationId: siblingOrg, format: 'ndjson', newEmploymentForm: 'true', status: 'ACTIVE' });
    const rows = (await ndjson.text())
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    expect(rows.find((r) => r.id === worker.id)).toMatchObject({ cardNumber: worker.cardNumber, fullName: '欧阳晓明', organizationId: target.id });
    expect(rows.every((r) => r.status === 'ACTIVE' && r.newEmploymentForm === true)).toBe(true);
  });

  it('an export without member:pii is masked', async () => {
    const readOnly = await partnerToken(system, 'districtUnion', 'member:read member:export');
    const response = await exportMembers(readOnly, { organizationId: districtOrg, format: 'ndjson' });
    expect(response.headers.get('x-export-masked')).toBe('true');
    const rows = (await response.text())
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.every((r) => r.fullName === null && /\*/.test(r.cardNumber) && /\*/.test(r.phone))).toBe(true);
  });

  it('the same person enrolled eight times at once through the gateway: one membership, seven ALREADY_MEMBER', async () => {
    const idNumber = residentId('19870301');
    const before = await memberCount();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => gql(system, district, ENROLL, { input: { organizationId: districtOrg, fullName: '林小雨', idNumber, phone: phone() } })),
    );
    expect(results.filter((r) => r.body.data?.enrollMember).length).toBe(1);
    expect(results.flatMap(errorCodes)).toEqual(Array(7).fill('ALREADY_MEMBER'));
    expect(await memberCount()).toBe(before + 1);
  });
});

describe('bad input gets its contract error and writes nothing', () => {
  const enroll = (token: string, overrides: Record<string, unknown>) =>
    gql(system, token, ENROLL, { input: { organizationId: districtOrg, fullName: '陈静', idNumber: residentId(), phone: phone(), ...overrides } });

  it.each([
    [
      'an ID number with a wrong check digit',
      () => {
        const id = residentId();
        return { idNumber: id.slice(0, 17) + (id.endsWith('0') ? '1' : '0') };
      },
    ],
    ['an impossible birth date', () => ({ idNumber: residentId('19930229') })],
    ['17 characters', () => ({ idNumber: residentId().slice(0, 17) })],
    ['a phone number of 10 digits', () => ({ phone: '1381234567' })],
    ['a phone number of 12 digits', () => ({ phone: '138123456789' })],
  ])('enrollMember with %s: BAD_USER_INPUT', async (_name, overrides) => {
    const before = await memberCount();
    const response = await enroll(district, overrides());
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.body.data).toBeNull();
    expect(await memberCount()).toBe(before);
  });

  it("enrolling into a sibling's organization: FORBIDDEN", async () => {
    const before = await memberCount();
    expect(errorCodes(await enroll(district, { organizationId: siblingOrg }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await enroll(district, { organizationId: (await childOf(sibling, siblingOrg)).id }))).toEqual(['FORBIDDEN']);
    expect(await memberCount()).toBe(before);
  });

  it('asserting real-name verification without member:assert-verified: FORBIDDEN', async () => {
    const narrow = await partnerToken(system, 'districtUnion', 'member:read member:write');
    const before = await memberCount();
    expect(errorCodes(await enroll(narrow, { realNameVerified: true }))).toEqual(['FORBIDDEN']);
    expect(await memberCount()).toBe(before);
  });

  it('transferring a member the caller cannot see: NOT_FOUND', async () => {
    const hidden = (await gql(system, sibling, FIND, { org: siblingOrg, first: 1 })).body.data!.organization.members.nodes[0].id as string;
    const events = Number((await sql.query(`SELECT count(*) AS n FROM membership_events`)).rows[0].n);
    expect(errorCodes(await gql(system, district, TRANSFER, { member: hidden, to: districtOrg }))).toEqual(['NOT_FOUND']);
    // The same answer as for a member that does not exist at all.
    expect(errorCodes(await gql(system, district, TRANSFER, { member: '00000000-0000-4000-8000-000000000000', to: districtOrg }))).toEqual(['NOT_FOUND']);
    expect(Number((await sql.query(`SELECT count(*) AS n FROM membership_events`)).rows[0].n)).toBe(events);
  });

  it('members(first: 1000): BAD_USER_INPUT', async () => {
    expect(errorCodes(await gql(system, district, FIND, { org: districtOrg, first: 1000 }))).toEqual(['BAD_USER_INPUT']);
  });

  it('a forged cursor and a foreign cursor: BAD_USER_INPUT', async () => {
    const page = (await gql(system, district, FIND, { org: districtOrg, first: 2 })).body.data!.organization.members;
    const [body, signature] = (page.pageInfo.endCursor as string).split('.');
    const position = JSON.parse(Buffer.from(body!, 'base64url').toString());
    position[1][1] = '00000000-0000-4000-8000-000000000000';
    const forged = `${Buffer.from(JSON.stringify(position)).toString('base64url')}.${signature}`;
    expect(errorCodes(await gql(system, district, FIND, { org: districtOrg, after: forged }))).toEqual(['BAD_USER_INPUT']);
    // A genuine cursor of the sibling's list, replayed against the district's list.
    const foreign = (await gql(system, sibling, FIND, { org: siblingOrg, first: 1 })).body.data!.organization.members.pageInfo.endCursor;
    expect(errorCodes(await gql(system, district, FIND, { org: districtOrg, after: foreign }))).toEqual(['BAD_USER_INPUT']);
    // And the district's own cursor under another filter.
    expect(errorCodes(await gql(system, district, FIND, { org: districtOrg, after: page.pageInfo.endCursor, filter: { status: 'SUSPENDED' } }))).toEqual([
      'BAD_USER_INPUT',
    ]);
  });

  it('an export with an unknown format: 400 BAD_USER_INPUT, nothing audited', async () => {
    const before = await auditCount();
    const response = await exportMembers(district, { organizationId: districtOrg, format: 'xlsx' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(await auditCount()).toBe(before);
  });

  it("exports without the scope, of a sibling's subtree, or without a token are refused", async () => {
    const before = await auditCount();
    const readOnly = await partnerToken(system, 'districtUnion', 'member:read');
    const codeOf = async (response: Response) => [
      response.status,
      ((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code,
    ];
    expect(await codeOf(await exportMembers(readOnly, { organizationId: districtOrg }))).toEqual([403, 'FORBIDDEN']);
    expect(await codeOf(await exportMembers(district, { organizationId: siblingOrg }))).toEqual([403, 'FORBIDDEN']);
    expect(await codeOf(await exportMembers(null, { organizationId: districtOrg }))).toEqual([401, 'UNAUTHENTICATED']);
    expect(await codeOf(await exportMembers(await partnerToken(system, 'hospital'), { organizationId: districtOrg }))).toEqual([403, 'FORBIDDEN']);
    expect(await auditCount()).toBe(before);
  });
});
