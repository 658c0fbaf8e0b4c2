import { csvCell, DEMO_PARTNERS, DEMO_PROGRAMS, type Principal } from '@union/common';
import { DEMO_HOSPITAL } from '../../subgraphs/benefit/src/seed/hospital-seed';
import { shanghaiMonth } from '../../subgraphs/benefit/src/statements';
import { codesOf, type HospitalHarness, startHospitalHarness } from './hospital-harness';

const QUOTE = `mutation($v: ID!, $amount: Int!, $programId: ID) {
  quoteHospitalDiscount(verificationId: $v, selfPaidFen: $amount, programId: $programId) {
    selfPaidFen discountFen payableFen remainingAnnualCapFen
    policy { id hospitalName rateBasisPoints perClaimCapFen annualCapFen program { id name kind } }
  }
}`;
const APPLY = `mutation($input: ApplyHospitalDiscountInput!) {
  applyHospitalDiscount(input: $input) {
    id invoiceNumber selfPaidFen discountFen payableFen status createdAt voidedAt member { id } policy { id program { id } }
  }
}`;
const VOID = `mutation($id: ID!, $reason: String!) { voidDiscountClaim(claimId: $id, reason: $reason) { id status voidedAt voidReason discountFen } }`;
const CLAIMS = `query($from: DateTime!, $to: DateTime!, $first: Int, $after: String) {
  discountClaims(from: $from, to: $to, first: $first, after: $after) {
    nodes { id invoiceNumber status discountFen selfPaidFen payableFen }
    pageInfo { hasNextPage endCursor }
    totalCount
    totals { appliedCount selfPaidFen discountFen payableFen voidedCount }
  }
}`;
const STATEMENT = `query($month: String!, $hospital: ID, $program: ID) { hospitalSettlementStatement(month: $month, hospitalPartnerId: $hospital, programId: $program) }`;

let h: HospitalHarness;
let cityMembers: Array<{ id: string; cardNumber: string; fullName: string }>;
let liaochengMember: { id: string };
let uncoveredMember: { id: string };
let invoiceSeq = 0;
const invoice = () => `INV-${Date.now()}-${(invoiceSeq += 1)}`;

beforeAll(async () => {
  h = await startHospitalHarness();
  cityMembers = await h.activeMembersUnder(h.world.organizations.districtUnionOrgId, 10);
  [liaochengMember] = await h.activeMembersUnder(h.world.organizations.liaochengOrgId, 1);
  const { rows } = await h.sql.query(
    `SELECT m.id FROM member.members m
      WHERE m.status = 'ACTIVE'
        AND NOT EXISTS (SELECT 1 FROM member.organizations o WHERE o.id = ANY($1::uuid[]) AND m.org_path LIKE o.path || '%')
      ORDER BY m.id LIMIT 1`,
    [[h.world.organizations.cityUnionOrgId, h.world.organizations.liaochengOrgId]],
  );
  uncoveredMember = rows[0];
});
afterAll(() => h?.stop());

/** The counter: the member app shows a code, the hospital scans it. */
async function verify(memberId: string, hospital: Principal = h.principals.hospital, purpose = 'HOSPITAL_DISCOUNT'): Promise<string> {
  const issued = await h.gql('member', h.member(memberId), `mutation { issueMemberCardToken { token } }`);
  const verified = await h.gql(
    'member',
    hospital,
    `mutation($t: String!, $p: VerificationPurpose!) { verifyMemberCard(token: $t, purpose: $p) { valid reason verificationId } }`,
    {
      t: issued.data!.issueMemberCardToken.token,
      p: purpose,
    },
  );
  expect(verified.data!.verifyMemberCard.valid).toBe(true);
  return verified.data!.verifyMemberCard.verificationId;
}

const apply = (hospital: Principal, input: Record<string, unknown>) => h.gql('benefit', hospital, APPLY, { input });

async function ledger(memberId?: string) {
  const claims = await h.sql.query(`SELECT count(*)::int AS n FROM benefit.discount_claims WHERE $1::uuid IS NULL OR member_id = $1`, [memberId ?? null]);
  const usage = await h.sql.query(`SELECT coalesce(sum(used_fen), 0)::int AS used FROM benefit.discount_usage WHERE $1::uuid IS NULL OR member_id = $1`, [
    memberId ?? null,
  ]);
  return { claims: claims.rows[0].n as number, used: usage.rows[0].used as number };
}

