import { Client } from 'pg';
import { codes, type MemberHarness, residentId, startMemberHarness, statsDrift } from './enrollment-harness';

const ENROLL = `mutation Enroll($input: EnrollMemberInput!) {
  enrollMember(input: $input) { id cardNumber fullName displayName phone status realNameVerified newEmploymentForm joinedAt organization { id } }
}`;
const TRANSFER = `mutation Transfer($memberId: ID!, $to: ID!) {
  transferMember(memberId: $memberId, toOrganizationId: $to) { id cardNumber status realNameVerified organization { id } }
}`;
const HISTORY = `query History($id: ID!, $first: Int, $after: String) {
  member(id: $id) { id membershipHistory(first: $first, after: $after) {
    nodes { id kind fromOrganization { id } toOrganization { id } recordedBy occurredAt }
    pageInfo { hasNextPage endCursor } totalCount } }
}`;
const STATS = `query Stats($id: ID!) { organization(id: $id) { stats { memberCount activeMemberCount realNameVerifiedCount newEmploymentFormCount } } }`;

let h: MemberHarness;
let serial = 100;
/** A fresh person every call, so tests never trip over each other's ALREADY_MEMBER. */
const person = (overrides: Record<string, unknown> = {}) => ({
  fullName: '张三丰',
  idNumber: residentId(serial++, '19880512'),
  phone: `139${String(10_000_000 + serial).padStart(8, '0')}`,
  ...overrides,
});

beforeAll(async () => {
  h = await startMemberHarness();
});
afterAll(() => h?.stop());

const memberRows = async () => Number((await h.sql.query(`SELECT count(*) AS n FROM members`)).rows[0].n);
const eventRows = async () => Number((await h.sql.query(`SELECT count(*) AS n FROM membership_events`)).rows[0].n);
const orgOf = (name: string) => h.data.organizations.find((o) => o.name === name)!.id;
const stats = async (principal = h.principals.city, id = h.data.fixtures.cityUnionOrgId) => (await h.gql(principal, STATS, { id })).data!.organization.stats;

