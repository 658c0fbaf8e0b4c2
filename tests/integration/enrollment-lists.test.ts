import { csvCell, DEMO_PARTNERS, INTERNAL_TOKEN_HEADER, maskCardNumber, maskName, maskPhone, type Principal, signInternalToken } from '@union/common';
import { SCALE_ROOT_ID, seedScale } from '../../scripts/src/seed-scale';
import { boundedCountSql } from '../../subgraphs/member/src/modules/member/member.loaders';
import { CHILDREN_PAGE_SQL } from '../../subgraphs/member/src/modules/organization/organization.loaders';
import { codes, type MemberHarness, startMemberHarness, statsDrift } from './enrollment-harness';
import { scrapeMetric } from '../testkit/metrics';

const SCALE_MEMBERS = 40_000;

const MEMBERS = `query Members($id: ID!, $filter: MemberFilter, $first: Int, $after: String) {
  organization(id: $id) { members(filter: $filter, first: $first, after: $after) {
    nodes { id cardNumber fullName displayName phone status realNameVerified newEmploymentForm joinedAt organization { id } }
    pageInfo { hasNextPage endCursor } totalCount } }
}`;
const STATS = `query Stats($id: ID!) { organization(id: $id) { stats { memberCount activeMemberCount realNameVerifiedCount realNameVerificationRate newEmploymentFormCount } } }`;
const CHILDREN = `query Children($id: ID!) { organization(id: $id) { children(first: 1) { pageInfo { endCursor } } } }`;

let h: MemberHarness;
let scaleUnion: Principal;

beforeAll(async () => {
  h = await startMemberHarness(300);
  // A small load first: the test of --replace then removes few rows (each delete checks the tables that reference members).
  await seedScale(h.config.databaseUrl, { members: 500 });
  scaleUnion = h.union(SCALE_ROOT_ID);
});
afterAll(() => h?.stop());

const sqlCount = async (where: string, params: unknown[] = []) =>
  Number((await h.sql.query(`SELECT count(*) AS n FROM members m WHERE ${where}`, params)).rows[0].n);
const pathOf = async (id: string) => (await h.sql.query(`SELECT path FROM organizations WHERE id = $1`, [id])).rows[0].path as string;
const inSubtree = `m.org_path >= $1 AND m.org_path < left($1, -1) || '0'`;

describe('scale data (seed:scale)', () => {
  it('refuses to load twice unless asked to replace, and replaces cleanly', async () => {
    await expect(seedScale(h.config.databaseUrl, { members: 10 })).rejects.toThrow(/already loaded/);
    // Replacing keeps everything else (the demo members) untouched.
    const demo = await sqlCount(`NOT (${inSubtree})`, [await pathOf(SCALE_ROOT_ID)]);
    await seedScale(h.config.databaseUrl, { members: SCALE_MEMBERS, replace: true, chunk: 15_000 });
    expect(await sqlCount(`NOT (${inSubtree})`, [await pathOf(SCALE_ROOT_ID)])).toBe(demo);
  });

  it('loads a province-shaped tree and N members with counters that match a recount', async () => {
    expect(await sqlCount(inSubtree, [await pathOf(SCALE_ROOT_ID)])).toBe(SCALE_MEMBERS);
    const organizations = Number(
      (await h.sql.query(`SELECT count(*) AS n FROM organizations WHERE path LIKE $1 || '%'`, [await pathOf(SCALE_ROOT_ID)])).rows[0].n,
    );
    // About 131,000 unions: a province's register (issue 12, goal 5).
    expect(organizations).toBeGreaterThan(125_000);
    expect(await statsDrift(h.sql)).toEqual([]);
    const stats = (await h.gql(scaleUnion, STATS, { id: SCALE_ROOT_ID })).data!.organization.stats;
    expect(stats.memberCount).toBe(SCALE_MEMBERS);
    // Roughly the generator's shares: 93 % active, 80 % verified.
    expect(stats.activeMemberCount / SCALE_MEMBERS).toBeCloseTo(0.93, 1);
    expect(stats.realNameVerificationRate).toBeCloseTo(0.8, 1);
  });
});