describe('quote, apply, caps, void', () => {
  let memberId: string;
  let verificationId: string;
  let firstClaim: { id: string; invoiceNumber: string };

  beforeAll(async () => {
    memberId = cityMembers[0].id;
    verificationId = await verify(memberId);
  });

  it('quotes the discount on the self-paid part without writing anything', async () => {
    const quote = (await h.gql('benefit', h.principals.hospital, QUOTE, { v: verificationId, amount: 120_000 })).data!.quoteHospitalDiscount;
    expect(quote).toMatchObject({ selfPaidFen: 120_000, discountFen: 12_000, payableFen: 108_000, remainingAnnualCapFen: 188_000 });
    expect(quote.policy).toMatchObject({
      id: DEMO_HOSPITAL.policies.cityHospital,
      hospitalName: DEMO_PARTNERS.hospital.name,
      rateBasisPoints: 1000,
      perClaimCapFen: 50_000,
      annualCapFen: 200_000,
      program: { id: DEMO_PROGRAMS.hospital, kind: 'HOSPITAL_DISCOUNT' },
    });
    expect(await ledger(memberId)).toEqual({ claims: 0, used: 0 });
  });

  it('applies the quoted discount; the same invoice again returns the original; another amount is IDEMPOTENCY_CONFLICT', async () => {
    const number = invoice();
    const first = await apply(h.principals.hospital, { verificationId, invoiceNumber: number, selfPaidFen: 120_000 });
    expect(first.errors).toBeUndefined();
    firstClaim = first.data!.applyHospitalDiscount;
    expect(firstClaim).toMatchObject({
      selfPaidFen: 120_000,
      discountFen: 12_000,
      payableFen: 108_000,
      status: 'APPLIED',
      voidedAt: null,
      member: { id: memberId },
    });
    const again = await apply(h.principals.hospital, { verificationId, invoiceNumber: number, selfPaidFen: 120_000 });
    expect(again.data!.applyHospitalDiscount).toEqual(firstClaim);
    const conflict = await apply(h.principals.hospital, { verificationId, invoiceNumber: number, selfPaidFen: 120_001 });
    expect(codesOf(conflict)).toEqual(['IDEMPOTENCY_CONFLICT']);
    // The same invoice number for another member is a conflict, not the first member's claim.
    const otherMember = await verify(cityMembers[1].id);
    expect(codesOf(await apply(h.principals.hospital, { verificationId: otherMember, invoiceNumber: number, selfPaidFen: 120_000 }))).toEqual([
      'IDEMPOTENCY_CONFLICT',
    ]);
    expect(await ledger(memberId)).toEqual({ claims: 1, used: 12_000 });
    // Invoice numbers are per hospital: the other hospital may have the same one.
    const elsewhere = await apply(h.principals.otherHospital, {
      verificationId: await verify(memberId, h.principals.otherHospital),
      invoiceNumber: number,
      selfPaidFen: 10_000,
    });
    expect(elsewhere.data!.applyHospitalDiscount).toMatchObject({ discountFen: 800 });
  });

  it('concurrent first sends of one invoice make one claim and charge the cap once', async () => {
    const before = await ledger(memberId);
    const input = { verificationId, invoiceNumber: invoice(), selfPaidFen: 10_000 };
    const answers = await Promise.all(Array.from({ length: 8 }, () => apply(h.principals.hospital, input)));
    const ids = new Set(answers.map((a) => a.data!.applyHospitalDiscount.id));
    expect(ids.size).toBe(1);
    expect(await ledger(memberId)).toEqual({ claims: before.claims + 1, used: before.used + 1_000 });
  });

  it('caps one claim at perClaimCapFen and the year at annualCapFen across the hospitals of the program', async () => {
    // used so far: 12,000 + 800 + 1,000
    const big = { selfPaidFen: 1_000_000 };
    for (let i = 0; i < 3; i += 1) {
      const claim = (await apply(h.principals.hospital, { verificationId, invoiceNumber: invoice(), ...big })).data!.applyHospitalDiscount;
      expect(claim.discountFen).toBe(50_000);
    }
    const other = await verify(memberId, h.principals.otherHospital);
    expect((await apply(h.principals.otherHospital, { verificationId: other, invoiceNumber: invoice(), ...big })).data!.applyHospitalDiscount.discountFen).toBe(
      30_000,
    );
    // 12,000 + 800 + 1,000 + 150,000 + 30,000 = 193,800: 6,200 left of the 200,000.
    const quote = (await h.gql('benefit', h.principals.hospital, QUOTE, { v: verificationId, amount: 1_000_000 })).data!.quoteHospitalDiscount;
    expect(quote).toMatchObject({ discountFen: 6_200, remainingAnnualCapFen: 0, payableFen: 993_800 });
    const last = (await apply(h.principals.hospital, { verificationId, invoiceNumber: invoice(), ...big })).data!.applyHospitalDiscount;
    expect(last).toMatchObject({ discountFen: 6_200, payableFen: 993_800 });
    const before = await ledger(memberId);
    expect(before.used).toBe(200_000);
    expect(codesOf(await apply(h.principals.hospital, { verificationId, invoiceNumber: invoice(), ...big }))).toEqual(['ANNUAL_CAP_REACHED']);
    expect(await ledger(memberId)).toEqual(before);
    const zero = (await h.gql('benefit', h.principals.hospital, QUOTE, { v: verificationId, amount: 50_000 })).data!.quoteHospitalDiscount;
    expect(zero).toMatchObject({ discountFen: 0, payableFen: 50_000, remainingAnnualCapFen: 0 });
  });

  it('voiding gives the cap back, once; voiding again answers the voided claim; another hospital cannot void it', async () => {
    expect(codesOf(await h.gql('benefit', h.principals.otherHospital, VOID, { id: firstClaim.id, reason: '医保结算撤销' }))).toEqual(['NOT_FOUND']);
    expect(codesOf(await h.gql('benefit', h.principals.hospital, VOID, { id: firstClaim.id, reason: '   ' }))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await h.gql('benefit', h.principals.hospital, VOID, { id: '00000000-0000-4000-8000-000000000000', reason: 'x' }))).toEqual(['NOT_FOUND']);
    expect((await ledger(memberId)).used).toBe(200_000);
    const [once, twice] = await Promise.all([
      h.gql('benefit', h.principals.hospital, VOID, { id: firstClaim.id, reason: '医保结算撤销' }),
      h.gql('benefit', h.principals.hospital, VOID, { id: firstClaim.id, reason: '医保结算撤销' }),
    ]);
    expect(once.data!.voidDiscountClaim).toMatchObject({ id: firstClaim.id, status: 'VOIDED', voidReason: '医保结算撤销', discountFen: 12_000 });
    expect(twice.data!.voidDiscountClaim).toEqual(once.data!.voidDiscountClaim);
    expect((await ledger(memberId)).used).toBe(188_000);
    const third = await h.gql('benefit', h.principals.hospital, VOID, { id: firstClaim.id, reason: 'again' });
    expect(third.data!.voidDiscountClaim).toEqual(once.data!.voidDiscountClaim);
    expect((await ledger(memberId)).used).toBe(188_000);
    // Re-sending the voided invoice answers the voided original; the freed cap is there for a new invoice.
    const resent = await apply(h.principals.hospital, { verificationId, invoiceNumber: firstClaim.invoiceNumber, selfPaidFen: 120_000 });
    expect(resent.data!.applyHospitalDiscount).toMatchObject({ id: firstClaim.id, status: 'VOIDED' });
    const fresh = (await apply(h.principals.hospital, { verificationId, invoiceNumber: invoice(), selfPaidFen: 1_000_000 })).data!.applyHospitalDiscount;
    expect(fresh.discountFen).toBe(12_000);
  });
});

