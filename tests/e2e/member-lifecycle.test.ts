import { Client } from 'pg';
import { DEMO_VOUCHER_BATCHES } from '../../subgraphs/benefit/src/seed/voucher-seed';
import { residentIdCheckDigit } from '../../subgraphs/member/src/modules/enrollment/resident-id';
import { statsDrift } from '../testkit/member-stats';
import { errorCodes, gql, memberToken, partnerToken, requestToken } from '../testkit/client';
import { startSystem, type RunningSystem } from '../testkit/system';
import { memberTokenExchange } from '../../scripts/src/partner-token';

/**
 * Issue 14 items 1-2 and issue 13 item 6 through the gateway: join invitations and applications
 * (扫码入会), updateMember, changeMemberStatus, updatedAt and changedSince. The system runs with
 * small join rate limits (8 new applications per invitation per hour, 3 per ID number per day),
 * so the limits can be proven by racing real requests.
 */

const PER_INVITATION = 8;
const PER_ID_NUMBER = 3;

let system: RunningSystem;
let sql: Client;
let district: string;
let sibling: string;
let platform: string;
let hospital: string;
let merchant: string;
let districtOrg: string;
let siblingOrg: string;
let workplace: string;

beforeAll(async () => {
  system = await startSystem({
    env: { JOIN_APPLICATIONS_PER_INVITATION_PER_HOUR: String(PER_INVITATION), JOIN_APPLICATIONS_PER_ID_NUMBER_PER_DAY: String(PER_ID_NUMBER) },
  });
  sql = new Client({ connectionString: system.databaseUrl, options: '-c search_path=member' });
  await sql.connect();
  [district, sibling, platform, hospital, merchant] = await Promise.all([
    partnerToken(system, 'districtUnion'),
    partnerToken(system, 'siblingDistrictUnion'),
    partnerToken(system, 'platform'),
    partnerToken(system, 'hospital'),
    partnerToken(system, 'merchant'),
  ]);
  districtOrg = system.credentials.partners.districtUnion.organizationId!;
  siblingOrg = system.credentials.partners.siblingDistrictUnion.organizationId!;
  const children = await gql(system, district, `query ($org: ID!) { organization(id: $org) { children(first: 1) { nodes { id } } } }`, { org: districtOrg });
  workplace = children.body.data!.organization.children.nodes[0].id;
}, 180_000);
afterAll(async () => {
  await sql?.end();
  await system?.stop();
});

let serial = 0;
function residentId(birth = '19900101'): string {
  serial += 1;
  const first17 = `440106${birth}${String(100 + serial).padStart(3, '0')}`;
  return first17 + residentIdCheckDigit(first17);
}
let phoneSerial = 0;
const phone = () => `139${String(30_000_000 + ++phoneSerial).padStart(8, '0')}`;
const wrongCheckDigit = (id: string) => id.slice(0, 17) + (id[17] === '0' ? '1' : '0');

const CREATE = `mutation ($org: ID!, $auto: Boolean, $expiresAt: DateTime, $max: Int) {
  createJoinInvitation(organizationId: $org, autoApprove: $auto, expiresAt: $expiresAt, maxApplications: $max) {
    id code autoApprove expiresAt maxApplications applicationCount createdAt organization { id } } }`;
const SUBMIT = `mutation ($input: SubmitJoinApplicationInput!) {
  submitJoinApplication(input: $input) { id status displayName fullName phone employer newEmploymentForm submittedAt decidedAt organization { id } member { id status cardNumber } } }`;
const APPROVE = `mutation ($id: ID!) { approveJoinApplication(id: $id) { id status decidedAt member { id fullName status organization { id } } } }`;
const REJECT = `mutation ($id: ID!, $reason: String!) { rejectJoinApplication(id: $id, reason: $reason) { id status rejectionReason decidedAt member { id } } }`;
const LIST = `query ($org: ID!, $status: JoinApplicationStatus, $first: Int, $after: String) {
  joinApplications(organizationId: $org, status: $status, first: $first, after: $after) {
    nodes { id status displayName fullName phone employer } pageInfo { hasNextPage endCursor } totalCount } }`;