describe('organization members: keyset pagination', () => {
  it('walks the whole subtree in (org_path, id) order, every member exactly once', async () => {
    const expected = (await h.sql.query(`SELECT id FROM members m WHERE ${inSubtree} ORDER BY org_path, id`, [await pathOf(SCALE_ROOT_ID)])).rows.map(
      (r) => r.id,
    );
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = (await h.gql(scaleUnion, MEMBERS, { id: SCALE_ROOT_ID, first: 100, after })).data!.organization.members;
      seen.push(...page.nodes.map((n: { id: string }) => n.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);
  }, 300_000); // 400 pages one after another: minutes on a loaded 2-core machine.

  it('totalCount and stats agree with SQL, filtered or not', async () => {
    const path = await pathOf(h.data.fixtures.cityUnionOrgId);
    const city = h.principals.city;
    const total = async (filter: Record<string, unknown>) =>
      (await h.gql(city, MEMBERS, { id: h.data.fixtures.cityUnionOrgId, filter, first: 1 })).data!.organization.members.totalCount;
    expect(await total({})).toBe(await sqlCount(inSubtree, [path]));
    expect(await total({ status: 'SUSPENDED' })).toBe(await sqlCount(`${inSubtree} AND status = 'SUSPENDED'`, [path]));
    expect(await total({ realNameVerified: false })).toBe(await sqlCount(`${inSubtree} AND NOT real_name_verified`, [path]));
    expect(await total({ newEmploymentForm: true, status: 'ACTIVE' })).toBe(
      await sqlCount(`${inSubtree} AND new_employment_form AND status = 'ACTIVE'`, [path]),
    );
    expect(await total({ joinedFrom: '2020-01-01', joinedTo: '2020-12-31' })).toBe(
      await sqlCount(`${inSubtree} AND joined_at >= '2020-01-01T00:00:00+08' AND joined_at < '2021-01-01T00:00:00+08'`, [path]),
    );
    const stats = (await h.gql(city, STATS, { id: h.data.fixtures.cityUnionOrgId })).data!.organization.stats;
    expect(stats.memberCount).toBe(await sqlCount(inSubtree, [path]));
    expect(stats.activeMemberCount).toBe(await sqlCount(`${inSubtree} AND status = 'ACTIVE'`, [path]));
    expect(stats.newEmploymentFormCount).toBe(await sqlCount(`${inSubtree} AND new_employment_form`, [path]));
  });

  describe('totalCount in bounded time (totalCountIsExact)', () => {
    const COUNT = `query ($id: ID!, $filter: MemberFilter) { organization(id: $id) { members(first: 0, filter: $filter) { totalCount totalCountIsExact } } }`;
    const count = async (principal: Principal, id: string, filter: Record<string, unknown>) =>
      (await h.gql(principal, COUNT, { id, filter })).data!.organization.members as { totalCount: number; totalCountIsExact: boolean };

    it('answers exactly from the counters, complements included, and for an exact card number', async () => {
      const path = await pathOf(SCALE_ROOT_ID);
      const at = (filter: Record<string, unknown>) => count(scaleUnion, SCALE_ROOT_ID, filter);
      expect(await at({})).toEqual({ totalCount: await sqlCount(inSubtree, [path]), totalCountIsExact: true });
      expect(await at({ status: 'ACTIVE' })).toEqual({ totalCount: await sqlCount(`${inSubtree} AND status = 'ACTIVE'`, [path]), totalCountIsExact: true });
      expect(await at({ realNameVerified: false })).toEqual({
        totalCount: await sqlCount(`${inSubtree} AND NOT real_name_verified`, [path]),
        totalCountIsExact: true,
      });
      expect(await at({ newEmploymentForm: false })).toEqual({
        totalCount: await sqlCount(`${inSubtree} AND NOT new_employment_form`, [path]),
        totalCountIsExact: true,
      });
      const card = (await h.sql.query(`SELECT card_number FROM members m WHERE ${inSubtree} LIMIT 1`, [path])).rows[0].card_number;
      expect(await at({ search: card })).toEqual({ totalCount: 1, totalCountIsExact: true });
    });

    it('counts other filters exactly below the cap, and says so', async () => {
      const path = await pathOf(SCALE_ROOT_ID);
      const suspended = await sqlCount(`${inSubtree} AND status = 'SUSPENDED'`, [path]);
      expect(suspended).toBeGreaterThan(0);
      expect(suspended).toBeLessThan(10_000);
      expect(await count(scaleUnion, SCALE_ROOT_ID, { status: 'SUSPENDED' })).toEqual({ totalCount: suspended, totalCountIsExact: true });
      const joined = await sqlCount(`${inSubtree} AND status = 'LAPSED' AND joined_at >= '2019-01-01T00:00:00+08' AND joined_at < '2020-01-01T00:00:00+08'`, [
        path,
      ]);
      expect(await count(scaleUnion, SCALE_ROOT_ID, { status: 'LAPSED', joinedFrom: '2019-01-01', joinedTo: '2019-12-31' })).toEqual({
        totalCount: joined,
        totalCountIsExact: true,
      });
    });

    it('stops at 10,000 matches: a lower bound, marked not exact', async () => {
      const path = await pathOf(SCALE_ROOT_ID);
      // No counter holds "active and verified": tens of thousands match in the scale tree.
      expect(await sqlCount(`${inSubtree} AND status = 'ACTIVE' AND real_name_verified`, [path])).toBeGreaterThan(10_000);
      expect(await count(scaleUnion, SCALE_ROOT_ID, { status: 'ACTIVE', realNameVerified: true })).toEqual({ totalCount: 10_000, totalCountIsExact: false });
      // The same filter in a smaller subtree is counted exactly.
      const cityId = (await h.sql.query(`SELECT id FROM organizations WHERE parent_id = $1 ORDER BY name LIMIT 1`, [SCALE_ROOT_ID])).rows[0].id as string;
      const cityPath = await pathOf(cityId);
      const inCity = await sqlCount(`${inSubtree} AND status = 'ACTIVE' AND real_name_verified`, [cityPath]);
      if (inCity <= 10_000) {
        expect(await count(scaleUnion, cityId, { status: 'ACTIVE', realNameVerified: true })).toEqual({ totalCount: inCity, totalCountIsExact: true });
      }
    });

    it('reads no page when only the count is asked: a filter nothing matches costs no walk of the subtree', async () => {
      const statements = () => scrapeMetric(h.baseUrl, 'union_db_statements_total');
      const filter = { status: 'LAPSED', joinedFrom: '2015-01-01', joinedTo: '2015-01-01' };
      const cost = async (query: string) => {
        const before = await statements();
        const answer = await h.gql(scaleUnion, query, { id: SCALE_ROOT_ID, filter });
        expect(answer.errors).toBeUndefined();
        return { answer: answer.data!.organization.members, statements: (await statements()) - before };
      };
      await cost(COUNT); // organization and counters now cached for neither: both reads below pay the same for them
      const countOnly = await cost(COUNT);
      const withPage = await cost(
        `query ($id: ID!, $filter: MemberFilter) { organization(id: $id) { members(first: 0, filter: $filter) { totalCount totalCountIsExact pageInfo { hasNextPage } } } }`,
      );
      expect(countOnly.answer).toEqual({ totalCount: withPage.answer.totalCount, totalCountIsExact: withPage.answer.totalCountIsExact });
      expect(withPage.answer.pageInfo).toEqual({ hasNextPage: withPage.answer.totalCount > 0 });
      expect(withPage.statements - countOnly.statements).toBe(1);
    });

    it('reads the covering subtree index alone (index-only scan), whatever the subtree', async () => {
      const statement = boundedCountSql({ status: 'SUSPENDED', newEmploymentForm: true, joinedFrom: '2019-01-01T00:00:00Z' });
      const { rows } = await h.sql.query(`EXPLAIN (FORMAT JSON) ${statement.sql}`, statement.params([await pathOf(SCALE_ROOT_ID)]));
      type PlanNode = { 'Node Type': string; 'Index Name'?: string; Plans?: PlanNode[] };
      const nodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodes)];
      // Every scan of a table or index (not the subquery and function scans around them).
      const scans = nodes(rows[0]['QUERY PLAN'][0].Plan).filter((n) => /^(Seq|Index|Index Only|Bitmap Heap|Bitmap Index) Scan$/.test(n['Node Type']));
      expect(scans.map((n) => [n['Node Type'], n['Index Name']])).toEqual([['Index Only Scan', 'members_subtree_idx']]);
    });
  });

  describe('bad input', () => {
    const list = (principal: Principal, variables: Record<string, unknown>) =>
      h.gql(principal, MEMBERS, { id: h.data.fixtures.districtUnionOrgId, ...variables });
    let cursor: string;
    beforeAll(async () => {
      cursor = (await list(h.principals.district, { first: 2 })).data!.organization.members.pageInfo.endCursor;
    });

    it('first: 1000 and first: -1 are BAD_USER_INPUT (the cap is 100)', async () => {
      expect(codes(await list(h.principals.district, { first: 1000 }))).toEqual(['BAD_USER_INPUT']);
      expect(codes(await list(h.principals.district, { first: -1 }))).toEqual(['BAD_USER_INPUT']);
      expect((await list(h.principals.district, { first: 100 })).errors).toBeUndefined();
    });

    it('a forged cursor is BAD_USER_INPUT', async () => {
      const [body, signature] = cursor.split('.');
      const decoded = JSON.parse(Buffer.from(body!, 'base64url').toString());
      decoded[1][0] = '/';
      const forged = `${Buffer.from(JSON.stringify(decoded)).toString('base64url')}.${signature}`;
      expect(codes(await list(h.principals.district, { after: forged }))).toEqual(['BAD_USER_INPUT']);
      expect(codes(await list(h.principals.district, { after: 'not-a-cursor' }))).toEqual(['BAD_USER_INPUT']);
      expect(codes(await list(h.principals.district, { after: `${body}.AAAAAAAAAAAAAAAAAAAAAA` }))).toEqual(['BAD_USER_INPUT']);
    });

    it("a foreign cursor (another organization's list, another filter, another kind of list) is BAD_USER_INPUT", async () => {
      const sibling = (await h.gql(h.principals.sibling, MEMBERS, { id: h.data.fixtures.siblingDistrictUnionOrgId, first: 1 })).data!.organization.members
        .pageInfo.endCursor;
      expect(codes(await list(h.principals.district, { after: sibling }))).toEqual(['BAD_USER_INPUT']);
      expect(codes(await list(h.principals.district, { after: cursor, filter: { status: 'ACTIVE' } }))).toEqual(['BAD_USER_INPUT']);
      const children = (await h.gql(h.principals.district, CHILDREN, { id: h.data.fixtures.districtUnionOrgId })).data!.organization.children.pageInfo
        .endCursor;
      expect(codes(await list(h.principals.district, { after: children }))).toEqual(['BAD_USER_INPUT']);
    });

    it("another union's organization answers null, so its members and stats cannot be reached", async () => {
      const response = await h.gql(h.principals.district, MEMBERS, { id: h.data.fixtures.siblingDistrictUnionOrgId });
      expect(response.data!.organization).toBeNull();
      expect(codes(await h.gql(h.principals.district, STATS, { id: h.data.fixtures.cityUnionOrgId }))).toEqual([]);
      expect((await h.gql(h.principals.district, STATS, { id: h.data.fixtures.cityUnionOrgId })).data!.organization).toBeNull();
    });

    it('a partner kind that never lists members gets none, even with member:read on its token', async () => {
      const id = h.data.fixtures.districtUnionOrgId;
      const hospital: Principal = {
        kind: 'HOSPITAL',
        id: DEMO_PARTNERS.hospital.id,
        name: DEMO_PARTNERS.hospital.name,
        scopes: ['member:read', 'member:verify'],
      };
      const member: Principal = { kind: 'MEMBER', id: h.data.fixtures.districtMembers[0]!.id, name: 'member', scopes: ['member:self', 'member:read'] };
      for (const principal of [hospital, member]) {
        const listed = await h.gql(principal, MEMBERS, { id });
        expect(codes(listed)).toEqual(['FORBIDDEN']);
        expect(listed.data?.organization ?? null).toBeNull();
        expect(codes(await h.gql(principal, STATS, { id }))).toEqual(['FORBIDDEN']);
        expect(codes(await h.gql(principal, CHILDREN, { id }))).toEqual(['FORBIDDEN']);
      }
    });
  });
});