describe('bad input writes nothing', () => {
  let memberId: string;
  let verificationId: string;
  beforeAll(async () => {
    memberId = cityMembers[2].id;
    verificationId = await verify(memberId);
  });

  async function expectRefused(principal: Principal, input: Record<string, unknown>, code: string) {
    const before = await ledger();
    const answer = await apply(principal, { verificationId, invoiceNumber: invoice(), selfPaidFen: 10_000, ...input });
    expect(codesOf(answer)).toEqual([code]);
    expect(answer.data).toBeNull();
    expect(await ledger()).toEqual(before);
  }

  it('zero, negative and absurd amounts are BAD_USER_INPUT (apply and quote)', async () => {
    for (const selfPaidFen of [0, -1, -100_000, 1_000_000_001, 2_147_483_647]) {
      await expectRefused(h.principals.hospital, { selfPaidFen }, 'BAD_USER_INPUT');
      expect(codesOf(await h.gql('benefit', h.principals.hospital, QUOTE, { v: verificationId, amount: selfPaidFen }))).toEqual(['BAD_USER_INPUT']);
    }
  });

  it('malformed invoice numbers are BAD_USER_INPUT', async () => {
    for (const invoiceNumber of ['', '   ', '=HYPERLINK("x")', 'a,b', 'x'.repeat(65), '发票1'])
      await expectRefused(h.principals.hospital, { invoiceNumber }, 'BAD_USER_INPUT');
  });

  it("another hospital's verification, one for another purpose, or an expired one is VERIFICATION_EXPIRED; an unknown one NOT_FOUND", async () => {
    await expectRefused(h.principals.otherHospital, {}, 'VERIFICATION_EXPIRED');
    const identityCheck = await verify(memberId, h.principals.hospital, 'IDENTITY_CHECK');
    await expectRefused(h.principals.hospital, { verificationId: identityCheck }, 'VERIFICATION_EXPIRED');
    const expiring = await verify(memberId);
    await h.sql.query(`UPDATE member.member_verifications SET created_at = now() - interval '5 hours', expires_at = now() - interval '1 hour' WHERE id = $1`, [
      expiring,
    ]);
    await expectRefused(h.principals.hospital, { verificationId: expiring }, 'VERIFICATION_EXPIRED');
    expect(codesOf(await h.gql('benefit', h.principals.hospital, QUOTE, { v: expiring, amount: 100 }))).toEqual(['VERIFICATION_EXPIRED']);
    await expectRefused(h.principals.hospital, { verificationId: '00000000-0000-4000-8000-000000000000' }, 'NOT_FOUND');
    await expectRefused(h.principals.hospital, { verificationId: 'not-a-uuid' }, 'NOT_FOUND');
  });

  it('a member suspended after the verification is NOT_ELIGIBLE at apply time', async () => {
    const suspended = cityMembers[3].id;
    const verification = await verify(suspended);
    await h.setMemberStatus(suspended, 'SUSPENDED');
    try {
      await expectRefused(h.principals.hospital, { verificationId: verification }, 'NOT_ELIGIBLE');
      expect(codesOf(await h.gql('benefit', h.principals.hospital, QUOTE, { v: verification, amount: 100 }))).toEqual(['NOT_ELIGIBLE']);
    } finally {
      await h.setMemberStatus(suspended, 'ACTIVE');
    }
  });

  it('a member outside every sponsor subtree is NOT_ELIGIBLE; a program that is not HOSPITAL_DISCOUNT is BAD_USER_INPUT; an unknown program NOT_FOUND', async () => {
    const outside = await verify(uncoveredMember.id);
    await expectRefused(h.principals.hospital, { verificationId: outside }, 'NOT_ELIGIBLE');
    await expectRefused(h.principals.hospital, { programId: '00000000-0000-4000-8000-000000000000' }, 'NOT_FOUND');
    await h.sql.query(
      `INSERT INTO benefit.benefit_programs (id, name, kind, sponsor_organization_id, valid_from, valid_to)
       VALUES ('e4000000-0000-4000-8000-0000000000ff', '旅游卡', 'TRAVEL_CARD', $1, now() - interval '1 day', now() + interval '1 day')`,
      [h.world.organizations.cityUnionOrgId],
    );
    await expectRefused(h.principals.hospital, { programId: 'e4000000-0000-4000-8000-0000000000ff' }, 'BAD_USER_INPUT');
    // The 聊城 program does not cover a member of the city union.
    await expectRefused(h.principals.hospital, { programId: DEMO_HOSPITAL.liaochengProgramId }, 'NOT_ELIGIBLE');
  });

  it('only hospitals with discount:apply apply discounts', async () => {
    const merchantWithScope = { ...h.principals.merchant, scopes: ['discount:apply'] };
    await expectRefused(merchantWithScope, {}, 'FORBIDDEN');
    await expectRefused(h.principals.merchant, {}, 'FORBIDDEN');
  });
});