describe('enrollMember', () => {
  it('enrolls a worker into an organization of the own subtree: ACTIVE, unverified, a new card number, counted at once', async () => {
    const organizationId = orgOf('广州云途物流有限公司工会');
    const before = await stats(h.principals.district, h.data.fixtures.districtUnionOrgId);
    const input = { ...person(), organizationId, newEmploymentForm: true };
    const response = await h.gql(h.principals.district, ENROLL, { input });
    expect(response.errors).toBeUndefined();
    const member = response.data!.enrollMember;
    const year = new Date(Date.now() + 8 * 3600_000).getUTCFullYear();
    expect(member).toMatchObject({
      status: 'ACTIVE',
      realNameVerified: false,
      newEmploymentForm: true,
      fullName: '张三丰',
      displayName: '张*丰',
      phone: input.phone,
      organization: { id: organizationId },
    });
    expect(member.cardNumber).toMatch(new RegExp(`^GD${year}9\\d{7}$`));

    // Only the keyed hash and the last 4 characters of the ID number are stored.
    const stored = (await h.sql.query(`SELECT id_number_hash, id_number_last4, m.* FROM members m WHERE id = $1`, [member.id])).rows[0];
    expect(stored.id_number_last4).toBe(input.idNumber.slice(-4));
    expect(JSON.stringify(stored)).not.toContain(input.idNumber);
    expect(stored.id_number_hash).toHaveLength(32);

    const after = await stats(h.principals.district, h.data.fixtures.districtUnionOrgId);
    expect(after.memberCount).toBe(before.memberCount + 1);
    expect(after.activeMemberCount).toBe(before.activeMemberCount + 1);
    expect(after.realNameVerifiedCount).toBe(before.realNameVerifiedCount);
    expect(after.newEmploymentFormCount).toBe(before.newEmploymentFormCount + 1);
    expect(await statsDrift(h.sql)).toEqual([]);

    const history = await h.gql(h.principals.district, HISTORY, { id: member.id });
    expect(history.data!.member.membershipHistory.nodes).toEqual([
      expect.objectContaining({ kind: 'ENROLLED', fromOrganization: null, toOrganization: { id: organizationId }, recordedBy: '天河区总工会' }),
    ]);
  });

  it('masks the answer for a union without member:pii', async () => {
    const principal = { ...h.principals.district, scopes: ['member:write', 'member:read'] };
    const response = await h.gql(principal, ENROLL, { input: { ...person(), organizationId: h.data.fixtures.districtUnionOrgId } });
    const member = response.data!.enrollMember;
    expect(member.fullName).toBeNull();
    expect(member.cardNumber).toMatch(/^GD\*{8}\d{4}$/);
    expect(member.phone).toMatch(/^1\d\d\*{4}\d{4}$/);
  });

  it('starts real-name verified only when the caller asserts it with member:assert-verified', async () => {
    const verified = await h.gql(h.principals.district, ENROLL, {
      input: { ...person(), organizationId: h.data.fixtures.districtUnionOrgId, realNameVerified: true },
    });
    expect(verified.data!.enrollMember.realNameVerified).toBe(true);

    const without = { ...h.principals.district, scopes: ['member:read', 'member:write', 'member:pii'] };
    const [members, events] = [await memberRows(), await eventRows()];
    const refused = await h.gql(without, ENROLL, { input: { ...person(), organizationId: h.data.fixtures.districtUnionOrgId, realNameVerified: true } });
    expect(codes(refused)).toEqual(['FORBIDDEN']);
    expect(refused.errors![0].message).toContain('member:assert-verified');
    expect([await memberRows(), await eventRows()]).toEqual([members, events]);
    // The same union may still enroll unverified members.
    const unverified = await h.gql(without, ENROLL, { input: { ...person(), organizationId: h.data.fixtures.districtUnionOrgId } });
    expect(unverified.data!.enrollMember.realNameVerified).toBe(false);
  });

  it('one person, one membership: ALREADY_MEMBER for the same ID number anywhere, even with a lower-case x', async () => {
    const idNumber = '11010519491231002X';
    const first = await h.gql(h.principals.district, ENROLL, { input: { ...person(), idNumber, organizationId: h.data.fixtures.districtUnionOrgId } });
    expect(first.errors).toBeUndefined();
    const again = await h.gql(h.principals.sibling, ENROLL, {
      input: { ...person(), idNumber: idNumber.toLowerCase(), organizationId: h.data.fixtures.siblingDistrictUnionOrgId },
    });
    expect(codes(again)).toEqual(['ALREADY_MEMBER']);
  });

  it('ALREADY_MEMBER also when the same person is enrolled ten times at the same moment: exactly one membership', async () => {
    const idNumber = residentId(777, '19950101');
    const before = await memberRows();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        h.gql(i % 2 ? h.principals.district : h.principals.sibling, ENROLL, {
          input: { ...person(), idNumber, organizationId: i % 2 ? h.data.fixtures.districtUnionOrgId : h.data.fixtures.siblingDistrictUnionOrgId },
        }),
      ),
    );
    expect(results.filter((r) => r.data?.enrollMember).length).toBe(1);
    expect(results.flatMap(codes).sort()).toEqual(Array(9).fill('ALREADY_MEMBER'));
    expect(await memberRows()).toBe(before + 1);
    expect(await statsDrift(h.sql)).toEqual([]);
  });

  it('gives concurrent enrollments distinct card numbers', async () => {
    const results = await Promise.all(
      Array.from({ length: 25 }, () => h.gql(h.principals.city, ENROLL, { input: { ...person(), organizationId: h.data.fixtures.cityUnionOrgId } })),
    );
    const cards = results.map((r) => r.data!.enrollMember.cardNumber);
    expect(new Set(cards).size).toBe(25);
    expect(await statsDrift(h.sql)).toEqual([]);
  });

  describe('bad input gets its contract error and writes nothing', () => {
    const valid = () => ({ ...person(), organizationId: h.data.fixtures.districtUnionOrgId });
    const cases: Array<[string, () => Record<string, unknown>, string, string]> = [
      ['17-character ID number', () => ({ ...valid(), idNumber: residentId(1).slice(0, 17) }), 'BAD_USER_INPUT', '18 characters'],
      [
        'wrong check digit',
        () => {
          const id = residentId(2);
          return { ...valid(), idNumber: id.slice(0, 17) + (id[17] === '1' ? '2' : '1') };
        },
        'BAD_USER_INPUT',
        'check digit',
      ],
      ['impossible birth date (Feb 30)', () => ({ ...valid(), idNumber: residentId(3, '19900230') }), 'BAD_USER_INPUT', 'birth date'],
      ['birth date in the future', () => ({ ...valid(), idNumber: residentId(4, '20990101') }), 'BAD_USER_INPUT', 'birth date'],
      ['a child (under 16)', () => ({ ...valid(), idNumber: residentId(5, `${new Date().getUTCFullYear() - 10}0101`) }), 'BAD_USER_INPUT', '16'],
      ['10-digit phone', () => ({ ...valid(), phone: '1391234567' }), 'BAD_USER_INPUT', 'phone'],
      ['12-digit phone', () => ({ ...valid(), phone: '139123456789' }), 'BAD_USER_INPUT', 'phone'],
      ['phone with letters', () => ({ ...valid(), phone: '1391234567a' }), 'BAD_USER_INPUT', 'phone'],
      ['empty name', () => ({ ...valid(), fullName: '   ' }), 'BAD_USER_INPUT', 'fullName'],
      ['spreadsheet formula as name', () => ({ ...valid(), fullName: '=HYPERLINK("x")' }), 'BAD_USER_INPUT', 'fullName'],
      ["a sibling's organization", () => ({ ...valid(), organizationId: h.data.fixtures.siblingDistrictUnionOrgId }), 'FORBIDDEN', 'outside'],
      ['the parent organization', () => ({ ...valid(), organizationId: h.data.fixtures.cityUnionOrgId }), 'FORBIDDEN', 'outside'],
      ['an unknown organization', () => ({ ...valid(), organizationId: '00000000-0000-4000-8000-000000000000' }), 'NOT_FOUND', 'organization'],
      ['an organization id that is no id', () => ({ ...valid(), organizationId: 'tianhe' }), 'NOT_FOUND', 'organization'],
    ];
    it.each(cases)('%s', async (_name, input, code, message) => {
      const [members, events, counters] = [await memberRows(), await eventRows(), await stats()];
      const response = await h.gql(h.principals.district, ENROLL, { input: input() });
      expect(codes(response)).toEqual([code]);
      expect(response.errors![0].message).toContain(message);
      expect(response.data).toBeNull();
      expect([await memberRows(), await eventRows(), await stats()]).toEqual([members, events, counters]);
    });

    it('without member:write, or as a caller that is not a union', async () => {
      const readOnly = { ...h.principals.district, scopes: ['member:read'] };
      expect(codes(await h.gql(readOnly, ENROLL, { input: valid() }))).toEqual(['FORBIDDEN']);
      const platform = { ...h.principals.platform, scopes: ['member:read', 'member:write'] };
      expect(codes(await h.gql(platform, ENROLL, { input: valid() }))).toEqual(['FORBIDDEN']);
    });
  });
});