describe('organization children: keyset pagination', () => {
  const CHILDREN_PAGE = `query Children($id: ID!, $first: Int, $after: String) {
    organization(id: $id) { children(first: $first, after: $after) { nodes { id name } pageInfo { hasNextPage endCursor } totalCount } }
  }`;
  /** The parent with the most children in the scale tree. */
  const busiestParent = async () =>
    (await h.sql.query(`SELECT parent_id AS id, count(*) AS n FROM organizations WHERE parent_id IS NOT NULL GROUP BY parent_id ORDER BY 2 DESC, 1 LIMIT 1`))
      .rows[0] as { id: string; n: string };

  it('walks all children of a parent by name ("C" collation), then id, each exactly once', async () => {
    const parent = await busiestParent();
    const expected = (await h.sql.query(`SELECT id FROM organizations WHERE parent_id = $1 ORDER BY name COLLATE "C", id`, [parent.id])).rows.map((r) => r.id);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = (await h.gql(scaleUnion, CHILDREN_PAGE, { id: parent.id, first: 7, after })).data!.organization.children;
      expect(page.totalCount).toBe(Number(parent.n));
      seen.push(...page.nodes.map((n: { id: string }) => n.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);
  });

  it('a page is an index range that starts at its cursor: no sort of all the children of the parent', async () => {
    const parent = await busiestParent();
    const [cursor] = (await h.sql.query(`SELECT name, id FROM organizations WHERE parent_id = $1 ORDER BY name COLLATE "C", id OFFSET 3 LIMIT 1`, [parent.id]))
      .rows;
    const { rows } = await h.sql.query(`EXPLAIN (FORMAT JSON) ${CHILDREN_PAGE_SQL}`, [[parent.id], [21], [cursor.name], [cursor.id]]);
    type PlanNode = { 'Node Type': string; 'Index Name'?: string; 'Index Cond'?: string; Plans?: PlanNode[] };
    const nodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodes)];
    const limit = nodes(rows[0]['QUERY PLAN'][0].Plan).find((n) => n['Node Type'] === 'Limit')!;
    const underLimit = nodes(limit).slice(1);
    expect(underLimit.map((n) => n['Node Type'])).not.toContain('Sort');
    const scan = underLimit.find((n) => n['Index Name'] === 'organizations_children_idx');
    expect(scan?.['Index Cond']).toMatch(/parent_id = .*ROW\(/s);
  });
});

