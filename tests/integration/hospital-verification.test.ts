import { CardTokenCodec } from '../../subgraphs/member/src/modules/verification/card-token';
import { normalizeName } from '../../subgraphs/member/src/modules/verification/verification.service';
import { codesOf, type HospitalHarness, startHospitalHarness } from './hospital-harness';

const ISSUE = `mutation { issueMemberCardToken { token expiresAt } }`;
const VERIFY = `mutation($token: String!, $purpose: VerificationPurpose!) {
  verifyMemberCard(token: $token, purpose: $purpose) {
    valid reason verificationId purpose expiresAt
    member { id displayName cardNumber fullName phone status }
  }
}`;
const VERIFY_PAPER = `mutation($cardNumber: String!, $fullName: String!, $purpose: VerificationPurpose!) {
  verifyMemberByCardNumber(cardNumber: $cardNumber, fullName: $fullName, purpose: $purpose) { valid reason verificationId expiresAt member { id displayName } }
}`;

let h: HospitalHarness;
let members: Array<{ id: string; cardNumber: string; fullName: string }>;

beforeAll(async () => {
  h = await startHospitalHarness();
  members = await h.activeMembersUnder(h.world.organizations.districtUnionOrgId, 8);
});
afterAll(() => h?.stop());

async function issueToken(memberId: string): Promise<string> {
  const answer = await h.gql<{ issueMemberCardToken: { token: string; expiresAt: string } }>('member', h.member(memberId), ISSUE);
  expect(answer.errors).toBeUndefined();
  return answer.data!.issueMemberCardToken.token;
}

