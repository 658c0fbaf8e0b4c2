import { DEMO_PARTNERS } from '@union/common';
import { Client } from 'pg';
import { errorCodes, gql, memberToken, partnerToken } from '../testkit/client';
import { startSystem, type RunningSystem } from '../testkit/system';

/**
 * The hospital counter flow through the gateway, as a hospital calls it with its own token:
 * member app shows a code -> hospital verifies -> quotes -> applies (twice) -> voids -> reconciles;
 * every bad input of the issue; and the annual cap under 50 concurrent applies.
 */

const ISSUE = `mutation { issueMemberCardToken { token expiresAt } }`;
const VERIFY = `mutation($token: String!, $purpose: VerificationPurpose!) {
  verifyMemberCard(token: $token, purpose: $purpose) { valid reason verificationId purpose expiresAt member { id displayName cardNumber fullName status } }
}`;
const VERIFY_PAPER = `mutation($card: String!, $name: String!) {
  verifyMemberByCardNumber(cardNumber: $card, fullName: $name, purpose: HOSPITAL_DISCOUNT) { valid reason verificationId member { displayName } }
}`;
const QUOTE = `mutation($v: ID!, $amount: Int!, $programId: ID) {
  quoteHospitalDiscount(verificationId: $v, selfPaidFen: $amount, programId: $programId) {
    selfPaidFen discountFen payableFen remainingAnnualCapFen policy { hospitalName rateBasisPoints perClaimCapFen annualCapFen program { id name } }
  }
}`;
const APPLY = `mutation($input: ApplyHospitalDiscountInput!) {
  applyHospitalDiscount(input: $input) { id invoiceNumber selfPaidFen discountFen payableFen status createdAt voidedAt member { id displayName cardNumber fullName } policy { hospitalName } }
}`;
const VOID = `mutation($id: ID!, $reason: String!) { voidDiscountClaim(claimId: $id, reason: $reason) { id status voidedAt discountFen } }`;
const CLAIMS = `query($from: DateTime!, $to: DateTime!, $first: Int, $after: String) {
  discountClaims(from: $from, to: $to, first: $first, after: $after) {
    nodes { id invoiceNumber status discountFen member { displayName } policy { hospitalName program { name } } }
    pageInfo { hasNextPage endCursor } totalCount totals { appliedCount selfPaidFen discountFen payableFen voidedCount }
  }
}`;
const STATEMENT = `query($month: String!, $hospital: ID) { hospitalSettlementStatement(month: $month, hospitalPartnerId: $hospital) }`;
const USED = `query($programId: ID!) { me { id hospitalDiscountUsedFen(programId: $programId) } }`;

let system: RunningSystem;
let sql: Client;
let hospital: string;
let otherHospital: string;
let cityUnion: string;
let programId: string;
let invoiceSeq = 0;
const invoice = (prefix = 'E2E') => `${prefix}-${Date.now()}-${(invoiceSeq += 1)}`;

beforeAll(async () => {
  system = await startSystem();
  // The member schema's triggers name their tables unqualified.
  sql = new Client({ connectionString: system.databaseUrl, options: '-c search_path=member' });
  await sql.connect();
  [hospital, otherHospital, cityUnion] = await Promise.all([
    partnerToken(system, 'hospital'),
    partnerToken(system, 'otherHospital'),
    partnerToken(system, 'cityUnion'),
  ]);
  programId = system.credentials.hospitalProgramId;
});
afterAll(async () => {
  await sql?.end();
  await system?.stop();
});

/** The member app: a fresh code for the QR. */
async function showCard(memberId: string): Promise<string> {
  const res = await gql(system, await memberToken(system, memberId), ISSUE);
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.issueMemberCardToken.token;
}

async function scan(memberId: string, token = hospital, purpose = 'HOSPITAL_DISCOUNT'): Promise<string> {
  const res = await gql(system, token, VERIFY, { token: await showCard(memberId), purpose });
  expect(res.body.data!.verifyMemberCard.valid).toBe(true);
  return res.body.data!.verifyMemberCard.verificationId;
}

/** A union suspending a member (no status mutation exists yet): straight in SQL. */
async function setStatus(memberId: string, status: string): Promise<void> {
  await sql.query(`UPDATE member.members SET status = $2, updated_at = now() WHERE id = $1`, [memberId, status]);
}

async function ledger() {
  const { rows } = await sql.query(
    `SELECT (SELECT count(*)::int FROM benefit.discount_claims) AS claims, (SELECT coalesce(sum(used_fen), 0)::int FROM benefit.discount_usage) AS used`,
  );
  return rows[0] as { claims: number; used: number };
}