describe('member(id) read by concurrent requests', () => {
  const MEMBER = `query ($id: ID!) { member(id: $id) { id fullName displayName phone } }`;

  it('shares the read between requests of one turn; each request sees only what its caller may, masked for its caller', async () => {
    const statements = () => scrapeMetric(h.baseUrl, 'union_db_statements_total');
    const own = h.data.fixtures.districtMembers.slice(0, 10);
    const foreign = own.map((_, i) => h.data.fixtures.siblingDistrictMembers[i % h.data.fixtures.siblingDistrictMembers.length]!);
    const partner = h.principals.platform; // member:read without member:pii: masked, any organization
    const phones = new Map<string, string>(
      (await h.sql.query(`SELECT id, phone FROM members WHERE id = ANY($1)`, [[...own, ...foreign].map((m) => m.id)])).rows.map((r) => [r.id, r.phone]),
    );
    let fewest = Infinity;
    for (let round = 0; round < 3; round += 1) {
      const before = await statements();
      // Each district read is paired with the sibling union asking for the same member, and the
      // platform for a sibling member: the rows are shared, what each caller gets is not.
      const answers = await Promise.all(
        own.flatMap((member, i) => [
          h.gql(h.principals.district, MEMBER, { id: member.id }),
          h.gql(h.principals.sibling, MEMBER, { id: member.id }),
          h.gql(partner, MEMBER, { id: foreign[i].id }),
        ]),
      );
      fewest = Math.min(fewest, (await statements()) - before);
      own.forEach((member, i) => {
        const [district, sibling, platform] = answers.slice(3 * i, 3 * i + 3).map((answer) => {
          expect(answer.errors).toBeUndefined();
          return answer.data!.member;
        });
        expect(district).toEqual({ id: member.id, fullName: member.fullName, displayName: maskName(member.fullName), phone: phones.get(member.id) });
        expect(sibling).toBeNull();
        expect(platform).toEqual({
          id: foreign[i].id,
          fullName: null,
          displayName: maskName(foreign[i].fullName),
          phone: maskPhone(phones.get(foreign[i].id)!),
        });
      });
    }
    // 30 requests a round: a read of members each when every request read alone (organizations are
    // cached by the process). Sent at once, they reach the subgraph in one or a few turns.
    expect(fewest).toBeLessThan(15);
  });
});

