import fc from 'fast-check';
import {
  DEFAULT_MEMBER_COUNT,
  MIN_MEMBER_COUNT,
  deterministicUuid,
  generateDemoData,
  isValidResidentId,
  residentIdCheckDigit,
  type DemoData,
  type DemoMember,
  type DemoOrganization,
} from '../../subgraphs/member/src/seed/demo-data';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
// A fixed "today" keeps validity checks independent of when the suite runs.
const TODAY = new Date(Date.UTC(2026, 0, 15));

const PLATFORM_INDUSTRY_UNIONS = ['广州市快递行业工会联合会', '广州市网约车行业工会联合会', '广州市外卖配送行业工会联合会'];

function isInSubtree(orgId: string, rootId: string, byId: Map<string, DemoOrganization>): boolean {
  // Walk parents explicitly (bounded, in case a bug introduced a cycle) rather than trusting the generator's own subtree logic.
  let current: string | null = orgId;
  for (let hops = 0; current !== null && hops <= byId.size; hops++) {
    if (current === rootId) return true;
    current = byId.get(current)?.parentId ?? null;
  }
  return false;
}

function share(members: readonly DemoMember[], predicate: (m: DemoMember) => boolean): number {
  return members.filter(predicate).length / members.length;
}

describe('generateDemoData (default options)', () => {
  let data: DemoData;
  let orgById: Map<string, DemoOrganization>;

  beforeAll(() => {
    data = generateDemoData();
    orgById = new Map(data.organizations.map((o) => [o.id, o]));
  });

  it('generates the default number of members and a realistically sized tree', () => {
    expect(data.members).toHaveLength(DEFAULT_MEMBER_COUNT);
    expect(data.organizations.length).toBeGreaterThanOrEqual(60);
    expect(data.organizations.length).toBeLessThanOrEqual(120);
    const kinds = new Set(data.organizations.map((o) => o.kind));
    expect(kinds).toEqual(new Set(['FEDERATION', 'INDUSTRY_FEDERATION', 'REGIONAL', 'ENTERPRISE']));
  });

  it('is deterministic: same seed gives byte-identical output', () => {
    expect(JSON.stringify(generateDemoData())).toBe(JSON.stringify(data));
    expect(JSON.stringify(generateDemoData({ seed: 7, memberCount: 500 }))).toBe(JSON.stringify(generateDemoData({ seed: 7, memberCount: 500 })));
  });

  it('gives different ids for a different seed', () => {
    const other = generateDemoData({ seed: 12345 });
    const ids = new Set([...data.organizations, ...data.members].map((x) => x.id));
    const overlap = [...other.organizations, ...other.members].filter((x) => ids.has(x.id));
    expect(overlap).toEqual([]);
    expect(other.fixtures.districtUnionOrgId).not.toBe(data.fixtures.districtUnionOrgId);
  });

  it('keeps earlier members stable when memberCount grows', () => {
    const small = generateDemoData({ memberCount: 100 });
    expect(JSON.stringify(small.members)).toBe(JSON.stringify(data.members.slice(0, 100)));
    expect(JSON.stringify(small.organizations)).toBe(JSON.stringify(data.organizations));
    expect(JSON.stringify(small.fixtures)).toBe(JSON.stringify(data.fixtures));
  });

  it('uses unique v4-shaped UUIDs for every organization and member', () => {
    const ids = [...data.organizations, ...data.members].map((x) => x.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(UUID_V4);
  });

  it('lists every parent before its children, and every parentId exists', () => {
    const seen = new Set<string>();
    for (const org of data.organizations) {
      if (org.parentId !== null) {
        expect(orgById.has(org.parentId)).toBe(true);
        expect(seen.has(org.parentId)).toBe(true);
      }
      seen.add(org.id);
    }
  });

  it('has exactly two roots: 广东省总工会 and 聊城市总工会', () => {
    const roots = data.organizations.filter((o) => o.parentId === null);
    expect(roots.map((o) => o.name).sort()).toEqual(['广东省总工会', '聊城市总工会'].sort());
    expect(roots.every((o) => o.kind === 'FEDERATION')).toBe(true);
    // Liaocheng sponsors a demo but is not part of the Guangdong tree.
    expect(data.organizations.filter((o) => o.parentId === data.fixtures.liaochengOrgId).length).toBeGreaterThanOrEqual(2);
  });

  it('points the fixture ids at the right organizations', () => {
    const f = data.fixtures;
    const org = (id: string): DemoOrganization => {
      const o = orgById.get(id);
      if (!o) throw new Error(`missing org ${id}`);
      return o;
    };
    expect(org(f.provinceId)).toMatchObject({ name: '广东省总工会', kind: 'FEDERATION', parentId: null });
    expect(org(f.cityUnionOrgId)).toMatchObject({ name: '广州市总工会', kind: 'FEDERATION', parentId: f.provinceId });
    expect(org(f.districtUnionOrgId)).toMatchObject({ name: '天河区总工会', kind: 'FEDERATION', parentId: f.cityUnionOrgId });
    expect(org(f.siblingDistrictUnionOrgId)).toMatchObject({ name: '越秀区总工会', kind: 'FEDERATION', parentId: f.cityUnionOrgId });
    expect(org(f.liaochengOrgId)).toMatchObject({ name: '聊城市总工会', kind: 'FEDERATION', parentId: null });

    const names = new Set(data.organizations.map((o) => o.name));
    for (const name of ['深圳市总工会', '佛山市总工会', '东莞市总工会', '珠海市总工会']) {
      const city = data.organizations.find((o) => o.name === name);
      expect(city?.parentId).toBe(f.provinceId);
    }
    for (const name of [...PLATFORM_INDUSTRY_UNIONS]) {
      const union = data.organizations.find((o) => o.name === name);
      expect(union).toMatchObject({ kind: 'INDUSTRY_FEDERATION', parentId: f.cityUnionOrgId });
    }
    for (const name of ['天河路商圈工会联合会', '珠江新城楼宇工会联合会', '天河软件园工会联合会']) {
      expect(names.has(name)).toBe(true);
      const union = data.organizations.find((o) => o.name === name);
      expect(union).toMatchObject({ kind: 'REGIONAL', parentId: f.districtUnionOrgId });
    }
  });

  it('provides ACTIVE, verified district fixtures inside 天河区总工会 (and not 越秀)', () => {
    const { districtMembers, districtUnionOrgId, siblingDistrictUnionOrgId } = data.fixtures;
    expect(districtMembers.length).toBeGreaterThanOrEqual(12);
    for (const m of districtMembers) {
      expect(m.status).toBe('ACTIVE');
      expect(m.realNameVerified).toBe(true);
      expect(isInSubtree(m.organizationId, districtUnionOrgId, orgById)).toBe(true);
      expect(isInSubtree(m.organizationId, siblingDistrictUnionOrgId, orgById)).toBe(false);
    }
  });

  it('provides ACTIVE, verified sibling-district fixtures inside 越秀区总工会 (and not 天河)', () => {
    const { siblingDistrictMembers, districtUnionOrgId, siblingDistrictUnionOrgId } = data.fixtures;
    expect(siblingDistrictMembers.length).toBeGreaterThanOrEqual(3);
    for (const m of siblingDistrictMembers) {
      expect(m.status).toBe('ACTIVE');
      expect(m.realNameVerified).toBe(true);
      expect(isInSubtree(m.organizationId, siblingDistrictUnionOrgId, orgById)).toBe(true);
      expect(isInSubtree(m.organizationId, districtUnionOrgId, orgById)).toBe(false);
    }
  });

  it('includes the fixture members in members (same objects)', () => {
    const byId = new Map(data.members.map((m) => [m.id, m]));
    for (const m of [...data.fixtures.districtMembers, ...data.fixtures.siblingDistrictMembers]) {
      expect(byId.get(m.id)).toBe(m);
    }
  });

  it('places every member in an existing organization, mostly below the federations', () => {
    for (const m of data.members) expect(orgById.has(m.organizationId)).toBe(true);
    const inFederation = share(data.members, (m) => orgById.get(m.organizationId)!.kind === 'FEDERATION');
    expect(inFederation).toBeGreaterThan(0);
    expect(inFederation).toBeLessThan(0.1);
  });

  it('issues valid, unique Guangdong/Liaocheng resident ids with plausible birth dates', () => {
    const idNumbers = data.members.map((m) => m.idNumber);
    expect(new Set(idNumbers).size).toBe(idNumbers.length);
    for (const m of data.members) {
      expect(isValidResidentId(m.idNumber, TODAY)).toBe(true);
      expect(m.idNumber).toMatch(/^(4401|4403|4404|4406|4419|3715)\d{13}[\dX]$/);
      const year = Number(m.idNumber.slice(6, 10));
      expect(year).toBeGreaterThanOrEqual(1965);
      expect(year).toBeLessThanOrEqual(2003);
    }
    const liaocheng = data.members.filter((m) => isInSubtree(m.organizationId, data.fixtures.liaochengOrgId, orgById));
    expect(liaocheng.length).toBeGreaterThan(0);
    for (const m of liaocheng) expect(m.idNumber.startsWith('3715')).toBe(true);
  });

  it('issues unique mainland mobile numbers', () => {
    const phones = data.members.map((m) => m.phone);
    expect(new Set(phones).size).toBe(phones.length);
    for (const p of phones) expect(p).toMatch(/^1[35789]\d{9}$/);
  });

  it('issues unique GD card numbers that start with the join year', () => {
    const cards = data.members.map((m) => m.cardNumber);
    expect(new Set(cards).size).toBe(cards.length);
    for (const m of data.members) {
      expect(m.cardNumber).toMatch(/^GD\d{12}$/);
      expect(m.cardNumber.slice(2, 6)).toBe(String(m.joinedAt.getUTCFullYear()));
    }
  });

  it('uses realistic 2-4 character Chinese names', () => {
    for (const m of data.members) expect(m.fullName).toMatch(/^[\u4e00-\u9fff]{2,4}$/);
    // Most given names have two characters.
    expect(share(data.members, (m) => m.fullName.length >= 3)).toBeGreaterThan(0.7);
  });

  it('joins members between 2015-01-01 and 2026-06-30, after they turned 18', () => {
    const first = Date.UTC(2015, 0, 1);
    const last = Date.UTC(2026, 5, 30);
    for (const m of data.members) {
      expect(m.joinedAt).toBeInstanceOf(Date);
      expect(m.joinedAt.getTime()).toBeGreaterThanOrEqual(first);
      expect(m.joinedAt.getTime()).toBeLessThanOrEqual(last);
      const birthYear = Number(m.idNumber.slice(6, 10));
      expect(m.joinedAt.getUTCFullYear() - birthYear).toBeGreaterThanOrEqual(18);
    }
  });

  it('has plausible status, verification and new-employment-form shares', () => {
    const { members } = data;
    expect(share(members, (m) => m.status === 'ACTIVE')).toBeGreaterThan(0.88);
    expect(share(members, (m) => m.status === 'SUSPENDED')).toBeGreaterThan(0.02);
    expect(share(members, (m) => m.status === 'SUSPENDED')).toBeLessThan(0.07);
    expect(share(members, (m) => m.status === 'LAPSED')).toBeGreaterThan(0.005);
    expect(share(members, (m) => m.status === 'LAPSED')).toBeLessThan(0.04);
    expect(share(members, (m) => m.status === 'TRANSFERRED_OUT')).toBeGreaterThan(0);
    expect(share(members, (m) => m.status === 'TRANSFERRED_OUT')).toBeLessThan(0.025);

    const verified = share(members, (m) => m.realNameVerified);
    expect(verified).toBeGreaterThan(0.72);
    expect(verified).toBeLessThan(0.88);

    const nef = share(members, (m) => m.newEmploymentForm);
    expect(nef).toBeGreaterThan(0.1);
    expect(nef).toBeLessThan(0.22);
  });

  it('concentrates new-employment-form workers in the courier / ride-hailing / delivery unions', () => {
    const platformRoots = data.organizations.filter((o) => PLATFORM_INDUSTRY_UNIONS.includes(o.name)).map((o) => o.id);
    expect(platformRoots).toHaveLength(3);
    const inPlatform = (m: DemoMember): boolean => platformRoots.some((r) => isInSubtree(m.organizationId, r, orgById));
    const platform = data.members.filter(inPlatform);
    const rest = data.members.filter((m) => !inPlatform(m));
    expect(platform.length).toBeGreaterThan(30);
    expect(share(platform, (m) => m.newEmploymentForm)).toBeGreaterThan(0.6);
    expect(share(rest, (m) => m.newEmploymentForm)).toBeLessThan(0.2);
  });
});

describe('generateDemoData options', () => {
  it('rejects a memberCount too small to hold the fixtures', () => {
    expect(() => generateDemoData({ memberCount: MIN_MEMBER_COUNT - 1 })).toThrow(RangeError);
    expect(() => generateDemoData({ memberCount: 1.5 })).toThrow(RangeError);
    expect(generateDemoData({ memberCount: MIN_MEMBER_COUNT }).members).toHaveLength(MIN_MEMBER_COUNT);
  });

  it('honours fixtures for any seed', () => {
    for (const seed of [0, 1, 2, 99, 0xffffffff]) {
      const d = generateDemoData({ seed, memberCount: 200 });
      const byId = new Map(d.organizations.map((o) => [o.id, o]));
      expect(d.fixtures.districtMembers.length).toBeGreaterThanOrEqual(12);
      expect(d.fixtures.siblingDistrictMembers.length).toBeGreaterThanOrEqual(3);
      for (const m of d.fixtures.districtMembers) {
        expect(m.status === 'ACTIVE' && m.realNameVerified).toBe(true);
        expect(isInSubtree(m.organizationId, d.fixtures.districtUnionOrgId, byId)).toBe(true);
      }
      for (const m of d.fixtures.siblingDistrictMembers) {
        expect(m.status === 'ACTIVE' && m.realNameVerified).toBe(true);
        expect(isInSubtree(m.organizationId, d.fixtures.siblingDistrictUnionOrgId, byId)).toBe(true);
      }
    }
  });

  it('generates 100 000 members quickly with unique identifiers', () => {
    const started = process.hrtime.bigint();
    const d = generateDemoData({ memberCount: 100_000 });
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(d.members).toHaveLength(100_000);
    // Generous bound: only meant to catch accidental quadratic behaviour (normally well under a second).
    expect(elapsedMs).toBeLessThan(10_000);
    for (const key of ['id', 'idNumber', 'phone', 'cardNumber'] as const) {
      expect(new Set(d.members.map((m) => m[key])).size).toBe(100_000);
    }
  }, 30_000);
});

describe('deterministicUuid', () => {
  it('produces the same v4-shaped UUID for the same random sequence', () => {
    const sequence = (): (() => number) => {
      let i = 0;
      const values = [0.1, 0.5, 0.999999, 0];
      return () => values[i++ % values.length]!;
    };
    const a = deterministicUuid(sequence());
    expect(a).toMatch(UUID_V4);
    expect(deterministicUuid(sequence())).toBe(a);
  });

  it('sets the version and variant bits whatever the random input', () => {
    expect(deterministicUuid(() => 0)).toBe('00000000-0000-4000-8000-000000000000');
    expect(deterministicUuid(() => 0.9999999999)).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff');
  });
});

describe('resident identity numbers', () => {
  it('computes the GB 11643 check digit', () => {
    expect(residentIdCheckDigit('11010519491231002')).toBe('X');
    expect(residentIdCheckDigit('44010619900101001')).toMatch(/^[\dX]$/);
    expect(() => residentIdCheckDigit('1101051949123100')).toThrow(RangeError);
    expect(() => residentIdCheckDigit('1101051949123100A')).toThrow(RangeError);
  });

  it('accepts the known-good example', () => {
    expect(isValidResidentId('11010519491231002X')).toBe(true);
    expect(isValidResidentId('11010519491231002X', TODAY)).toBe(true);
  });

  it('rejects a wrong check digit', () => {
    expect(isValidResidentId('110105194912310021', TODAY)).toBe(false);
    expect(isValidResidentId('110105194912310020', TODAY)).toBe(false);
  });

  it('rejects impossible and out-of-range birth dates', () => {
    const withCheck = (first17: string): string => first17 + residentIdCheckDigit(first17);
    expect(isValidResidentId(withCheck('44010619990230001'), TODAY)).toBe(false); // 1999-02-30
    expect(isValidResidentId(withCheck('44010619990229001'), TODAY)).toBe(false); // not a leap year
    expect(isValidResidentId(withCheck('44010620000229001'), TODAY)).toBe(true); // leap year
    expect(isValidResidentId(withCheck('44010619991301001'), TODAY)).toBe(false); // month 13
    expect(isValidResidentId(withCheck('44010619990100001'), TODAY)).toBe(false); // day 0
    expect(isValidResidentId(withCheck('44010618991231001'), TODAY)).toBe(false); // before 1900
    expect(isValidResidentId(withCheck('44010620260116001'), TODAY)).toBe(false); // tomorrow
    expect(isValidResidentId(withCheck('44010620260115001'), TODAY)).toBe(true); // today
  });

  it('rejects malformed input', () => {
    expect(isValidResidentId('11010519491231002', TODAY)).toBe(false); // 17 chars
    expect(isValidResidentId('11010519491231002XX', TODAY)).toBe(false); // 19 chars
    expect(isValidResidentId('11010519491231002x', TODAY)).toBe(false); // only canonical upper-case X
    expect(isValidResidentId('1101051949123100X2', TODAY)).toBe(false);
    expect(isValidResidentId('', TODAY)).toBe(false);
    const badRegion = '00010519491231002';
    expect(isValidResidentId(badRegion + residentIdCheckDigit(badRegion), TODAY)).toBe(false);
  });

  it('accepts any real date with the right check digit and rejects every other check character', () => {
    const date = fc.date({ min: new Date(Date.UTC(1900, 0, 1)), max: new Date(Date.UTC(2025, 11, 31)), noInvalidDate: true });
    fc.assert(
      fc.property(date, fc.integer({ min: 0, max: 999 }), (birth, seq) => {
        const first17 =
          '440106' +
          String(birth.getUTCFullYear()) +
          String(birth.getUTCMonth() + 1).padStart(2, '0') +
          String(birth.getUTCDate()).padStart(2, '0') +
          String(seq).padStart(3, '0');
        const check = residentIdCheckDigit(first17);
        expect(isValidResidentId(first17 + check, TODAY)).toBe(true);
        for (const other of '0123456789X') {
          if (other !== check) expect(isValidResidentId(first17 + other, TODAY)).toBe(false);
        }
      }),
      { seed: 20240501, numRuns: 200 },
    );
  });
});