describe('which policy applies', () => {
  it("the member's nearest sponsoring union: 聊城 members get the 聊城 program, city members the city program", async () => {
    const lc = await verify(liaochengMember.id);
    const lcQuote = (await h.gql('benefit', h.principals.hospital, QUOTE, { v: lc, amount: 10_000 })).data!.quoteHospitalDiscount;
    expect(lcQuote.policy.program.id).toBe(DEMO_HOSPITAL.liaochengProgramId);
    const city = await verify(cityMembers[4].id, h.principals.otherHospital);
    const cityQuote = (await h.gql('benefit', h.principals.otherHospital, QUOTE, { v: city, amount: 10_000 })).data!.quoteHospitalDiscount;
    expect(cityQuote.policy).toMatchObject({ id: DEMO_HOSPITAL.policies.cityOtherHospital, rateBasisPoints: 800 });
    expect(cityQuote.discountFen).toBe(800);
  });

  it('a district program is nearer than the city program; programId picks one explicitly', async () => {
    const create = await h.gql(
      'benefit',
      h.principals.district,
      `mutation($input: CreateBenefitProgramInput!) { createBenefitProgram(input: $input) { id } }`,
      {
        input: {
          name: '天河区职工就医优惠',
          kind: 'HOSPITAL_DISCOUNT',
          sponsorOrganizationId: h.world.organizations.districtUnionOrgId,
          validFrom: '2020-01-01T00:00:00+08:00',
          validTo: '2099-01-01T00:00:00+08:00',
        },
      },
    );
    const programId = create.data!.createBenefitProgram.id;
    const policy = await h.gql(
      'benefit',
      h.principals.district,
      `mutation($input: CreateHospitalDiscountPolicyInput!) { createHospitalDiscountPolicy(input: $input) { id hospitalName } }`,
      {
        input: { programId, hospitalPartnerId: DEMO_PARTNERS.hospital.id, rateBasisPoints: 2000, perClaimCapFen: 1_000, annualCapFen: 5_000 },
      },
    );
    expect(policy.data!.createHospitalDiscountPolicy.hospitalName).toBe(DEMO_PARTNERS.hospital.name);
    const v = await verify(cityMembers[5].id);
    const nearest = (await h.gql('benefit', h.principals.hospital, QUOTE, { v, amount: 10_000 })).data!.quoteHospitalDiscount;
    expect(nearest).toMatchObject({ discountFen: 1_000, policy: { program: { id: programId } } });
    const explicit = (await h.gql('benefit', h.principals.hospital, QUOTE, { v, amount: 10_000, programId: DEMO_PROGRAMS.hospital })).data!
      .quoteHospitalDiscount;
    expect(explicit).toMatchObject({ discountFen: 1_000, policy: { program: { id: DEMO_PROGRAMS.hospital }, rateBasisPoints: 1000 } });
    // Closing the district policy sends the member back to the city program.
    const closed = await h.gql('benefit', h.principals.district, `mutation($id: ID!) { closeHospitalDiscountPolicy(policyId: $id) { closedAt } }`, {
      id: policy.data!.createHospitalDiscountPolicy.id,
    });
    expect(closed.data!.closeHospitalDiscountPolicy.closedAt).not.toBeNull();
    const after = (await h.gql('benefit', h.principals.hospital, QUOTE, { v, amount: 10_000 })).data!.quoteHospitalDiscount;
    expect(after.policy.program.id).toBe(DEMO_PROGRAMS.hospital);
    expect(codesOf(await h.gql('benefit', h.principals.hospital, QUOTE, { v, amount: 10_000, programId }))).toEqual(['NOT_ELIGIBLE']);
  });
});