describe('the counter flow, end to end through the gateway', () => {
  it('code -> verify -> quote -> apply twice -> void -> reconcile', async () => {
    const member = system.credentials.members[0];
    const memberApp = await memberToken(system, member.id);

    // 1. The member app gets a code.
    const card = (await gql(system, memberApp, ISSUE)).body.data!.issueMemberCardToken;
    expect(Date.parse(card.expiresAt) - Date.now()).toBeLessThanOrEqual(60_000);

    // 2. The hospital scans it.
    const verified = (await gql(system, hospital, VERIFY, { token: card.token, purpose: 'HOSPITAL_DISCOUNT' })).body.data!.verifyMemberCard;
    expect(verified).toMatchObject({ valid: true, reason: null, purpose: 'HOSPITAL_DISCOUNT', member: { id: member.id, fullName: null, status: 'ACTIVE' } });
    expect(verified.member.cardNumber).toBe(`GD${'*'.repeat(member.cardNumber.length - 6)}${member.cardNumber.slice(-4)}`);
    expect(verified.member.displayName).not.toBe(member.fullName);
    const again = (await gql(system, hospital, VERIFY, { token: card.token, purpose: 'HOSPITAL_DISCOUNT' })).body.data!.verifyMemberCard;
    expect(again.verificationId).toBe(verified.verificationId);
    const screenshot = (await gql(system, otherHospital, VERIFY, { token: card.token, purpose: 'HOSPITAL_DISCOUNT' })).body.data!.verifyMemberCard;
    expect(screenshot).toMatchObject({ valid: false, reason: 'TOKEN_ALREADY_USED', verificationId: null });

    // 3. Quote at settlement: 1,200 yuan self-paid after insurance.
    const quote = (await gql(system, hospital, QUOTE, { v: verified.verificationId, amount: 120_000 })).body.data!.quoteHospitalDiscount;
    expect(quote).toMatchObject({ selfPaidFen: 120_000, discountFen: 12_000, payableFen: 108_000, remainingAnnualCapFen: 188_000 });
    expect(quote.policy).toMatchObject({
      hospitalName: DEMO_PARTNERS.hospital.name,
      rateBasisPoints: 1000,
      perClaimCapFen: 50_000,
      annualCapFen: 200_000,
      program: { id: programId },
    });

    // 4. Apply, and apply again (a retry after a timeout): the same claim.
    const input = { verificationId: verified.verificationId, invoiceNumber: invoice('INV'), selfPaidFen: 120_000 };
    const first = await gql(system, hospital, APPLY, { input });
    expect(first.body.errors).toBeUndefined();
    const claim = first.body.data!.applyHospitalDiscount;
    expect(claim).toMatchObject({
      selfPaidFen: 120_000,
      discountFen: 12_000,
      payableFen: 108_000,
      status: 'APPLIED',
      voidedAt: null,
      policy: { hospitalName: DEMO_PARTNERS.hospital.name },
    });
    expect(claim.member).toMatchObject({ id: member.id, fullName: null, displayName: verified.member.displayName, cardNumber: verified.member.cardNumber });
    const retry = await gql(system, hospital, APPLY, { input });
    expect(retry.body.data!.applyHospitalDiscount).toEqual(claim);
    expect((await gql(system, memberApp, USED, { programId })).body.data!.me.hospitalDiscountUsedFen).toBe(12_000);

    // 5. The insurance settlement is revoked: void, the cap comes back; voiding again is harmless.
    const voided = (await gql(system, hospital, VOID, { id: claim.id, reason: '医保结算撤销' })).body.data!.voidDiscountClaim;
    expect(voided).toMatchObject({ id: claim.id, status: 'VOIDED', discountFen: 12_000 });
    expect((await gql(system, hospital, VOID, { id: claim.id, reason: '医保结算撤销' })).body.data!.voidDiscountClaim).toEqual(voided);
    expect((await gql(system, memberApp, USED, { programId })).body.data!.me.hospitalDiscountUsedFen).toBe(0);

    // A second bill of the same visit, applied for real.
    const second = (await gql(system, hospital, APPLY, { input: { ...input, invoiceNumber: invoice('INV'), selfPaidFen: 80_000 } })).body.data!
      .applyHospitalDiscount;
    expect(second.discountFen).toBe(8_000);

    // 6. Reconcile: the hospital, then the sponsoring union.
    const window = { from: new Date(Date.now() - 3600_000).toISOString(), to: new Date(Date.now() + 3600_000).toISOString() };
    const own = (await gql(system, hospital, CLAIMS, { ...window, first: 100 })).body.data!.discountClaims;
    const mine = own.nodes.filter((n: { id: string }) => [claim.id, second.id].includes(n.id));
    expect(mine.map((n: { status: string }) => n.status).sort()).toEqual(['APPLIED', 'VOIDED']);
    expect(own.totals.voidedCount).toBeGreaterThanOrEqual(1);
    expect(own.totals.discountFen).toBe(
      own.nodes.filter((n: { status: string }) => n.status === 'APPLIED').reduce((sum: number, n: { discountFen: number }) => sum + n.discountFen, 0),
    );
    const union = (await gql(system, cityUnion, CLAIMS, { ...window, first: 100 })).body.data!.discountClaims;
    expect(union.nodes.map((n: { id: string }) => n.id)).toEqual(expect.arrayContaining([claim.id, second.id]));
    expect(union.nodes[0].member.displayName).toEqual(expect.any(String));

    const month = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7);
    const csv: string = (await gql(system, hospital, STATEMENT, { month })).body.data!.hospitalSettlementStatement;
    const lines = csv.trimEnd().split('\r\n');
    expect(lines.some((l) => l.includes(second.id))).toBe(true);
    expect(lines.some((l) => l.includes(claim.id))).toBe(false); // voided: not settled
    const header = lines[0].split(',');
    const total = lines.find((l) => l.startsWith('TOTAL,'))!.split(',');
    const claimLines = lines.filter((l) => l.startsWith('CLAIM,')).map((l) => l.split(','));
    const column = header.indexOf('discount_fen');
    expect(Number(total[column])).toBe(claimLines.reduce((sum, l) => sum + Number(l[column]), 0));
    const unionCsv = (await gql(system, cityUnion, STATEMENT, { month, hospital: DEMO_PARTNERS.hospital.id })).body.data!.hospitalSettlementStatement;
    expect(unionCsv).toContain(second.id);
  });

  it('paper card fallback: card number and the stated name, through the gateway', async () => {
    const member = system.credentials.members[1];
    const ok = (await gql(system, hospital, VERIFY_PAPER, { card: member.cardNumber, name: member.fullName })).body.data!.verifyMemberByCardNumber;
    expect(ok).toMatchObject({ valid: true, reason: null });
    const wrong = (await gql(system, hospital, VERIFY_PAPER, { card: member.cardNumber, name: `${member.fullName}X` })).body.data!.verifyMemberByCardNumber;
    expect(wrong).toMatchObject({ valid: false, reason: 'NAME_MISMATCH', verificationId: null, member: null });
    const quote = await gql(system, hospital, QUOTE, { v: ok.verificationId, amount: 10_000 });
    expect(quote.body.data!.quoteHospitalDiscount.discountFen).toBe(1_000);
  });
});