const UPDATE = `mutation ($id: ID!, $input: UpdateMemberInput!) { updateMember(id: $id, input: $input) { id phone newEmploymentForm status updatedAt } }`;
const STATUS = `mutation ($id: ID!, $status: MembershipStatus!, $reason: String!) { changeMemberStatus(id: $id, status: $status, reason: $reason) { id status updatedAt } }`;
const HISTORY = `query ($id: ID!) { member(id: $id) { updatedAt membershipHistory { nodes { kind fromStatus toStatus reason changedFields recordedBy } totalCount } } }`;
const CHANGED = `query ($org: ID!, $since: DateTime!, $after: String) {
  organization(id: $org) { members(filter: { changedSince: $since }, first: 100, after: $after) { nodes { id updatedAt } pageInfo { hasNextPage endCursor } totalCount } } }`;
const CARD = `mutation { issueMemberCardToken { token expiresAt } }`;
const VERIFY = `mutation ($token: String!) { verifyMemberCard(token: $token, purpose: HOSPITAL_DISCOUNT) { valid reason member { displayName } } }`;

const worker = (code: string, overrides: Record<string, unknown> = {}) => ({
  invitationCode: code,
  fullName: '王建国',
  idNumber: residentId(),
  phone: phone(),
  newEmploymentForm: true,
  employer: '顺丰速运天河站',
  ...overrides,
});
async function invitation(token: string, variables: Record<string, unknown> = {}) {
  const res = await gql(system, token, CREATE, { org: workplace, ...variables });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.createJoinInvitation as { id: string; code: string; applicationCount: number };
}
const footprint = async () =>
  (
    await sql.query(`SELECT (SELECT count(*) FROM members)::int AS members, (SELECT count(*) FROM join_applications)::int AS applications,
      (SELECT count(*) FROM membership_events)::int AS events, (SELECT coalesce(sum(application_count), 0) FROM join_invitations)::int AS counted,
      (SELECT coalesce(sum(used), 0) FROM join_rate_windows)::int AS rate`)
  ).rows[0];
const counterDrift = () => statsDrift(sql);