describe('subtree counters (statement-level triggers on members)', () => {
  it('follow status and verification changes and deletes, not only enrollments and transfers', async () => {
    const member = (
      await h.gql(h.principals.district, ENROLL, { input: { ...person(), organizationId: orgOf('广州云途物流有限公司工会'), newEmploymentForm: true } })
    ).data!.enrollMember;
    await h.sql.query(`UPDATE members SET status = 'SUSPENDED' WHERE id = $1`, [member.id]);
    expect(await statsDrift(h.sql)).toEqual([]);
    await h.sql.query(`UPDATE members SET real_name_verified = true, new_employment_form = false WHERE id = $1`, [member.id]);
    expect(await statsDrift(h.sql)).toEqual([]);
    // An update that changes nothing counted (updated_at) moves no counter.
    await h.sql.query(`UPDATE members SET updated_at = now() WHERE id = $1`, [member.id]);
    expect(await statsDrift(h.sql)).toEqual([]);
    await h.sql.query(`DELETE FROM membership_events WHERE member_id = $1`, [member.id]);
    await h.sql.query(`DELETE FROM members WHERE id = $1`, [member.id]);
    expect(await statsDrift(h.sql)).toEqual([]);
  });

  it('concurrent statements over many members with shared ancestors neither deadlock nor drift', async () => {
    // Eight disjoint groups of members from all over the tree: the statements never wait for one
    // another's member rows, only for the counter rows of their shared ancestors, which every
    // statement locks in organization id order.
    const { rows } = await h.sql.query(`SELECT id FROM members WHERE status IN ('ACTIVE', 'SUSPENDED') ORDER BY md5(id::text) LIMIT 80`);
    const groups = Array.from({ length: 8 }, (_, g) => rows.filter((_, i) => i % 8 === g).map((r) => r.id as string));
    const clients = await Promise.all(
      groups.map(async () => {
        const client = new Client({ connectionString: h.config.databaseUrl, options: '-c search_path=member' });
        await client.connect();
        return client;
      }),
    );
    try {
      await Promise.all(
        clients.map(async (client, g) => {
          for (let round = 0; round < 10; round++) {
            await client.query(`UPDATE members SET status = CASE status WHEN 'ACTIVE' THEN 'SUSPENDED' ELSE 'ACTIVE' END WHERE id = ANY($1)`, [groups[g]]);
            await client.query(`UPDATE members SET real_name_verified = NOT real_name_verified WHERE id = ANY($1)`, [groups[g]]);
          }
        }),
      );
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
    expect(await statsDrift(h.sql)).toEqual([]);
  });
});

describe('transferMember', () => {
  const enrollInto = async (organizationId: string, principal = h.principals.city) =>
    (await h.gql(principal, ENROLL, { input: { ...person(), organizationId, realNameVerified: true } })).data!.enrollMember;

  it('the city union moves a member to a sibling district: same id, card, status; counters and history follow', async () => {
    const { districtUnionOrgId, siblingDistrictUnionOrgId } = h.data.fixtures;
    const fixture = h.data.fixtures.districtMembers[0]!;
    const target = orgOf('广州惠福餐饮管理有限公司工会');
    const [districtBefore, siblingBefore, cityBefore] = [
      await stats(h.principals.district, districtUnionOrgId),
      await stats(h.principals.sibling, siblingDistrictUnionOrgId),
      await stats(),
    ];

    const response = await h.gql(h.principals.city, TRANSFER, { memberId: fixture.id, to: target });
    expect(response.errors).toBeUndefined();
    expect(response.data!.transferMember).toEqual({
      id: fixture.id,
      cardNumber: fixture.cardNumber,
      status: 'ACTIVE',
      realNameVerified: true,
      organization: { id: target },
    });

    const one = { memberCount: 1, activeMemberCount: 1, realNameVerifiedCount: 1, newEmploymentFormCount: fixture.newEmploymentForm ? 1 : 0 };
    const shifted = (s: Record<string, number>, sign: number) =>
      Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v + sign * (one as Record<string, number>)[k]!]));
    expect(await stats(h.principals.district, districtUnionOrgId)).toEqual(shifted(districtBefore, -1));
    expect(await stats(h.principals.sibling, siblingDistrictUnionOrgId)).toEqual(shifted(siblingBefore, +1));
    expect(await stats()).toEqual(cityBefore);
    expect(await statsDrift(h.sql)).toEqual([]);

    // The new union sees the member and its whole history; the old one no longer sees the member.
    const history = await h.gql(h.principals.sibling, HISTORY, { id: fixture.id });
    expect(history.data!.member.membershipHistory).toMatchObject({
      nodes: [{ kind: 'TRANSFERRED', fromOrganization: { id: fixture.organizationId }, toOrganization: { id: target }, recordedBy: '广州市总工会' }],
      totalCount: 1,
    });
    expect((await h.gql(h.principals.city, HISTORY, { id: fixture.id })).data!.member.membershipHistory.totalCount).toBe(1);
    expect((await h.gql(h.principals.district, HISTORY, { id: fixture.id })).data!.member).toBeNull();
  });

  it('a district union moves members inside its own subtree', async () => {
    const member = await enrollInto(orgOf('天河路商圈工会联合会'));
    const target = orgOf('广州天穗百货有限公司工会');
    const moved = await h.gql(h.principals.district, TRANSFER, { memberId: member.id, to: target });
    expect(moved.data!.transferMember.organization.id).toBe(target);
    const history = (await h.gql(h.principals.district, HISTORY, { id: member.id, first: 1 })).data!.member.membershipHistory;
    expect(history.nodes.map((e: { kind: string }) => e.kind)).toEqual(['ENROLLED']);
    expect(history.pageInfo.hasNextPage).toBe(true);
    const next = (await h.gql(h.principals.district, HISTORY, { id: member.id, first: 1, after: history.pageInfo.endCursor })).data!.member.membershipHistory;
    expect(next.nodes.map((e: { kind: string }) => e.kind)).toEqual(['TRANSFERRED']);
    expect(next.pageInfo.hasNextPage).toBe(false);
  });

  it('re-sending a transfer that already happened answers the member unchanged, without a second event', async () => {
    const member = await enrollInto(h.data.fixtures.districtUnionOrgId);
    const target = orgOf('珠江新城楼宇工会联合会');
    await h.gql(h.principals.district, TRANSFER, { memberId: member.id, to: target });
    const events = await eventRows();
    const again = await h.gql(h.principals.district, TRANSFER, { memberId: member.id, to: target });
    expect(again.data!.transferMember.organization.id).toBe(target);
    expect(await eventRows()).toBe(events);
  });

  it('concurrent transfers of one member leave it in exactly one place and the counters right', async () => {
    const member = await enrollInto(h.data.fixtures.cityUnionOrgId);
    const targets = [h.data.fixtures.districtUnionOrgId, h.data.fixtures.siblingDistrictUnionOrgId, orgOf('海珠区总工会'), orgOf('白云区总工会')];
    const results = await Promise.all(targets.map((to) => h.gql(h.principals.city, TRANSFER, { memberId: member.id, to })));
    expect(results.every((r) => !r.errors)).toBe(true);
    expect(await statsDrift(h.sql)).toEqual([]);
    const history = (await h.gql(h.principals.city, HISTORY, { id: member.id })).data!.member.membershipHistory.nodes;
    // Each transfer starts where the previous one ended.
    for (let i = 2; i < history.length; i++) expect(history[i].fromOrganization.id).toBe(history[i - 1].toOrganization.id);
  });

  describe('bad input gets its contract error and writes nothing', () => {
    let districtMember: { id: string };
    beforeAll(async () => {
      districtMember = await enrollInto(h.data.fixtures.districtUnionOrgId);
    });
    const attempt = async (principal: typeof h.principals.district, memberId: string, to: string) => {
      const [events, counters] = [await eventRows(), await stats()];
      const response = await h.gql(principal, TRANSFER, { memberId, to });
      expect([await eventRows(), await stats()]).toEqual([events, counters]);
      return codes(response);
    };

    it("a district union moving its member to a sibling district's organization: FORBIDDEN", async () => {
      expect(await attempt(h.principals.district, districtMember.id, h.data.fixtures.siblingDistrictUnionOrgId)).toEqual(['FORBIDDEN']);
    });
    it('a member the caller cannot see: NOT_FOUND, the same answer as for a member that does not exist', async () => {
      const siblingMember = h.data.fixtures.siblingDistrictMembers[0]!;
      expect(await attempt(h.principals.district, siblingMember.id, h.data.fixtures.districtUnionOrgId)).toEqual(['NOT_FOUND']);
      expect(await attempt(h.principals.district, '00000000-0000-4000-8000-000000000000', h.data.fixtures.districtUnionOrgId)).toEqual(['NOT_FOUND']);
      expect(await attempt(h.principals.district, 'not-an-id', h.data.fixtures.districtUnionOrgId)).toEqual(['NOT_FOUND']);
    });
    it('an unknown target organization: NOT_FOUND', async () => {
      expect(await attempt(h.principals.district, districtMember.id, '00000000-0000-4000-8000-000000000000')).toEqual(['NOT_FOUND']);
    });
    it('an ended membership: NOT_ELIGIBLE', async () => {
      const lapsed = await enrollInto(h.data.fixtures.districtUnionOrgId);
      await h.sql.query(`UPDATE members SET status = 'LAPSED' WHERE id = $1`, [lapsed.id]);
      expect(await attempt(h.principals.district, lapsed.id, orgOf('天河软件园工会联合会'))).toEqual(['NOT_ELIGIBLE']);
    });
    it('without member:write: FORBIDDEN', async () => {
      const readOnly = { ...h.principals.city, scopes: ['member:read'] };
      expect(await attempt(readOnly, districtMember.id, h.data.fixtures.siblingDistrictUnionOrgId)).toEqual(['FORBIDDEN']);
    });
  });

  it('the membership history is for the union chain only', async () => {
    const member = h.data.fixtures.districtMembers[1]!;
    const platform = await h.gql(h.principals.platform, HISTORY, { id: member.id });
    expect(codes(platform)).toEqual(['FORBIDDEN']);
    expect(codes(await h.gql(h.principals.district, HISTORY, { id: member.id, first: 101 }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await h.gql(h.principals.district, HISTORY, { id: member.id, after: 'forged.cursor' }))).toEqual(['BAD_USER_INPUT']);
  });
});