describe('bad input through the gateway gets its contract code and writes nothing', () => {
  let memberId: string;
  let verificationId: string;

  beforeAll(async () => {
    memberId = system.credentials.members[2].id;
    verificationId = await scan(memberId);
  });

  async function refused(token: string, input: Record<string, unknown>, code: string) {
    const before = await ledger();
    const res = await gql(system, token, APPLY, { input: { verificationId, invoiceNumber: invoice(), selfPaidFen: 10_000, ...input } });
    expect(errorCodes(res)).toEqual([code]);
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.js|stack/i);
    expect(await ledger()).toEqual(before);
  }

  it('zero, negative and absurd amounts', async () => {
    for (const selfPaidFen of [0, -1, 1_000_000_001]) await refused(hospital, { selfPaidFen }, 'BAD_USER_INPUT');
    // Beyond GraphQL Int it is refused before any subgraph is asked.
    await refused(hospital, { selfPaidFen: 5_000_000_000 }, 'BAD_USER_INPUT');
    expect(errorCodes(await gql(system, hospital, QUOTE, { v: verificationId, amount: 0 }))).toEqual(['BAD_USER_INPUT']);
  });

  it('a verificationId from another hospital, past its expiry, or issued for another purpose', async () => {
    await refused(otherHospital, {}, 'VERIFICATION_EXPIRED');
    const expired = await scan(memberId);
    await sql.query(`UPDATE member.member_verifications SET created_at = now() - interval '5 hours', expires_at = now() - interval '1 hour' WHERE id = $1`, [
      expired,
    ]);
    await refused(hospital, { verificationId: expired }, 'VERIFICATION_EXPIRED');
    const identity = await scan(memberId, hospital, 'IDENTITY_CHECK');
    await refused(hospital, { verificationId: identity }, 'VERIFICATION_EXPIRED');
  });

  it('a member suspended after the verification', async () => {
    const suspendedId = system.credentials.members[3].id;
    const verification = await scan(suspendedId);
    await setStatus(suspendedId, 'SUSPENDED');
    try {
      await refused(hospital, { verificationId: verification }, 'NOT_ELIGIBLE');
    } finally {
      await setStatus(suspendedId, 'ACTIVE');
    }
  });

  it('an invoiceNumber re-used with another amount', async () => {
    const number = invoice('DUP');
    const original = await gql(system, hospital, APPLY, { input: { verificationId, invoiceNumber: number, selfPaidFen: 10_000 } });
    expect(original.body.errors).toBeUndefined();
    await refused(hospital, { invoiceNumber: number, selfPaidFen: 10_001 }, 'IDEMPOTENCY_CONFLICT');
  });

  it("voiding another hospital's claim, and calls without the scope", async () => {
    const claim = (await gql(system, hospital, APPLY, { input: { verificationId, invoiceNumber: invoice(), selfPaidFen: 10_000 } })).body.data!
      .applyHospitalDiscount;
    const before = await ledger();
    expect(errorCodes(await gql(system, otherHospital, VOID, { id: claim.id, reason: 'not mine' }))).toEqual(['NOT_FOUND']);
    const { rows } = await sql.query(`SELECT status FROM benefit.discount_claims WHERE id = $1`, [claim.id]);
    expect(rows[0].status).toBe('APPLIED');
    expect(await ledger()).toEqual(before);
    const verifyOnly = await partnerToken(system, 'hospital', 'member:verify');
    await refused(verifyOnly, {}, 'FORBIDDEN');
    expect(errorCodes(await gql(system, cityUnion, VOID, { id: claim.id, reason: 'x' }))).toEqual(['FORBIDDEN']);
  });
});