describe('扫码入会: a union shows a QR code, workers apply through the member app, the union decides', () => {
  it('reviews applications: submit, repeat, list masked and unmasked, approve, reject', async () => {
    const inv = await invitation(district, { max: 5 });
    expect(inv.code).toMatch(/^[A-Z2-7]{24}$/);
    const before = await footprint();

    const applicant = worker(inv.code.toLowerCase().replace(/(.{4})/g, '$1 '));
    const submitted = await gql(system, platform, SUBMIT, { input: applicant });
    expect(submitted.body.errors).toBeUndefined();
    const application = submitted.body.data!.submitJoinApplication;
    // The platform sees what a masked partner sees.
    expect(application).toMatchObject({
      status: 'PENDING',
      displayName: '王*国',
      fullName: null,
      employer: '顺丰速运天河站',
      member: null,
      organization: { id: workplace },
    });
    expect(application.phone).toMatch(/^\d{3}\*{4}\d{4}$/);

    // Scanning again with the same ID number answers the same application and counts nothing.
    const again = await gql(system, platform, SUBMIT, { input: { ...applicant, invitationCode: inv.code, phone: phone() } });
    expect(again.body.data!.submitJoinApplication.id).toBe(application.id);
    expect((await footprint()).applications).toBe(before.applications + 1);
    expect((await sql.query(`SELECT application_count FROM join_invitations WHERE id = $1`, [inv.id])).rows[0].application_count).toBe(1);

    // The district (member:pii) sees the name; a read-only token sees it masked; the sibling nothing.
    const listed = await gql(system, district, LIST, { org: districtOrg, status: 'PENDING' });
    expect(listed.body.data!.joinApplications.nodes).toContainEqual(
      expect.objectContaining({ id: application.id, fullName: '王建国', phone: applicant.phone }),
    );
    const masked = await gql(system, await partnerToken(system, 'districtUnion', 'member:read'), LIST, { org: districtOrg });
    expect(masked.body.data!.joinApplications.nodes.find((n: { id: string }) => n.id === application.id)).toMatchObject({
      fullName: null,
      displayName: '王*国',
    });
    expect(errorCodes(await gql(system, sibling, LIST, { org: districtOrg }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(system, sibling, APPROVE, { id: application.id }))).toEqual(['NOT_FOUND']);

    // Approve: a member in the invitation's organization, ENROLLED in its history by the district.
    const approved = await gql(system, district, APPROVE, { id: application.id });
    expect(approved.body.errors).toBeUndefined();
    expect(approved.body.data!.approveJoinApplication).toMatchObject({
      status: 'APPROVED',
      member: { fullName: '王建国', status: 'ACTIVE', organization: { id: workplace } },
    });
    const memberId = approved.body.data!.approveJoinApplication.member.id;
    const again2 = await gql(system, district, APPROVE, { id: application.id });
    expect(again2.body.data!.approveJoinApplication.member.id).toBe(memberId);
    const history = await gql(system, district, HISTORY, { id: memberId });
    expect(history.body.data!.member.membershipHistory.nodes).toEqual([expect.objectContaining({ kind: 'ENROLLED', recordedBy: '天河区总工会' })]);

    // Reject another one, with a reason; deciding it the other way afterwards is refused.
    const second = await gql(system, platform, SUBMIT, { input: worker(inv.code) });
    const secondId = second.body.data!.submitJoinApplication.id;
    expect(errorCodes(await gql(system, district, REJECT, { id: secondId, reason: '  ' }))).toEqual(['BAD_USER_INPUT']);
    const rejected = await gql(system, district, REJECT, { id: secondId, reason: '不在本单位工作' });
    expect(rejected.body.data!.rejectJoinApplication).toMatchObject({ status: 'REJECTED', rejectionReason: '不在本单位工作', member: null });
    expect(errorCodes(await gql(system, district, APPROVE, { id: secondId }))).toEqual(['NOT_ELIGIBLE']);
    const pending = await gql(system, district, LIST, { org: workplace, status: 'REJECTED' });
    expect(pending.body.data!.joinApplications.nodes.map((n: { id: string }) => n.id)).toContain(secondId);
  });

  it('a person who is a member elsewhere: ALREADY_MEMBER with a transfer hint; nothing written', async () => {
    const idNumber = residentId();
    // Make a member with a known ID number in the sibling's subtree, then apply in the district.
    const siblingInv = await invitation(sibling, { org: siblingOrg, auto: true });
    const joined = await gql(system, platform, SUBMIT, { input: worker(siblingInv.code, { idNumber }) });
    expect(joined.body.data!.submitJoinApplication.status).toBe('APPROVED');

    const inv = await invitation(district);
    const app = await gql(system, platform, SUBMIT, { input: worker(inv.code, { idNumber }) });
    const before = await footprint();
    const refused = await gql(system, district, APPROVE, { id: app.body.data!.submitJoinApplication.id });
    expect(errorCodes(refused)).toEqual(['ALREADY_MEMBER']);
    expect(refused.body.errors![0]!.extensions).toMatchObject({ hint: 'TRANSFER', remedy: 'transferMember' });
    // The sibling's member is outside the district's subtree: its id is not disclosed.
    expect(refused.body.errors![0]!.extensions!.memberId).toBeUndefined();
    expect(await footprint()).toEqual(before);
    // The city union above both sees the member id and can transfer.
    const city = await partnerToken(system, 'cityUnion');
    const byCity = await gql(system, city, APPROVE, { id: app.body.data!.submitJoinApplication.id });
    expect(byCity.body.errors![0]!.extensions!.memberId).toBe(joined.body.data!.submitJoinApplication.member.id);
  });

  it('scan to ACTIVE member with an e-card on an auto-approving invitation, timed through the gateway', async () => {
    const inv = await invitation(district, { auto: true });
    const started = performance.now();
    const submitted = await gql(system, platform, SUBMIT, { input: worker(inv.code) });
    expect(submitted.body.errors).toBeUndefined();
    const { member } = submitted.body.data!.submitJoinApplication;
    expect(submitted.body.data!.submitJoinApplication.status).toBe('APPROVED');
    expect(member).toMatchObject({ status: 'ACTIVE' });
    const token = await memberToken(system, member.id);
    const card = await gql(system, token, CARD);
    const elapsed = performance.now() - started;
    expect(card.body.data!.issueMemberCardToken.token).toEqual(expect.any(String));
    const verified = await gql(system, hospital, VERIFY, { token: card.body.data!.issueMemberCardToken.token });
    expect(verified.body.data!.verifyMemberCard).toMatchObject({ valid: true, member: { displayName: '王*国' } });
    console.log(`scan to e-card (submit + token exchange + issueMemberCardToken) through the gateway: ${elapsed.toFixed(0)} ms`);
    expect(elapsed).toBeLessThan(60_000);
  });

  it.each([
    ['a hospital submits', () => hospital, (code: string) => worker(code), 'FORBIDDEN'],
    ['a merchant submits', () => merchant, (code: string) => worker(code), 'FORBIDDEN'],
    ['a union submits', () => district, (code: string) => worker(code), 'FORBIDDEN'],
    ['a wrong check digit', () => platform, (code: string) => worker(code, { idNumber: wrongCheckDigit(residentId()) }), 'BAD_USER_INPUT'],
    ['an invisible character in the name', () => platform, (code: string) => worker(code, { fullName: '王\u200B建国' }), 'BAD_USER_INPUT'],
    ['a formula as employer', () => platform, (code: string) => worker(code, { employer: '=cmd|"/c calc"!A1' }), 'BAD_USER_INPUT'],
    ['an unknown code', () => platform, () => worker('AAAAAAAAAAAAAAAAAAAAAAAA'), 'APPLICATION_CLOSED'],
    ['a malformed code', () => platform, () => worker('not-a-code'), 'APPLICATION_CLOSED'],
  ])('%s: refused with its code, nothing written', async (_name, token, input, code) => {
    const inv = await invitation(district);
    const before = await footprint();
    expect(errorCodes(await gql(system, token(), SUBMIT, { input: input(inv.code) }))).toEqual([code]);
    expect(await footprint()).toEqual(before);
  });

  it('an expired or full invitation: APPLICATION_CLOSED, nothing written; bad invitation parameters: BAD_USER_INPUT', async () => {
    const expiring = await invitation(district, { expiresAt: new Date(Date.now() + 60_000).toISOString() });
    await sql.query(`UPDATE join_invitations SET expires_at = now() - interval '1 second' WHERE id = $1`, [expiring.id]);
    let before = await footprint();
    expect(errorCodes(await gql(system, platform, SUBMIT, { input: worker(expiring.code) }))).toEqual(['APPLICATION_CLOSED']);
    expect(await footprint()).toEqual(before);

    const full = await invitation(district, { max: 1 });
    expect((await gql(system, platform, SUBMIT, { input: worker(full.code) })).body.errors).toBeUndefined();
    before = await footprint();
    expect(errorCodes(await gql(system, platform, SUBMIT, { input: worker(full.code) }))).toEqual(['APPLICATION_CLOSED']);
    expect(await footprint()).toEqual(before);

    expect(errorCodes(await gql(system, district, CREATE, { org: workplace, max: 0 }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await gql(system, district, CREATE, { org: workplace, expiresAt: '2020-01-01T00:00:00Z' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await gql(system, district, CREATE, { org: siblingOrg }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(system, hospital, CREATE, { org: workplace }))).toEqual(['FORBIDDEN']);
  });

  it('a full invitation under a race: 20 workers at once for 5 places, exactly 5 applications', async () => {
    const inv = await invitation(district, { max: 5 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => gql(system, platform, SUBMIT, { input: worker(inv.code) })));
    expect(answers.filter((a) => !a.body.errors).length).toBe(5);
    expect(answers.filter((a) => errorCodes(a)[0] === 'APPLICATION_CLOSED').length).toBe(15);
    expect((await sql.query(`SELECT count(*)::int AS n FROM join_applications WHERE invitation_id = $1`, [inv.id])).rows[0].n).toBe(5);
  });

  it(`a leaked code: ${PER_INVITATION} new applications per invitation and hour, counted in the database under a race`, async () => {
    const inv = await invitation(district);
    const answers = await Promise.all(Array.from({ length: PER_INVITATION + 6 }, () => gql(system, platform, SUBMIT, { input: worker(inv.code) })));
    expect(answers.filter((a) => !a.body.errors).length).toBe(PER_INVITATION);
    const limited = answers.filter((a) => errorCodes(a)[0] === 'RATE_LIMITED');
    expect(limited.length).toBe(6);
    expect(limited[0]!.body.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThan(0);
    expect((await sql.query(`SELECT application_count FROM join_invitations WHERE id = $1`, [inv.id])).rows[0].application_count).toBe(PER_INVITATION);
  });

  it(`one ID number: ${PER_ID_NUMBER} new applications a day over all invitations`, async () => {
    const idNumber = residentId();
    const codes = await Promise.all(Array.from({ length: PER_ID_NUMBER + 2 }, () => invitation(district).then((i) => i.code)));
    const answers = await Promise.all(codes.map((code) => gql(system, platform, SUBMIT, { input: worker(code, { idNumber }) })));
    expect(answers.filter((a) => !a.body.errors).length).toBe(PER_ID_NUMBER);
    expect(answers.filter((a) => errorCodes(a)[0] === 'RATE_LIMITED').length).toBe(2);
  });
});

describe('update, suspend and reinstate; updatedAt and changedSince', () => {
  let memberId: string;

  beforeAll(async () => {
    const inv = await invitation(district, { auto: true });
    const joined = await gql(system, platform, SUBMIT, { input: worker(inv.code, { newEmploymentForm: false }) });
    memberId = joined.body.data!.submitJoinApplication.member.id;
  });

  it('updateMember changes phone and flag, records UPDATED (fields, not values) and stamps updatedAt', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const stamp0 = (await gql(system, district, HISTORY, { id: memberId })).body.data!.member.updatedAt;
    await new Promise((r) => setTimeout(r, 20));
    const newPhone = phone();
    const updated = await gql(system, district, UPDATE, { id: memberId, input: { phone: newPhone, newEmploymentForm: true } });
    expect(updated.body.errors).toBeUndefined();
    expect(updated.body.data!.updateMember).toMatchObject({ phone: newPhone, newEmploymentForm: true });
    expect(Date.parse(updated.body.data!.updateMember.updatedAt)).toBeGreaterThan(Date.parse(stamp0));
    // The same values again: nothing recorded.
    await gql(system, district, UPDATE, { id: memberId, input: { phone: newPhone } });
    const history = (await gql(system, district, HISTORY, { id: memberId })).body.data!.member.membershipHistory;
    expect(history.nodes.filter((n: { kind: string }) => n.kind === 'UPDATED')).toEqual([
      expect.objectContaining({ changedFields: ['phone', 'newEmploymentForm'], recordedBy: '天河区总工会' }),
    ]);
    expect(JSON.stringify(history)).not.toContain(newPhone);
    expect(await counterDrift()).toEqual([]);

    // Incremental sync: the member is among those changed since, paged over the subtree.
    const changed = await gql(system, district, CHANGED, { org: districtOrg, since });
    expect(changed.body.data!.organization.members.nodes.map((n: { id: string }) => n.id)).toContain(memberId);
    const later = await gql(system, district, CHANGED, { org: districtOrg, since: new Date(Date.now() + 60_000).toISOString() });
    expect(later.body.data!.organization.members).toMatchObject({ nodes: [], totalCount: 0 });
  });

  it('bad updates are refused and write nothing', async () => {
    const before = await footprint();
    expect(errorCodes(await gql(system, district, UPDATE, { id: memberId, input: { phone: '12345' } }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await gql(system, district, UPDATE, { id: memberId, input: {} }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await gql(system, sibling, UPDATE, { id: memberId, input: { newEmploymentForm: false } }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await gql(system, hospital, UPDATE, { id: memberId, input: { newEmploymentForm: false } }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(system, district, STATUS, { id: memberId, status: 'TRANSFERRED_OUT', reason: '离职' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await gql(system, district, STATUS, { id: memberId, status: 'SUSPENDED', reason: '' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await gql(system, sibling, STATUS, { id: memberId, status: 'SUSPENDED', reason: '欠缴会费' }))).toEqual(['NOT_FOUND']);
    expect(await footprint()).toEqual(before);
  });

  it('a suspended member: no member token, card MEMBER_NOT_ACTIVE, no claims, awards or spending; vouchers and points kept; reinstated, all works again', async () => {
    const memberTok = await memberToken(system, memberId);
    const award = (id: string) =>
      gql(system, district, `mutation ($input: AwardPointsInput!) { awardPoints(input: $input) { balanceAfter } }`, {
        input: { memberId: id, rule: 'ACTIVITY', sourceRef: `e2e:${Math.random()}`, amount: 50 },
      });
    expect((await award(memberId)).body.errors).toBeUndefined();
    const claimed = await gql(system, memberTok, `mutation ($b: ID!) { claimVoucher(batchId: $b) { id status code } }`, {
      b: DEMO_VOUCHER_BATCHES.welfareMovie,
    });
    expect(claimed.body.errors).toBeUndefined();
    const voucherCode = claimed.body.data!.claimVoucher.code as string;
    const VALIDATE = `mutation ($code: String!) { validateVoucher(code: $code, orderAmountFen: 10000) { valid reason } }`;
    const REDEEM = `mutation ($input: RedeemVoucherInput!) { redeemVoucher(input: $input) { status } }`;
    const reward = await gql(system, platform, `mutation ($input: CreateRewardInput!) { createReward(input: $input) { id } }`, {
      input: { name: '工会保温杯', pointsCost: 10, stock: 10 },
    });
    const rewardId = reward.body.data!.createReward.id;
    const cardBefore = (await gql(system, memberTok, CARD)).body.data!.issueMemberCardToken.token;
    const statsBefore = (await sql.query(`SELECT active_count FROM organization_stats WHERE organization_id = $1`, [districtOrg])).rows[0].active_count;

    const suspended = await gql(system, district, STATUS, { id: memberId, status: 'SUSPENDED', reason: '欠缴会费' });
    expect(suspended.body.data!.changeMemberStatus.status).toBe('SUSPENDED');
    expect((await sql.query(`SELECT active_count FROM organization_stats WHERE organization_id = $1`, [districtOrg])).rows[0].active_count).toBe(
      String(Number(statsBefore) - 1),
    );
    expect(await counterDrift()).toEqual([]);

    // No fresh member token; the card shown before fails; the token issued before cannot claim or spend.
    const exchange = await requestToken(system, 'platform', memberTokenExchange(memberId));
    expect(exchange.status).toBe(400);
    expect(exchange.body.error).toBe('invalid_grant');
    expect((await gql(system, hospital, VERIFY, { token: cardBefore })).body.data!.verifyMemberCard).toMatchObject({
      valid: false,
      reason: 'MEMBER_NOT_ACTIVE',
    });
    expect(
      errorCodes(await gql(system, memberTok, `mutation ($b: ID!) { claimVoucher(batchId: $b) { id } }`, { b: DEMO_VOUCHER_BATCHES.welfareSwimming })),
    ).toEqual(['NOT_ELIGIBLE']);
    expect(errorCodes(await award(memberId))).toEqual(['NOT_ELIGIBLE']);
    expect(errorCodes(await gql(system, memberTok, `mutation ($r: ID!) { redeemReward(rewardId: $r) { id } }`, { r: rewardId }))).toEqual(['NOT_ELIGIBLE']);
    // Nor can a merchant redeem the voucher the member holds.
    expect((await gql(system, merchant, VALIDATE, { code: voucherCode })).body.data!.validateVoucher).toEqual({ valid: false, reason: 'NOT_ELIGIBLE' });
    const refusedRedeem = await gql(system, merchant, REDEEM, { input: { code: voucherCode, partnerOrderId: `suspended-${memberId}`, orderAmountFen: 10000 } });
    expect(errorCodes(refusedRedeem)).toEqual(['NOT_ELIGIBLE']);
    // Kept: the voucher and the points are still the member's.
    const kept = await gql(system, district, `query ($id: ID!) { member(id: $id) { status points { balance } vouchers { totalCount } } }`, { id: memberId });
    expect(kept.body.data!.member).toMatchObject({ status: 'SUSPENDED', points: { balance: 50 }, vouchers: { totalCount: 1 } });

    // Reinstated: everything works again.
    expect((await gql(system, district, STATUS, { id: memberId, status: 'ACTIVE', reason: '已补缴会费' })).body.data!.changeMemberStatus.status).toBe('ACTIVE');
    const fresh = await memberToken(system, memberId);
    expect((await gql(system, merchant, VALIDATE, { code: voucherCode })).body.data!.validateVoucher).toEqual({ valid: true, reason: null });
    expect((await gql(system, fresh, `mutation ($r: ID!) { redeemReward(rewardId: $r) { status } }`, { r: rewardId })).body.data!.redeemReward.status).toBe(
      'PLACED',
    );
    const history = (await gql(system, district, HISTORY, { id: memberId })).body.data!.member.membershipHistory.nodes;
    expect(history.filter((n: { kind: string }) => n.kind === 'STATUS_CHANGED')).toEqual([
      expect.objectContaining({ fromStatus: 'ACTIVE', toStatus: 'SUSPENDED', reason: '欠缴会费' }),
      expect.objectContaining({ fromStatus: 'SUSPENDED', toStatus: 'ACTIVE', reason: '已补缴会费' }),
    ]);
    expect(await counterDrift()).toEqual([]);
  });

  it('LAPSED and back, concurrently with updates: counters stay exact', async () => {
    const page = await gql(
      system,
      district,
      `query ($org: ID!) { organization(id: $org) { members(first: 6, filter: { status: ACTIVE }) { nodes { id } } } }`,
      { org: districtOrg },
    );
    const ids: string[] = page.body.data!.organization.members.nodes.map((n: { id: string }) => n.id);
    expect(ids).toHaveLength(6);
    await Promise.all(
      ids.flatMap((id, i) => [
        gql(system, district, STATUS, { id, status: i % 2 ? 'LAPSED' : 'SUSPENDED', reason: '停止缴费' }),
        gql(system, district, UPDATE, { id, input: { newEmploymentForm: i % 3 === 0 } }),
      ]),
    );
    expect(await counterDrift()).toEqual([]);
    await Promise.all(ids.map((id) => gql(system, district, STATUS, { id, status: 'ACTIVE', reason: '恢复' })));
    expect(await counterDrift()).toEqual([]);
  });

  it('changedSince is served from members_changed_idx', async () => {
    // Fresh statistics, and a moment after the last change: few members changed since, as in a
    // real feed read (here every member changed within the hour, so a window reaching back over
    // them would rightly be read from the ordered subtree index instead).
    const plan = await sql.query(`ANALYZE members; SET enable_seqscan = off; EXPLAIN SELECT id FROM members m
       WHERE m.org_path >= '/1/' AND m.org_path < '/10' AND m.updated_at >= now() + interval '1 hour'
       ORDER BY m.org_path, m.id LIMIT 21`);
    const text = (Array.isArray(plan) ? plan[plan.length - 1] : plan).rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
    expect(text).toContain('members_changed_idx');
  });
});

describe('the lifecycle in the change feed (issue 13 meets issue 14)', () => {
  const EVENTS = `query ($after: String, $types: [EventType!]) {
    events(after: $after, first: 100, types: $types) { nodes { id type subjectId data } pageInfo { endCursor hasNextPage } } }`;
  type FeedEvent = { id: string; type: string; subjectId: string; data: string };
  type FeedPage = { nodes: FeedEvent[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } };

  /** The caller's events of these types, read page by page until `wanted` says it has them all (the relay is asynchronous). */
  async function feedUntil(token: string, types: string[], wanted: (events: FeedEvent[]) => boolean): Promise<FeedEvent[]> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const events: FeedEvent[] = [];
      let after: string | null = null;
      for (;;) {
        const page = await gql(system, token, EVENTS, { after, types });
        expect(page.body.errors).toBeUndefined();
        const feed: FeedPage = page.body.data!.events;
        events.push(...feed.nodes);
        after = feed.pageInfo.endCursor;
        if (!feed.pageInfo.hasNextPage) break;
      }
      if (wanted(events) || Date.now() > deadline) return events;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  it('submit, approve, reject, update and status changes each record their event, masked, seen by the district and not by the sibling', async () => {
    const inv = await invitation(district, {});
    const applicant = worker(inv.code);
    const submitted = (await gql(system, platform, SUBMIT, { input: applicant })).body.data!.submitJoinApplication;
    const approved = (await gql(system, district, APPROVE, { id: submitted.id })).body.data!.approveJoinApplication;
    const memberId = approved.member.id as string;
    const other = (await gql(system, platform, SUBMIT, { input: worker(inv.code) })).body.data!.submitJoinApplication;
    await gql(system, district, REJECT, { id: other.id, reason: '不在本单位工作' });
    const newPhone = phone();
    expect((await gql(system, district, UPDATE, { id: memberId, input: { phone: newPhone } })).body.errors).toBeUndefined();
    expect((await gql(system, district, STATUS, { id: memberId, status: 'SUSPENDED', reason: '停止缴费' })).body.errors).toBeUndefined();

    const types = ['JOIN_APPLICATION_SUBMITTED', 'JOIN_APPLICATION_DECIDED', 'MEMBER_ENROLLED', 'MEMBER_UPDATED', 'MEMBER_STATUS_CHANGED'];
    const mine = (events: FeedEvent[]) => events.filter((e) => [submitted.id, other.id, memberId].includes(e.subjectId));
    const events = mine(await feedUntil(district, types, (all) => mine(all).length >= 7));
    expect(events.map((e) => `${e.type}:${e.subjectId === memberId ? 'member' : e.subjectId === submitted.id ? 'approved' : 'rejected'}`)).toEqual([
      'JOIN_APPLICATION_SUBMITTED:approved',
      'MEMBER_ENROLLED:member',
      'JOIN_APPLICATION_DECIDED:approved',
      'JOIN_APPLICATION_SUBMITTED:rejected',
      'JOIN_APPLICATION_DECIDED:rejected',
      'MEMBER_UPDATED:member',
      'MEMBER_STATUS_CHANGED:member',
    ]);
    const data = events.map((e) => JSON.parse(e.data) as Record<string, unknown>);
    expect(data[2]).toMatchObject({ status: 'APPROVED', memberId, displayName: '王*国' });
    expect(data[4]).toMatchObject({ status: 'REJECTED', rejectionReason: '不在本单位工作' });
    expect(data[5]).toMatchObject({ memberId, changedFields: ['phone'] });
    expect(data[6]).toMatchObject({ memberId, fromStatus: 'ACTIVE', toStatus: 'SUSPENDED', status: 'SUSPENDED' });
    // Ids and masked data only: no full name, phone or ID number in any payload.
    const text = JSON.stringify(events);
    for (const secret of ['王建国', applicant.phone, newPhone, applicant.idNumber]) expect(text).not.toContain(secret);

    // The sibling district sees none of it.
    const siblings = await feedUntil(sibling, types, () => true);
    expect(siblings.filter((e) => [submitted.id, other.id, memberId].includes(e.subjectId))).toEqual([]);
    await gql(system, district, STATUS, { id: memberId, status: 'ACTIVE', reason: '恢复' });
  });
});