describe('search', () => {
  const search = (principal: Principal, text: string) => h.gql(principal, MEMBERS, { id: principal.organizationId, filter: { search: text }, first: 100 });

  it('finds an own member by exact card number (any case), and nobody outside the subtree', async () => {
    const own = h.data.fixtures.districtMembers[2]!;
    const found = (await search(h.principals.district, own.cardNumber.toLowerCase())).data!.organization.members;
    expect(found.nodes.map((n: { id: string }) => n.id)).toEqual([own.id]);
    expect(found.totalCount).toBe(1);
    const foreign = h.data.fixtures.siblingDistrictMembers[0]!;
    expect((await search(h.principals.district, foreign.cardNumber)).data!.organization.members.nodes).toEqual([]);
  });

  it('searches name prefixes with member:pii only', async () => {
    const own = h.data.fixtures.districtMembers[3]!;
    const surname = Array.from(own.fullName)[0]!;
    const withoutPii = { ...h.principals.district, scopes: ['member:read'] };
    expect(codes(await search(withoutPii, surname))).toEqual(['FORBIDDEN']);
    const found = (await search(h.principals.district, surname)).data!.organization.members;
    const path = await pathOf(h.data.fixtures.districtUnionOrgId);
    expect(found.totalCount).toBe(await sqlCount(`${inSubtree} AND full_name LIKE $2 || '%'`, [path, surname]));
    expect(found.nodes.every((n: { fullName: string }) => n.fullName.startsWith(surname))).toBe(true);
    expect(found.nodes.map((n: { id: string }) => n.id)).toContain(own.id);
  });

  it('refuses a name prefix over 20 characters and an inverted date range', async () => {
    expect(codes(await search(h.principals.district, '王'.repeat(21)))).toEqual(['BAD_USER_INPUT']);
    const inverted = await h.gql(h.principals.district, MEMBERS, {
      id: h.data.fixtures.districtUnionOrgId,
      filter: { joinedFrom: '2024-01-02', joinedTo: '2024-01-01' },
    });
    expect(codes(inverted)).toEqual(['BAD_USER_INPUT']);
    const impossible = await h.gql(h.principals.district, MEMBERS, { id: h.data.fixtures.districtUnionOrgId, filter: { joinedFrom: '2024-02-30' } });
    expect(codes(impossible)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('member export (GET /stream/member-export on the member subgraph)', () => {
  const exportUrl = (params: Record<string, string>) => `${h.baseUrl}/stream/member-export?${new URLSearchParams(params)}`;
  const download = async (principal: Principal | null, params: Record<string, string>, init: RequestInit = {}) =>
    fetch(exportUrl(params), { ...init, headers: principal ? { [INTERNAL_TOKEN_HEADER]: await signInternalToken(principal, h.config.internalSecret) } : {} });
  const audits = async () => (await h.sql.query(`SELECT * FROM member_exports ORDER BY started_at`)).rows;

  it('CSV with member:pii: every member of the subtree, unmasked, audited', async () => {
    const organizationId = h.data.fixtures.districtUnionOrgId;
    const response = await download(h.principals.district, { organizationId, format: 'csv' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('x-export-masked')).toBe('false');
    const lines = (await response.text()).split('\r\n').filter(Boolean);
    expect(lines[0]).toBe(
      'id,card_number,display_name,full_name,phone,status,real_name_verified,new_employment_form,joined_at,organization_id,organization_name',
    );
    const path = await pathOf(organizationId);
    expect(lines.length - 1).toBe(await sqlCount(inSubtree, [path]));
    const fixture = h.data.fixtures.districtMembers[0]!;
    const row = lines.find((l) => l.startsWith(fixture.id))!.split(',');
    expect(row[1]).toBe(fixture.cardNumber);
    expect(row[3]).toBe(fixture.fullName);

    const audit = (await audits()).find((a) => a.id === response.headers.get('x-export-id'))!;
    expect(audit).toMatchObject({
      actor_id: h.principals.district.id,
      actor_kind: 'UNION',
      organization_id: organizationId,
      format: 'csv',
      masked: false,
      status: 'COMPLETED',
      filter: {},
    });
    expect(Number(audit.row_count)).toBe(lines.length - 1);
    expect(audit.finished_at).toBeInstanceOf(Date);
  });

  it('NDJSON without member:pii: masked like the GraphQL fields, with the same filters as members', async () => {
    const principal = { ...h.principals.city, scopes: ['member:read', 'member:export'] };
    const organizationId = h.data.fixtures.cityUnionOrgId;
    const filter = { status: 'ACTIVE', newEmploymentForm: 'true', joinedFrom: '2018-01-01' };
    const response = await download(principal, { organizationId, format: 'ndjson', ...filter });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-export-masked')).toBe('true');
    const rows = (await response.text())
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    const listed = (
      await h.gql(h.principals.city, MEMBERS, {
        id: organizationId,
        filter: { status: 'ACTIVE', newEmploymentForm: true, joinedFrom: '2018-01-01' },
        first: 100,
      })
    ).data!.organization.members;
    expect(rows.length).toBe(listed.totalCount);
    expect(rows.slice(0, listed.nodes.length).map((r) => r.id)).toEqual(listed.nodes.map((n: { id: string }) => n.id));
    for (const row of rows) {
      expect(row.fullName).toBeNull();
      expect(row.cardNumber).toMatch(/^GD\*{8}\d{4}$/);
      expect(row.phone).toMatch(/^1\d\d\*{4}\d{4}$/);
      expect(row.displayName).toContain('*');
      expect(row).toMatchObject({ status: 'ACTIVE', newEmploymentForm: true });
    }
    const audit = (await audits()).find((a) => a.id === response.headers.get('x-export-id'))!;
    expect(audit).toMatchObject({ masked: true, format: 'ndjson', filter: { status: 'ACTIVE', newEmploymentForm: true, joinedFrom: '2018-01-01' } });
    expect(Number(audit.row_count)).toBe(rows.length);
  });

  it('a search (card number, name prefix) exports what members(filter: {search}) lists, in the same order', async () => {
    const organizationId = h.data.fixtures.cityUnionOrgId;
    const all = (await h.gql(h.principals.city, MEMBERS, { id: organizationId, first: 100 })).data!.organization.members.nodes as Array<{
      id: string;
    }>;
    const [someone] = (await h.sql.query(`SELECT card_number, full_name FROM members WHERE id = $1`, [all[all.length - 1]!.id])).rows;
    for (const search of [someone.card_number as string, Array.from(someone.full_name as string)[0]!]) {
      const response = await download(h.principals.city, { organizationId, format: 'ndjson', search });
      expect(response.status).toBe(200);
      const exported = (await response.text())
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { id: string }).id);
      const listed = (await h.gql(h.principals.city, MEMBERS, { id: organizationId, filter: { search }, first: 100 })).data!.organization.members;
      expect(listed.totalCount).toBeLessThanOrEqual(100);
      expect(exported).toEqual(listed.nodes.map((n: { id: string }) => n.id));
      expect(exported.length).toBeGreaterThan(0);
    }
  });

  it('every line is the member as GraphQL shows it, byte for byte: masked or not, quoted and formula-guarded in CSV, escaped in NDJSON', async () => {
    // The file is assembled from parts (PostgreSQL formats status, flags and time; the organization's
    // part is built once per organization): here each line is built whole, the obvious way.
    const organizationId = h.data.fixtures.districtUnionOrgId;
    const names = ['=SUM(A1)', '"引号",名字', '单', '𠮷野家', '换\r\n行', '-减号', '@提及', '反斜杠\\', '\t制表', '控\u0001制', '"', '𠮷,'];
    const changed = (
      await h.sql.query(
        `SELECT m.id, m.full_name, m.organization_id, o.name AS organization_name FROM members m JOIN organizations o ON o.id = m.organization_id
          WHERE ${inSubtree} ORDER BY m.id LIMIT ${names.length}`,
        [await pathOf(organizationId)],
      )
    ).rows as Array<{ id: string; full_name: string; organization_id: string; organization_name: string }>;
    // The organization of the first of them gets a name that needs quoting, a guard and escaping.
    const renamed = changed[0]!;
    try {
      for (const [i, member] of changed.entries()) await h.sql.query(`UPDATE members SET full_name = $2 WHERE id = $1`, [member.id, names[i]]);
      await h.sql.query(`UPDATE organizations SET name = $2 WHERE id = $1`, [renamed.organization_id, '+区"总工会",\n测试']);
      const rows = (
        await h.sql.query(
          `SELECT m.*, o.name AS organization_name FROM members m JOIN organizations o ON o.id = m.organization_id
            WHERE ${inSubtree} ORDER BY m.org_path, m.id`,
          [await pathOf(organizationId)],
        )
      ).rows;
      const exported = (row: Record<string, any>, masked: boolean) => ({
        id: row.id,
        cardNumber: masked ? maskCardNumber(row.card_number) : row.card_number,
        displayName: maskName(row.full_name),
        fullName: masked ? null : row.full_name,
        phone: masked ? maskPhone(row.phone) : row.phone,
        status: row.status,
        realNameVerified: row.real_name_verified,
        newEmploymentForm: row.new_employment_form,
        joinedAt: (row.joined_at as Date).toISOString(),
        organizationId: row.organization_id,
        organizationName: row.organization_name,
      });
      const header =
        'id,card_number,display_name,full_name,phone,status,real_name_verified,new_employment_form,joined_at,organization_id,organization_name\r\n';
      for (const masked of [false, true]) {
        const principal = masked ? { ...h.principals.district, scopes: ['member:read', 'member:export'] } : h.principals.district;
        const csv = await download(principal, { organizationId, format: 'csv' });
        expect(await csv.text()).toBe(header + rows.map((row) => `${Object.values(exported(row, masked)).map(csvCell).join(',')}\r\n`).join(''));
        const ndjson = await download(principal, { organizationId, format: 'ndjson' });
        expect(await ndjson.text()).toBe(rows.map((row) => `${JSON.stringify(exported(row, masked))}\n`).join(''));
      }
      expect(rows.filter((row) => names.includes(row.full_name))).toHaveLength(names.length);
      expect(rows.filter((row) => row.organization_name.startsWith('+区'))).not.toHaveLength(0);
    } finally {
      for (const member of changed) await h.sql.query(`UPDATE members SET full_name = $2 WHERE id = $1`, [member.id, member.full_name]);
      await h.sql.query(`UPDATE organizations SET name = $2 WHERE id = $1`, [renamed.organization_id, renamed.organization_name]);
    }
  });

  it('a client that hangs up stops the COPY; the audit says ABORTED with the rows sent', async () => {
    const controller = new AbortController();
    const response = await download(scaleUnion, { organizationId: SCALE_ROOT_ID, format: 'ndjson' }, { signal: controller.signal });
    const exportId = response.headers.get('x-export-id');
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    let audit: Record<string, unknown> | undefined;
    for (let i = 0; i < 100 && audit?.status !== 'ABORTED'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      audit = (await audits()).find((a) => a.id === exportId);
    }
    expect(audit?.status).toBe('ABORTED');
    expect(Number(audit!.row_count)).toBeLessThan(SCALE_MEMBERS);
    // The COPY is gone with its connection: nothing of the member subgraph's still runs it or
    // holds a transaction open.
    const leftBehind = async () =>
      Number(
        (
          await h.sql.query(
            `SELECT count(*) AS n FROM pg_stat_activity
              WHERE application_name = 'member-subgraph' AND (query LIKE 'COPY%' AND state = 'active' OR state LIKE 'idle in transaction%')`,
          )
        ).rows[0].n,
      );
    for (let i = 0; i < 100 && (await leftBehind()) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await leftBehind()).toBe(0);
  });

  it('at most a quarter of the pool streams at once; one more export is told to retry later', async () => {
    // The harness runs the subgraph with 12 connections: 3 export slots. Unread downloads hold theirs.
    const controllers = [1, 2, 3].map(() => new AbortController());
    const held = [];
    for (const controller of controllers) {
      held.push(await download(scaleUnion, { organizationId: SCALE_ROOT_ID, format: 'ndjson' }, { signal: controller.signal }));
    }
    expect(held.map((r) => r.status)).toEqual([200, 200, 200]);
    const refused = await download(h.principals.district, { organizationId: h.data.fixtures.districtUnionOrgId });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('30');
    expect(((await refused.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('RATE_LIMITED');
    // GraphQL still has connections while the exports wait on their clients.
    expect((await h.gql(h.principals.district, STATS, { id: h.data.fixtures.districtUnionOrgId })).errors).toBeUndefined();
    for (const controller of controllers) controller.abort();
    let again: Response | undefined;
    for (let i = 0; i < 100 && again?.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      again = await download(h.principals.district, { organizationId: h.data.fixtures.districtUnionOrgId });
      if (again.status !== 200) await again.text();
    }
    expect(again!.status).toBe(200);
    await again!.text();
  });

  describe('bad requests get their contract error and write no audit row', () => {
    const cases: Array<[string, () => Principal | null, Record<string, string>, number, string]> = [
      ['an unknown format', () => h.principals.district, { organizationId: 'DISTRICT', format: 'xlsx' }, 400, 'BAD_USER_INPUT'],
      ['an unknown parameter', () => h.principals.district, { organizationId: 'DISTRICT', stauts: 'ACTIVE' }, 400, 'BAD_USER_INPUT'],
      ['an unknown status', () => h.principals.district, { organizationId: 'DISTRICT', status: 'GONE' }, 400, 'BAD_USER_INPUT'],
      ['a boolean that is not one', () => h.principals.district, { organizationId: 'DISTRICT', realNameVerified: 'yes' }, 400, 'BAD_USER_INPUT'],
      ['an impossible date', () => h.principals.district, { organizationId: 'DISTRICT', joinedTo: '2024-13-01' }, 400, 'BAD_USER_INPUT'],
      ['no organizationId', () => h.principals.district, { format: 'csv' }, 400, 'BAD_USER_INPUT'],
      ["a sibling's organization", () => h.principals.district, { organizationId: 'SIBLING' }, 403, 'FORBIDDEN'],
      ['an unknown organization', () => h.principals.district, { organizationId: '00000000-0000-4000-8000-000000000000' }, 404, 'NOT_FOUND'],
      ['without member:export', () => ({ ...h.principals.district, scopes: ['member:read', 'member:pii'] }), { organizationId: 'DISTRICT' }, 403, 'FORBIDDEN'],
      [
        'a name search without member:pii',
        () => ({ ...h.principals.district, scopes: ['member:export'] }),
        { organizationId: 'DISTRICT', search: '王' },
        403,
        'FORBIDDEN',
      ],
      [
        'a caller that is not a union',
        () => ({ ...h.principals.platform, scopes: ['member:read', 'member:export'] }),
        { organizationId: 'DISTRICT' },
        403,
        'FORBIDDEN',
      ],
      ['no internal token', () => null, { organizationId: 'DISTRICT' }, 401, 'UNAUTHENTICATED'],
    ];
    it.each(cases)('%s', async (_name, principal, params, status, code) => {
      const before = (await audits()).length;
      const resolved = Object.fromEntries(
        Object.entries(params).map(([k, v]) => [
          k,
          v === 'DISTRICT' ? h.data.fixtures.districtUnionOrgId : v === 'SIBLING' ? h.data.fixtures.siblingDistrictUnionOrgId : v,
        ]),
      );
      const response = await download(principal(), resolved);
      expect(response.status).toBe(status);
      const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
      expect(body.errors[0]!.extensions.code).toBe(code);
      expect((await audits()).length).toBe(before);
    });
  });
});