describe('rotating card codes', () => {
  it('issues a compact code valid for 60 seconds that carries no readable member data', async () => {
    const before = Date.now();
    const answer = await h.gql('member', h.member(members[0].id), ISSUE);
    const { token, expiresAt } = answer.data!.issueMemberCardToken;
    expect(token.length).toBeLessThanOrEqual(80);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    const ttl = Date.parse(expiresAt) - before;
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(61_000);
    const hex = members[0].id.replace(/-/g, '');
    const decoded = Buffer.from(token.slice(1), 'base64url');
    expect(decoded.toString('hex')).not.toContain(hex);
    expect(token).not.toContain(members[0].cardNumber);
    // Every issue is a new code: a screenshot of one code is not the member's next code.
    expect(await issueToken(members[0].id)).not.toEqual(token);
  });

  it('only a MEMBER caller gets a code', async () => {
    const answer = await h.gql('member', h.principals.hospital, ISSUE);
    expect(codesOf(answer)).toEqual(['FORBIDDEN']);
    const platformAsMember = { ...h.principals.platform, scopes: ['member:self'] };
    expect(codesOf(await h.gql('member', platformAsMember, ISSUE))).toEqual(['FORBIDDEN']);
  });

  it('a valid code verifies to an active member with masked fields and a verification bound to the partner and purpose', async () => {
    const token = await issueToken(members[0].id);
    const before = Date.now();
    const answer = await h.gql('member', h.principals.hospital, VERIFY, { token, purpose: 'HOSPITAL_DISCOUNT' });
    const verification = answer.data!.verifyMemberCard;
    expect(verification).toMatchObject({ valid: true, reason: null, purpose: 'HOSPITAL_DISCOUNT' });
    expect(verification.verificationId).toMatch(/^[0-9a-f-]{36}$/);
    const ttl = Date.parse(verification.expiresAt) - before;
    expect(ttl).toBeGreaterThan(4 * 3600_000 - 5_000);
    expect(ttl).toBeLessThanOrEqual(4 * 3600_000 + 1_000);
    expect(verification.member.id).toBe(members[0].id);
    expect(verification.member.fullName).toBeNull();
    expect(verification.member.cardNumber).toMatch(/^GD\*+\d{4}$/);
    expect(verification.member.displayName).toContain('*');
    expect(verification.member.phone).toMatch(/^\d{3}\*+\d{4}$/);
    const [row] = (await h.sql.query(`SELECT partner_id, purpose, method FROM member.member_verifications WHERE id = $1`, [verification.verificationId])).rows;
    expect(row).toEqual({ partner_id: h.principals.hospital.id, purpose: 'HOSPITAL_DISCOUNT', method: 'CARD_TOKEN' });
  });

  it('the same partner verifying again gets the same verification; another partner or purpose gets TOKEN_ALREADY_USED', async () => {
    const token = await issueToken(members[1].id);
    const first = (await h.gql('member', h.principals.hospital, VERIFY, { token, purpose: 'HOSPITAL_DISCOUNT' })).data!.verifyMemberCard;
    const again = (await h.gql('member', h.principals.hospital, VERIFY, { token, purpose: 'HOSPITAL_DISCOUNT' })).data!.verifyMemberCard;
    expect(again.verificationId).toBe(first.verificationId);
    expect(again.expiresAt).toBe(first.expiresAt);
    const other = (await h.gql('member', h.principals.otherHospital, VERIFY, { token, purpose: 'HOSPITAL_DISCOUNT' })).data!.verifyMemberCard;
    expect(other).toMatchObject({ valid: false, reason: 'TOKEN_ALREADY_USED', verificationId: null, member: null });
    const otherPurpose = (await h.gql('member', h.principals.hospital, VERIFY, { token, purpose: 'IDENTITY_CHECK' })).data!.verifyMemberCard;
    expect(otherPurpose).toMatchObject({ valid: false, reason: 'TOKEN_ALREADY_USED' });
  });

  it('a verified code replays for its partner and purpose after the code expired, until the verification itself expires', async () => {
    // A code with one second left, verified at once.
    const token = new CardTokenCodec(h.cardTokenSecret).issue(members[1].id, new Date(Date.now() - 59_000)).token;
    const first = (await h.gql('member', h.principals.hospital, VERIFY, { token, purpose: 'HOSPITAL_DISCOUNT' })).data!.verifyMemberCard;
    expect(first.valid).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const again = (await h.gql('member', h.principals.hospital, VERIFY, { token, purpose: 'HOSPITAL_DISCOUNT' })).data!.verifyMemberCard;
    expect(again).toMatchObject({ valid: true, verificationId: first.verificationId, expiresAt: first.expiresAt });
    // Another partner meets a used code, not an expired one.
    expect((await h.gql('member', h.principals.otherHospital, VERIFY, { token, purpose: 'HOSPITAL_DISCOUNT' })).data!.verifyMemberCard).toMatchObject({
      valid: false,
      reason: 'TOKEN_ALREADY_USED',
    });
    await h.sql.query(`UPDATE member.member_verifications SET created_at = now() - interval '5 hours', expires_at = now() - interval '1 hour' WHERE id = $1`, [
      first.verificationId,
    ]);
    expect((await h.gql('member', h.principals.hospital, VERIFY, { token, purpose: 'HOSPITAL_DISCOUNT' })).data!.verifyMemberCard).toMatchObject({
      valid: false,
      reason: 'TOKEN_EXPIRED',
      verificationId: null,
      member: null,
    });
  });

  it('two partners scanning one code at the same instant: exactly one wins', async () => {
    const token = await issueToken(members[2].id);
    const callers = [h.principals.hospital, h.principals.otherHospital, h.principals.merchant];
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => h.gql('member', callers[i % 3], VERIFY, { token, purpose: 'IDENTITY_CHECK' })));
    const valid = answers.map((a) => a.data!.verifyMemberCard).filter((v) => v.valid);
    const winners = new Set(valid.map((v) => v.verificationId));
    expect(winners.size).toBe(1);
    const invalid = answers.map((a) => a.data!.verifyMemberCard).filter((v) => !v.valid);
    expect(invalid.every((v) => v.reason === 'TOKEN_ALREADY_USED')).toBe(true);
    expect(valid.length).toBe(4);
    const { rows } = await h.sql.query(`SELECT count(*)::int AS n FROM member.member_verifications WHERE member_id = $1`, [members[2].id]);
    expect(rows[0].n).toBe(1);
  });

  it('altered, forged, foreign and garbage codes are TOKEN_INVALID; old codes TOKEN_EXPIRED', async () => {
    const token = await issueToken(members[3].id);
    const flipped = token.slice(0, 10) + (token[10] === 'A' ? 'B' : 'A') + token.slice(11);
    const foreign = new CardTokenCodec('x'.repeat(40)).issue(members[3].id).token;
    const expired = new CardTokenCodec(h.cardTokenSecret).issue(members[3].id, new Date(Date.now() - 61_000)).token;
    for (const [candidate, reason] of [
      [flipped, 'TOKEN_INVALID'],
      [foreign, 'TOKEN_INVALID'],
      ['', 'TOKEN_INVALID'],
      ['not a token', 'TOKEN_INVALID'],
      [token + 'A', 'TOKEN_INVALID'],
      ['x'.repeat(10_000), 'TOKEN_INVALID'],
      [expired, 'TOKEN_EXPIRED'],
    ] as const) {
      const answer = await h.gql('member', h.principals.hospital, VERIFY, { token: candidate, purpose: 'HOSPITAL_DISCOUNT' });
      expect(answer.errors).toBeUndefined();
      expect(answer.data!.verifyMemberCard).toMatchObject({ valid: false, reason, verificationId: null, member: null });
    }
    const { rows } = await h.sql.query(`SELECT count(*)::int AS n FROM member.member_verifications WHERE member_id = $1`, [members[3].id]);
    expect(rows[0].n).toBe(0);
  });

  it('a member who is not ACTIVE is MEMBER_NOT_ACTIVE, also when the same partner re-verifies an earlier code', async () => {
    const token = await issueToken(members[4].id);
    const first = (await h.gql('member', h.principals.hospital, VERIFY, { token, purpose: 'HOSPITAL_DISCOUNT' })).data!.verifyMemberCard;
    expect(first.valid).toBe(true);
    const fresh = await issueToken(members[4].id);
    await h.setMemberStatus(members[4].id, 'SUSPENDED');
    try {
      for (const t of [token, fresh]) {
        const answer = (await h.gql('member', h.principals.hospital, VERIFY, { token: t, purpose: 'HOSPITAL_DISCOUNT' })).data!.verifyMemberCard;
        expect(answer).toMatchObject({ valid: false, reason: 'MEMBER_NOT_ACTIVE', member: null });
      }
    } finally {
      await h.setMemberStatus(members[4].id, 'ACTIVE');
    }
  });

  it('needs member:verify and a verifying partner kind', async () => {
    const token = await issueToken(members[0].id);
    expect(codesOf(await h.gql('member', h.principals.city, VERIFY, { token, purpose: 'IDENTITY_CHECK' }))).toEqual(['FORBIDDEN']);
    const unionWithScope = { ...h.principals.city, scopes: ['member:verify'] };
    expect(codesOf(await h.gql('member', unionWithScope, VERIFY, { token, purpose: 'IDENTITY_CHECK' }))).toEqual(['FORBIDDEN']);
  });
});