describe('managing policies', () => {
  const CREATE = `mutation($input: CreateHospitalDiscountPolicyInput!) { createHospitalDiscountPolicy(input: $input) { id hospitalName rateBasisPoints perClaimCapFen annualCapFen validFrom validTo program { id } } }`;
  const UPDATE = `mutation($id: ID!, $input: UpdateHospitalDiscountPolicyInput!) { updateHospitalDiscountPolicy(policyId: $id, input: $input) { id rateBasisPoints perClaimCapFen annualCapFen hospitalName } }`;
  let programId: string;

  beforeAll(async () => {
    const create = await h.gql('benefit', h.principals.city, `mutation($input: CreateBenefitProgramInput!) { createBenefitProgram(input: $input) { id } }`, {
      input: {
        name: '管理测试',
        kind: 'HOSPITAL_DISCOUNT',
        sponsorOrganizationId: h.world.organizations.cityUnionOrgId,
        validFrom: '2020-01-01T00:00:00Z',
        validTo: '2099-01-01T00:00:00Z',
      },
    });
    programId = create.data!.createBenefitProgram.id;
  });

  it('creates, updates and closes a policy; refuses bad terms, duplicates, strangers and other kinds of program', async () => {
    const base = { programId, hospitalPartnerId: 'a0000000-0000-4000-8000-0000000000aa', rateBasisPoints: 500, perClaimCapFen: 10_000, annualCapFen: 50_000 };
    expect(codesOf(await h.gql('benefit', h.principals.city, CREATE, { input: base }))).toEqual(['BAD_USER_INPUT']); // unknown hospital, no name
    for (const bad of [
      { rateBasisPoints: 0 },
      { rateBasisPoints: 10_001 },
      { perClaimCapFen: 0 },
      { annualCapFen: -5 },
      { annualCapFen: 1_000_000_001 },
      { hospitalPartnerId: 'x' },
    ]) {
      expect(codesOf(await h.gql('benefit', h.principals.city, CREATE, { input: { ...base, hospitalName: '新医院', ...bad } }))).toEqual(['BAD_USER_INPUT']);
    }
    expect(codesOf(await h.gql('benefit', h.principals.district, CREATE, { input: { ...base, hospitalName: '新医院' } }))).toEqual(['FORBIDDEN']);
    expect(codesOf(await h.gql('benefit', h.principals.hospital, CREATE, { input: { ...base, hospitalName: '新医院' } }))).toEqual(['FORBIDDEN']);
    expect(
      codesOf(
        await h.gql('benefit', h.principals.city, CREATE, { input: { ...base, hospitalName: '新医院', programId: '00000000-0000-4000-8000-000000000000' } }),
      ),
    ).toEqual(['NOT_FOUND']);
    const created = (await h.gql('benefit', h.principals.city, CREATE, { input: { ...base, hospitalName: ' 新医院 ' } })).data!.createHospitalDiscountPolicy;
    expect(created).toMatchObject({ hospitalName: '新医院', rateBasisPoints: 500, program: { id: programId }, validFrom: '2020-01-01T00:00:00.000Z' });
    expect(codesOf(await h.gql('benefit', h.principals.city, CREATE, { input: { ...base } }))).toEqual(['BAD_USER_INPUT']); // second open policy
    const updated = (await h.gql('benefit', h.principals.city, UPDATE, { id: created.id, input: { rateBasisPoints: 700, annualCapFen: 60_000 } })).data!
      .updateHospitalDiscountPolicy;
    expect(updated).toMatchObject({ rateBasisPoints: 700, perClaimCapFen: 10_000, annualCapFen: 60_000, hospitalName: '新医院' });
    expect(codesOf(await h.gql('benefit', h.principals.district, UPDATE, { id: created.id, input: { rateBasisPoints: 1 } }))).toEqual(['FORBIDDEN']);
    expect(codesOf(await h.gql('benefit', h.principals.city, UPDATE, { id: created.id, input: { validTo: '2000-01-01T00:00:00Z' } }))).toEqual([
      'BAD_USER_INPUT',
    ]);
    await h.gql('benefit', h.principals.city, `mutation($id: ID!) { closeHospitalDiscountPolicy(policyId: $id) { id } }`, { id: created.id });
    expect(codesOf(await h.gql('benefit', h.principals.city, UPDATE, { id: created.id, input: { rateBasisPoints: 1 } }))).toEqual(['BAD_USER_INPUT']);
    // Closed, the hospital may get a new policy in the program; the name is remembered.
    const replacement = (await h.gql('benefit', h.principals.city, CREATE, { input: base })).data!.createHospitalDiscountPolicy;
    expect(replacement.hospitalName).toBe('新医院');
    const listed = await h.gql(
      'benefit',
      h.principals.city,
      `query($id: ID!) { _entities(representations: [{ __typename: "BenefitProgram", id: $id }]) { ... on BenefitProgram { hospitalDiscountPolicies { id } all: hospitalDiscountPolicies(includeClosed: true) { id } } } }`,
      { id: programId },
    );
    expect(listed.data!._entities[0].hospitalDiscountPolicies).toEqual([{ id: replacement.id }]);
    expect(listed.data!._entities[0].all).toHaveLength(2);
  });
});