describe('the annual cap under concurrency', () => {
  it('50 concurrent applies for one member from two hospitals never pass a small annual cap', async () => {
    const CREATE_PROGRAM = `mutation($input: CreateBenefitProgramInput!) { createBenefitProgram(input: $input) { id } }`;
    const CREATE_POLICY = `mutation($input: CreateHospitalDiscountPolicyInput!) { createHospitalDiscountPolicy(input: $input) { id } }`;
    const program = await gql(system, cityUnion, CREATE_PROGRAM, {
      input: {
        name: '并发测试就医优惠',
        kind: 'HOSPITAL_DISCOUNT',
        sponsorOrganizationId: system.credentials.partners.cityUnion.organizationId,
        validFrom: new Date(Date.now() - 86_400_000).toISOString(),
        validTo: new Date(Date.now() + 86_400_000).toISOString(),
      },
    });
    const raceProgramId = program.body.data!.createBenefitProgram.id;
    const CAP = 4_500;
    for (const partner of [DEMO_PARTNERS.hospital, DEMO_PARTNERS.otherHospital]) {
      const policy = await gql(system, cityUnion, CREATE_POLICY, {
        input: { programId: raceProgramId, hospitalPartnerId: partner.id, rateBasisPoints: 1000, perClaimCapFen: 1_000, annualCapFen: CAP },
      });
      expect(policy.body.errors).toBeUndefined();
    }

    const memberId = system.credentials.members[4].id;
    const verifications = { [hospital]: await scan(memberId, hospital), [otherHospital]: await scan(memberId, otherHospital) };
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const token = i % 2 === 0 ? hospital : otherHospital;
        return gql(system, token, APPLY, {
          input: { verificationId: verifications[token], programId: raceProgramId, invoiceNumber: invoice(`RACE${i}`), selfPaidFen: 10_000 },
        });
      }),
    );

    let granted = 0;
    let claims = 0;
    for (const res of responses) {
      if (res.body.errors) {
        expect(errorCodes(res)).toEqual(['ANNUAL_CAP_REACHED']);
      } else {
        claims += 1;
        granted += res.body.data!.applyHospitalDiscount.discountFen;
      }
    }
    expect(granted).toBeLessThanOrEqual(CAP);
    expect(granted).toBe(CAP); // 4 full claims of 1,000 and one of the remaining 500
    expect(claims).toBe(5);
    const { rows } = await sql.query(
      `SELECT (SELECT used_fen::int FROM benefit.discount_usage WHERE member_id = $1 AND program_id = $2) AS used,
              (SELECT sum(discount_fen)::int FROM benefit.discount_claims WHERE member_id = $1 AND program_id = $2 AND status = 'APPLIED') AS claimed`,
      [memberId, raceProgramId],
    );
    expect(rows[0]).toEqual({ used: CAP, claimed: CAP });
  });
});