describe('paper card fallback', () => {
  it('card number and the stated full name verify; names are compared as people type them', async () => {
    const m = members[5];
    const spaced = ` ${Array.from(m.fullName).join(' ')} `;
    const answer = (
      await h.gql('member', h.principals.hospital, VERIFY_PAPER, { cardNumber: m.cardNumber.toLowerCase(), fullName: spaced, purpose: 'HOSPITAL_DISCOUNT' })
    ).data!.verifyMemberByCardNumber;
    expect(answer).toMatchObject({ valid: true, reason: null, member: { id: m.id } });
    expect(normalizeName('阿卜杜•热合曼')).toBe(normalizeName('阿卜杜·热合曼'));
    expect(normalizeName('ＡＢ')).toBe('AB');
  });

  it('unknown or malformed card numbers are CARD_NOT_FOUND', async () => {
    for (const cardNumber of ['GD000000000000', 'nonsense', '']) {
      const answer = (await h.gql('member', h.principals.hospital, VERIFY_PAPER, { cardNumber, fullName: '张三', purpose: 'HOSPITAL_DISCOUNT' })).data!
        .verifyMemberByCardNumber;
      expect(answer).toMatchObject({ valid: false, reason: 'CARD_NOT_FOUND', member: null });
    }
  });

  it('a wrong name is NAME_MISMATCH; the fifth failure within an hour locks the card, even for the right name', async () => {
    const m = members[6];
    const attempt = (fullName: string, partner = h.principals.hospital) =>
      h
        .gql('member', partner, VERIFY_PAPER, { cardNumber: m.cardNumber, fullName, purpose: 'HOSPITAL_DISCOUNT' })
        .then((a) => a.data!.verifyMemberByCardNumber);
    for (let i = 0; i < 5; i += 1)
      expect(await attempt(`王${i}明`, i % 2 ? h.principals.otherHospital : h.principals.hospital)).toMatchObject({ valid: false, reason: 'NAME_MISMATCH' });
    expect(await attempt(m.fullName)).toMatchObject({ valid: false, reason: 'CARD_LOCKED', verificationId: null, member: null });
    expect(await attempt('王五明')).toMatchObject({ valid: false, reason: 'CARD_LOCKED' });
    // An hour later the failures no longer count.
    await h.sql.query(`UPDATE member.card_number_failures SET failed_at = failed_at - interval '61 minutes' WHERE member_id = $1`, [m.id]);
    expect(await attempt(m.fullName)).toMatchObject({ valid: true, member: { id: m.id } });
  });

  it('a locked paper card leaves the e-card working', async () => {
    // Not the sibling district's first member: the last test of this block suspends that one.
    const [, m] = await h.activeMembersUnder(h.world.organizations.siblingDistrictUnionOrgId, 2);
    for (let i = 0; i < 5; i += 1) {
      await h.gql('member', h.principals.hospital, VERIFY_PAPER, { cardNumber: m.cardNumber, fullName: `错${i}`, purpose: 'IDENTITY_CHECK' });
    }
    const locked = (await h.gql('member', h.principals.hospital, VERIFY_PAPER, { cardNumber: m.cardNumber, fullName: m.fullName, purpose: 'IDENTITY_CHECK' }))
      .data!.verifyMemberByCardNumber;
    expect(locked).toMatchObject({ valid: false, reason: 'CARD_LOCKED' });
    const eCard = (await h.gql('member', h.principals.hospital, VERIFY, { token: await issueToken(m.id), purpose: 'IDENTITY_CHECK' })).data!.verifyMemberCard;
    expect(eCard).toMatchObject({ valid: true, member: { id: m.id } });
  });

  it('parallel guesses get five tries, not fifty', async () => {
    const m = members[7];
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        h.gql('member', h.principals.hospital, VERIFY_PAPER, { cardNumber: m.cardNumber, fullName: `猜${i}`, purpose: 'IDENTITY_CHECK' }),
      ),
    );
    const reasons = answers.map((a) => a.data!.verifyMemberByCardNumber.reason);
    expect(reasons.filter((r) => r === 'NAME_MISMATCH')).toHaveLength(5);
    expect(reasons.filter((r) => r === 'CARD_LOCKED')).toHaveLength(25);
  });

  it('a suspended member with the right name is MEMBER_NOT_ACTIVE', async () => {
    const [m] = await h.activeMembersUnder(h.world.organizations.siblingDistrictUnionOrgId, 1);
    await h.setMemberStatus(m.id, 'LAPSED');
    const answer = (await h.gql('member', h.principals.hospital, VERIFY_PAPER, { cardNumber: m.cardNumber, fullName: m.fullName, purpose: 'IDENTITY_CHECK' }))
      .data!.verifyMemberByCardNumber;
    expect(answer).toMatchObject({ valid: false, reason: 'MEMBER_NOT_ACTIVE' });
    await h.setMemberStatus(m.id, 'ACTIVE');
  });
});