describe('reconciliation', () => {
  const window = { from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' };

  it('a hospital sees its own claims with totals over the whole period, page by page', async () => {
    const all = (await h.gql('benefit', h.principals.hospital, CLAIMS, { ...window, first: 100 })).data!.discountClaims;
    const { rows } = await h.sql.query(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'APPLIED')::int AS applied, count(*) FILTER (WHERE status = 'VOIDED')::int AS voided,
              coalesce(sum(discount_fen) FILTER (WHERE status = 'APPLIED'), 0)::int AS discount,
              coalesce(sum(self_paid_fen) FILTER (WHERE status = 'APPLIED'), 0)::int AS self_paid
         FROM benefit.discount_claims WHERE hospital_partner_id = $1`,
      [DEMO_PARTNERS.hospital.id],
    );
    expect(all.totalCount).toBe(rows[0].n);
    expect(all.nodes).toHaveLength(rows[0].n);
    expect(all.totals).toEqual({
      appliedCount: rows[0].applied,
      selfPaidFen: rows[0].self_paid,
      discountFen: rows[0].discount,
      payableFen: rows[0].self_paid - rows[0].discount,
      voidedCount: rows[0].voided,
    });
    expect(all.totals.voidedCount).toBeGreaterThan(0);

    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = (await h.gql('benefit', h.principals.hospital, CLAIMS, { ...window, first: 3, after })).data!.discountClaims;
      expect(page.totals).toEqual(all.totals);
      seen.push(...page.nodes.map((n: { id: string }) => n.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(all.nodes.map((n: { id: string }) => n.id));

    const other = (await h.gql('benefit', h.principals.otherHospital, CLAIMS, { ...window, first: 100 })).data!.discountClaims;
    expect(other.nodes.map((n: { id: string }) => n.id).some((id: string) => seen.includes(id))).toBe(false);
    expect(other.totalCount).toBeGreaterThan(0);
  });

  it('the sponsoring union sees the claims of every hospital under its programs; a district union not those of the city program', async () => {
    const city = (await h.gql('benefit', h.principals.city, CLAIMS, { ...window, first: 100 })).data!.discountClaims;
    const { rows } = await h.sql.query(`SELECT count(*)::int AS n FROM benefit.discount_claims WHERE program_id = $1`, [DEMO_PROGRAMS.hospital]);
    expect(city.totalCount).toBe(rows[0].n);
    const district = (await h.gql('benefit', h.principals.district, CLAIMS, { ...window, first: 100 })).data!.discountClaims;
    expect(district.totalCount).toBe(0);
    expect(codesOf(await h.gql('benefit', h.principals.platform, CLAIMS, window))).toEqual(['FORBIDDEN']);
  });

  it('sends as many statements for a page of 8 claims with their policies and programs as for a page of 2 (no N+1)', async () => {
    const NESTED = `query($from: DateTime!, $to: DateTime!, $first: Int) {
      discountClaims(from: $from, to: $to, first: $first) {
        nodes { id member { id } policy { id hospitalName program { id name hospitalDiscountPolicies { id } } } }
        totalCount totals { discountFen }
      }
    }`;
    const statementsFor = async (first: number) => {
      const before = await h.benefitStatementCount();
      const res = await h.gql('benefit', h.principals.city, NESTED, { ...window, first });
      expect(res.errors).toBeUndefined();
      expect(res.data!.discountClaims.nodes).toHaveLength(first);
      return (await h.benefitStatementCount()) - before;
    };
    await statementsFor(2); // warm-up: a pool's first statements on a connection are not the request's
    expect(await statementsFor(8)).toBe(await statementsFor(2));
  });

  it('refuses a reversed period, a page over 100 and a cursor of another list', async () => {
    expect(codesOf(await h.gql('benefit', h.principals.hospital, CLAIMS, { from: window.to, to: window.from }))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await h.gql('benefit', h.principals.hospital, CLAIMS, { ...window, first: 101 }))).toEqual(['BAD_USER_INPUT']);
    const page = (await h.gql('benefit', h.principals.hospital, CLAIMS, { ...window, first: 1 })).data!.discountClaims;
    const shifted = { from: '2001-01-01T00:00:00Z', to: window.to };
    expect(codesOf(await h.gql('benefit', h.principals.hospital, CLAIMS, { ...shifted, after: page.pageInfo.endCursor }))).toEqual(['BAD_USER_INPUT']);
  });

  it('the monthly CSV statement lists APPLIED claims and its TOTAL equals their sum', async () => {
    const now = new Date(Date.now() + 8 * 3600_000);
    const month = now.toISOString().slice(0, 7);
    const csv: string = (await h.gql('benefit', h.principals.hospital, STATEMENT, { month })).data!.hospitalSettlementStatement;
    expect(csv.startsWith('\uFEFF')).toBe(true); // Excel on a Chinese-locale Windows reads UTF-8 only with a BOM
    const lines = csv
      .slice(1)
      .trimEnd()
      .split('\r\n')
      .map((line) => line.split(','));
    const header = lines[0];
    expect(header.slice(0, 3)).toEqual(['record_type', 'claim_id', 'applied_at_shanghai']);
    const col = (name: string) => header.indexOf(name);
    const claims = lines.filter((l) => l[0] === 'CLAIM');
    const total = lines.filter((l) => l[0] === 'TOTAL');
    expect(total).toHaveLength(1);
    const { start, end } = shanghaiMonth(month);
    const { rows } = await h.sql.query(
      `SELECT count(*)::int AS n, coalesce(sum(discount_fen), 0)::int AS discount, coalesce(sum(self_paid_fen), 0)::int AS self_paid
         FROM benefit.discount_claims WHERE hospital_partner_id = $1 AND status = 'APPLIED' AND created_at >= $2 AND created_at < $3`,
      [DEMO_PARTNERS.hospital.id, start, end],
    );
    expect(claims).toHaveLength(rows[0].n);
    const sum = (name: string) => claims.reduce((acc, l) => acc + Number(l[col(name)]), 0);
    expect(Number(total[0][col('discount_fen')])).toBe(rows[0].discount);
    expect(sum('discount_fen')).toBe(rows[0].discount);
    expect(Number(total[0][col('self_paid_fen')])).toBe(sum('self_paid_fen'));
    expect(Number(total[0][col('payable_fen')])).toBe(sum('payable_fen'));
    expect(Number(total[0][col('claim_count')])).toBe(claims.length);
    expect(claims.every((l) => l[col('hospital_partner_id')] === DEMO_PARTNERS.hospital.id)).toBe(true);

    // The sponsoring union names the hospital and gets the same lines for its programs.
    const union: string = (
      await h.gql('benefit', h.principals.city, STATEMENT, { month, hospital: DEMO_PARTNERS.hospital.id, program: DEMO_PROGRAMS.hospital })
    ).data!.hospitalSettlementStatement;
    const unionClaims = union.split('\r\n').filter((l) => l.startsWith('CLAIM,'));
    expect(unionClaims.length).toBeGreaterThan(0);
    expect(unionClaims.every((l) => l.includes(DEMO_PROGRAMS.hospital))).toBe(true);

    expect(codesOf(await h.gql('benefit', h.principals.city, STATEMENT, { month }))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await h.gql('benefit', h.principals.hospital, STATEMENT, { month, hospital: DEMO_PARTNERS.otherHospital.id }))).toEqual(['FORBIDDEN']);
    expect(
      codesOf(await h.gql('benefit', h.principals.district, STATEMENT, { month, hospital: DEMO_PARTNERS.hospital.id, program: DEMO_PROGRAMS.hospital })),
    ).toEqual(['NOT_FOUND']);
    for (const bad of ['2026-13', '2026-1', 'last month', ''])
      expect(codesOf(await h.gql('benefit', h.principals.hospital, STATEMENT, { month: bad }))).toEqual(['BAD_USER_INPUT']);
    const empty: string = (await h.gql('benefit', h.principals.hospital, STATEMENT, { month: '2001-02' })).data!.hospitalSettlementStatement;
    expect(empty.trimEnd().split('\r\n')).toHaveLength(2);
  });

  it('CSV fields are quoted and formula-safe', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell(42)).toBe('42');
  });

  it('claims resolve as federation entities only for the hospital that made them and the sponsoring union', async () => {
    const [claim] = (
      await h.sql.query(`SELECT id FROM benefit.discount_claims WHERE hospital_partner_id = $1 AND program_id = $2 LIMIT 1`, [
        DEMO_PARTNERS.hospital.id,
        DEMO_PROGRAMS.hospital,
      ])
    ).rows;
    const query = `query($id: ID!) { _entities(representations: [{ __typename: "DiscountClaim", id: $id }]) { ... on DiscountClaim { id discountFen } } }`;
    expect((await h.gql('benefit', h.principals.hospital, query, { id: claim.id })).data!._entities[0]).toMatchObject({ id: claim.id });
    expect((await h.gql('benefit', h.principals.city, query, { id: claim.id })).data!._entities[0]).toMatchObject({ id: claim.id });
    expect((await h.gql('benefit', h.principals.otherHospital, query, { id: claim.id })).data!._entities[0]).toBeNull();
    expect((await h.gql('benefit', h.principals.district, query, { id: claim.id })).data!._entities[0]).toBeNull();
    expect((await h.gql('benefit', h.principals.platform, query, { id: claim.id })).data!._entities[0]).toBeNull();
  });
});
