import { randomUUID } from 'node:crypto';
import { DEMO_PARTNERS, DEMO_PROGRAMS } from '@union/common';
import { Client } from 'pg';
import { residentIdCheckDigit } from '../../subgraphs/member/src/modules/enrollment/resident-id';
import { errorCodes, gql, memberToken, partnerToken } from '../testkit/client';
import { pidListeningOn, waitForHealthy } from '../testkit/processes';
import { startSystem, type RunningSystem } from '../testkit/system';
import { WebhookReceiver } from '../testkit/webhook-receiver';
import { scrapeMetric } from '../testkit/metrics';

/**
 * Issue 13 through the gateway: every write's event in the feed, visible only to whom it concerns,
 * in an order that never changes; webhooks signed per Standard Webhooks (verified with the
 * standardwebhooks package, as a partner would), retried until the receiver takes them, rotated,
 * redelivered; and kill -9 during a burst of writes loses and duplicates nothing.
 */

// Short pauses so that retries, give-ups and disabling happen within a test.
const WEBHOOK_ENV = {
  EVENTS_RELAY_INTERVAL_MS: '100',
  WEBHOOK_TIMEOUT_SECONDS: '2',
  WEBHOOK_RETRY_FIRST_PAUSE_SECONDS: '0.3',
  WEBHOOK_RETRY_MAX_PAUSE_SECONDS: '1',
  WEBHOOK_RETRY_WINDOW_SECONDS: '10',
  WEBHOOK_DISABLE_AFTER_SECONDS: '3',
  WEBHOOK_LEASE_SECONDS: '5',
  WEBHOOK_SWEEP_INTERVAL_SECONDS: '1',
  WEBHOOK_POLL_SECONDS: '0.5',
  WEBHOOK_JOB_MAINTENANCE_SECONDS: '2',
};

const FEED = `query ($after: String, $first: Int, $types: [EventType!]) {
  events(after: $after, first: $first, types: $types) { nodes { id type occurredAt subjectId data } pageInfo { hasNextPage endCursor } }
}`;
const CREATE_ENDPOINT = `mutation ($url: String!, $types: [EventType!]!) {
  createWebhookEndpoint(url: $url, eventTypes: $types) { secret endpoint { id url eventTypes enabled createdAt failingSince } }
}`;
const ENDPOINTS = `{ webhookEndpoints { id url eventTypes enabled failingSince disabledReason } }`;
const ROTATE = `mutation ($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { id } } }`;
const DELETE = `mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) }`;
const REDELIVER = `mutation ($endpoint: ID!, $event: ID!) { redeliverEvent(endpointId: $endpoint, eventId: $event) }`;
const ENROLL = `mutation ($input: EnrollMemberInput!) { enrollMember(input: $input) { id } }`;
const TRANSFER = `mutation ($member: ID!, $to: ID!) { transferMember(memberId: $member, toOrganizationId: $to) { id } }`;
const ISSUE = `mutation { issueMemberCardToken { token } }`;
const VERIFY = `mutation ($token: String!) { verifyMemberCard(token: $token, purpose: HOSPITAL_DISCOUNT) { valid verificationId } }`;
const APPLY = `mutation ($input: ApplyHospitalDiscountInput!) { applyHospitalDiscount(input: $input) { id } }`;
const VOID = `mutation ($id: ID!) { voidDiscountClaim(claimId: $id, reason: "settlement revoked") { id status } }`;
const CREATE_BATCH = `mutation ($input: CreateVoucherBatchInput!) { createVoucherBatch(input: $input) { id } }`;
const CLAIM = `mutation ($batch: ID!) { claimVoucher(batchId: $batch) { id code } }`;
const GRANT = `mutation ($batch: ID!, $members: [ID!]!) { grantVouchers(batchId: $batch, memberIds: $members) { granted { id } } }`;
const REDEEM = `mutation ($input: RedeemVoucherInput!) { redeemVoucher(input: $input) { id } }`;
const CANCEL_REDEMPTION = `mutation ($order: String!) { cancelRedemption(partnerOrderId: $order, reason: "refund") { id status } }`;
const AWARD = `mutation ($input: AwardPointsInput!) { awardPoints(input: $input) { id } }`;

interface FeedEvent {
  id: string;
  type: string;
  occurredAt: string;
  subjectId: string;
  data: string;
}

let system: RunningSystem;
let sql: Client;
const tokens: Record<string, string> = {};
let districtOrg: string;
let siblingOrg: string;

let serial = 0;
function residentId(): string {
  serial += 1;
  const first17 = `44010619900101${String(300 + serial).padStart(3, '0')}`;
  return first17 + residentIdCheckDigit(first17);
}
const phone = () => `136${String(30_000_000 + serial).padStart(8, '0')}`;

beforeAll(async () => {
  system = await startSystem({ env: WEBHOOK_ENV });
  sql = new Client({ connectionString: system.databaseUrl });
  await sql.connect();
  for (const partner of ['hospital', 'otherHospital', 'travelPartner', 'merchant', 'cityUnion', 'districtUnion', 'siblingDistrictUnion', 'platform'] as const) {
    tokens[partner] = await partnerToken(system, partner);
  }
  districtOrg = system.credentials.partners.districtUnion.organizationId!;
  siblingOrg = system.credentials.partners.siblingDistrictUnion.organizationId!;
}, 180_000);

afterAll(async () => {
  await sql?.end();
  await system?.stop();
});

/** The fixture's first 10 members are inside districtUnion's subtree (shared/contract/demo-fixtures.md). */
const districtMembers = () => system.credentials.members.slice(0, 10);

/** Every event the caller's feed lists (paging through it), oldest first. */
async function readFeed(token: string, types?: string[]): Promise<FeedEvent[]> {
  const all: FeedEvent[] = [];
  let after: string | null = null;
  for (;;) {
    const res = await gql(system, token, FEED, { after, first: 100, types });
    expect(res.body.errors).toBeUndefined();
    const page: { nodes: FeedEvent[]; pageInfo: { hasNextPage: boolean; endCursor: string } } = res.body.data!.events;
    all.push(...page.nodes);
    after = page.pageInfo.endCursor;
    if (!page.pageInfo.hasNextPage) return all;
  }
}

/** The relay runs every 100 ms: wait until the feed shows what `done` wants. */
async function feedUntil(token: string, done: (events: FeedEvent[]) => boolean, types?: string[], timeoutMs = 30_000): Promise<FeedEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = await readFeed(token, types);
    if (done(events)) return events;
    if (Date.now() > deadline) throw new Error(`feed condition not met within ${timeoutMs} ms (${events.length} events)`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const bySubject = (subjectId: string) => (events: FeedEvent[]) => events.some((e) => e.subjectId === subjectId);

async function enroll(organizationId = districtOrg, token = tokens.districtUnion!): Promise<string> {
  const res = await gql(system, token, ENROLL, { input: { organizationId, fullName: '欧阳晓明', idNumber: residentId(), phone: phone() } });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.enrollMember.id;
}

async function applyDiscount(memberId: string, hospital = tokens.hospital!): Promise<string> {
  const card = await gql(system, await memberToken(system, memberId), ISSUE);
  const verified = await gql(system, hospital, VERIFY, { token: card.body.data!.issueMemberCardToken.token });
  const res = await gql(system, hospital, APPLY, {
    input: { verificationId: verified.body.data!.verifyMemberCard.verificationId, invoiceNumber: `EV-${randomUUID().slice(0, 8)}`, selfPaidFen: 10_000 },
  });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.applyHospitalDiscount.id;
}

async function createBatch(totalQuantity: number, redeemablePartnerIds: string[]): Promise<string> {
  const res = await gql(system, tokens.cityUnion!, CREATE_BATCH, {
    input: {
      programId: DEMO_PROGRAMS.welfare,
      name: '事件测试券',
      voucherKind: 'SWIMMING',
      faceValueFen: 3000,
      totalQuantity,
      claimStartsAt: new Date(Date.now() - 60_000).toISOString(),
      claimEndsAt: new Date(Date.now() + 86_400_000).toISOString(),
      validFrom: new Date(Date.now() - 60_000).toISOString(),
      validTo: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      redeemablePartnerIds,
    },
  });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.createVoucherBatch.id;
}

async function createEndpoint(token: string, receiver: WebhookReceiver, types: string[]): Promise<{ id: string; secret: string }> {
  const res = await gql(system, token, CREATE_ENDPOINT, { url: receiver.url, types });
  expect(res.body.errors).toBeUndefined();
  const { secret, endpoint } = res.body.data!.createWebhookEndpoint;
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
  receiver.secrets = [secret];
  return { id: endpoint.id, secret };
}

describe('the feed: each write once, in an order that never changes, only for whom it concerns', () => {
  it("a hospital sees its own claims, never another hospital's; unions of the member and the sponsor see them; a sibling district does not", async () => {
    const member = districtMembers()[0]!;
    const claimId = await applyDiscount(member.id);
    const otherClaimId = await applyDiscount(districtMembers()[1]!.id, tokens.otherHospital);
    const hospitalFeed = await feedUntil(tokens.hospital!, bySubject(claimId));
    expect(hospitalFeed.some((e) => e.subjectId === otherClaimId)).toBe(false);
    expect(hospitalFeed.every((e) => e.type.startsWith('DISCOUNT_CLAIM'))).toBe(true);
    const applied = hospitalFeed.find((e) => e.subjectId === claimId)!;
    expect(applied.type).toBe('DISCOUNT_CLAIM_APPLIED');
    const data = JSON.parse(applied.data);
    expect(data).toMatchObject({ claimId, memberId: member.id, hospitalPartnerId: DEMO_PARTNERS.hospital.id, selfPaidFen: 10_000 });
    expect(applied.data).not.toContain(member.fullName);

    const otherFeed = await feedUntil(tokens.otherHospital!, bySubject(otherClaimId));
    expect(otherFeed.some((e) => e.subjectId === claimId)).toBe(false);
    await feedUntil(tokens.cityUnion!, bySubject(claimId));
    await feedUntil(tokens.districtUnion!, bySubject(claimId));
    expect((await readFeed(tokens.siblingDistrictUnion!)).some((e) => e.subjectId === claimId)).toBe(false);
    expect((await readFeed(tokens.travelPartner!)).some((e) => e.subjectId === claimId)).toBe(false);

    // Voiding is an event of its own, after the claim's.
    expect((await gql(system, tokens.hospital!, VOID, { id: claimId })).body.errors).toBeUndefined();
    const afterVoid = await feedUntil(tokens.hospital!, (events) => events.some((e) => e.subjectId === claimId && e.type === 'DISCOUNT_CLAIM_VOIDED'));
    const ofClaim = afterVoid.filter((e) => e.subjectId === claimId).map((e) => e.type);
    expect(ofClaim).toEqual(['DISCOUNT_CLAIM_APPLIED', 'DISCOUNT_CLAIM_VOIDED']);
  });

  it("a union sees what happens in its subtree (masked), never in another union's; a transfer is seen by both sides", async () => {
    const memberId = await enroll();
    const district = await feedUntil(tokens.districtUnion!, bySubject(memberId), ['MEMBER_ENROLLED']);
    const enrolled = district.find((e) => e.subjectId === memberId)!;
    const data = JSON.parse(enrolled.data);
    expect(data).toMatchObject({ memberId, displayName: '欧**明', status: 'ACTIVE' });
    expect(enrolled.data).not.toContain('欧阳晓明');
    expect(enrolled.data).not.toMatch(/136\d{8}/);
    await feedUntil(tokens.cityUnion!, bySubject(memberId));
    const siblingMemberId = await enroll(siblingOrg, tokens.siblingDistrictUnion!);
    await feedUntil(tokens.siblingDistrictUnion!, bySubject(siblingMemberId));
    expect((await readFeed(tokens.districtUnion!)).some((e) => e.subjectId === siblingMemberId)).toBe(false);
    expect((await readFeed(tokens.siblingDistrictUnion!)).some((e) => e.subjectId === memberId)).toBe(false);

    // The city union moves the member into the sibling district: both districts learn it.
    expect((await gql(system, tokens.cityUnion!, TRANSFER, { member: memberId, to: siblingOrg })).body.errors).toBeUndefined();
    const moved = (events: FeedEvent[]) => events.some((e) => e.subjectId === memberId && e.type === 'MEMBER_TRANSFERRED');
    await feedUntil(tokens.siblingDistrictUnion!, moved);
    await feedUntil(tokens.districtUnion!, moved);
  });

  it('a merchant sees the vouchers of batches it may redeem and its own redemptions; a travel partner sees neither', async () => {
    const batchId = await createBatch(5, [DEMO_PARTNERS.merchant.id]);
    const [first, second] = districtMembers().slice(2, 4);
    const granted = await gql(system, tokens.cityUnion!, GRANT, { batch: batchId, members: [first!.id] });
    expect(granted.body.errors).toBeUndefined();
    const grantedId = granted.body.data!.grantVouchers.granted[0].id;
    const claimed = await gql(system, await memberToken(system, second!.id), CLAIM, { batch: batchId });
    expect(claimed.body.errors).toBeUndefined();
    const order = `EV-${randomUUID().slice(0, 8)}`;
    const redeemed = await gql(system, tokens.merchant!, REDEEM, {
      input: { code: claimed.body.data!.claimVoucher.code, partnerOrderId: order, orderAmountFen: 5000 },
    });
    expect(redeemed.body.errors).toBeUndefined();
    const redemptionId = redeemed.body.data!.redeemVoucher.id;
    expect((await gql(system, tokens.merchant!, CANCEL_REDEMPTION, { order })).body.errors).toBeUndefined();

    const merchantFeed = await feedUntil(tokens.merchant!, (events) => events.some((e) => e.subjectId === redemptionId && e.type === 'REDEMPTION_CANCELLED'));
    const ofBatch = merchantFeed.filter((e) => JSON.parse(e.data).batchId === batchId);
    expect(ofBatch.map((e) => e.type)).toEqual(['VOUCHER_GRANTED', 'VOUCHER_CLAIMED', 'VOUCHER_REDEEMED', 'REDEMPTION_CANCELLED']);
    expect(ofBatch[0]!.subjectId).toBe(grantedId);
    expect(ofBatch.every((e) => !e.data.includes(claimed.body.data!.claimVoucher.code))).toBe(true);
    const travelFeed = await readFeed(tokens.travelPartner!);
    expect(travelFeed.some((e) => JSON.parse(e.data).batchId === batchId)).toBe(false);
  });

  it('a write that fails (SOLD_OUT) has no event; the one that won has exactly one', async () => {
    const batchId = await createBatch(1, [DEMO_PARTNERS.merchant.id]);
    const racers = districtMembers().slice(4, 8);
    const results = await Promise.all(racers.map(async (m) => gql(system, await memberToken(system, m.id), CLAIM, { batch: batchId })));
    const won = results.filter((r) => r.body.data?.claimVoucher);
    expect(won).toHaveLength(1);
    expect(results.filter((r) => errorCodes(r).includes('SOLD_OUT'))).toHaveLength(racers.length - 1);
    const voucherId = won[0]!.body.data!.claimVoucher.id;
    await feedUntil(tokens.platform!, bySubject(voucherId), ['VOUCHER_CLAIMED']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const ofBatch = (await readFeed(tokens.platform!, ['VOUCHER_CLAIMED'])).filter((e) => JSON.parse(e.data).batchId === batchId);
    expect(ofBatch.map((e) => e.subjectId)).toEqual([voucherId]);
  });

  it('MEMBER tokens see no events; cursors are stable and an empty page hands the cursor back', async () => {
    const member = await gql(system, await memberToken(system, districtMembers()[0]!.id), FEED, {});
    expect(member.body.errors).toBeUndefined();
    expect(member.body.data!.events.nodes).toEqual([]);

    const all = await readFeed(tokens.platform!);
    const paged: FeedEvent[] = [];
    let after: string | null = null;
    let cursor = '';
    for (;;) {
      const res = await gql(system, tokens.platform!, FEED, { after, first: 7 });
      paged.push(...res.body.data!.events.nodes);
      cursor = res.body.data!.events.pageInfo.endCursor;
      after = cursor;
      if (!res.body.data!.events.pageInfo.hasNextPage) break;
    }
    expect(paged.map((e) => e.id).slice(0, all.length)).toEqual(all.map((e) => e.id));
    expect(new Set(paged.map((e) => e.id)).size).toBe(paged.length);
    const empty = await gql(system, tokens.platform!, FEED, { after: cursor, first: 5, types: ['REWARD_ORDER_CANCELLED'] });
    expect(empty.body.data!.events.pageInfo.endCursor).toBe(cursor);
    expect(errorCodes(await gql(system, tokens.platform!, FEED, { after: 'forged.cursor' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await gql(system, tokens.platform!, FEED, { first: 101 }))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('the relay', () => {
  const statementsOfEvents = () => scrapeMetric(system.subgraphUrls.events, 'union_db_statements_total');

  it('costs an idle system no statements of its own: a round that finds nothing writes nothing', async () => {
    // Every round (100 ms here) reads every service's outbox; before, each read also took a
    // transaction and a lock and wrote the cursor (4-5 statements a source, 150+ a second).
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = await statementsOfEvents();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const sent = (await statementsOfEvents()) - before;
    // The webhook sweeper (every second here) is all that may speak.
    expect(sent).toBeLessThan(20);
  });
});

describe('webhooks, signed per Standard Webhooks and verified with the standardwebhooks package', () => {
  const receivers: WebhookReceiver[] = [];
  const receiver = async () => {
    const r = await new WebhookReceiver().start();
    receivers.push(r);
    return r;
  };
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.stop()));
  });

  it('a receiver that answers 500, then hangs, then is down gets every event once it is back, each with its original id, in order per subject', async () => {
    const hook = await receiver();
    const endpoint = await createEndpoint(tokens.districtUnion!, hook, ['MEMBER_ENROLLED', 'MEMBER_TRANSFERRED']);
    // 500 twice, then a hang past the 2 s timeout, then success.
    hook.behaviour = ({ attempt }) => (attempt <= 2 ? 500 : attempt === 3 ? 'hang' : 204);
    const first = await enroll();
    await hook.waitFor((got) => got.some((r) => r.id !== '' && JSON.parse(r.body).data.memberId === first), 40_000);

    // Down: nothing listens on the port for a while, writes go on.
    const port = hook.port;
    await hook.stop();
    const during = [await enroll(), await enroll(), await enroll()];
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await hook.start(port);
    await hook.waitFor((got) => during.every((id) => got.some((r) => r.payload.data.memberId === id)), 40_000);

    // Every delivery carries the event id of the feed, the Standard Webhooks body, and verified.
    const feed = await readFeed(tokens.districtUnion!, ['MEMBER_ENROLLED']);
    for (const memberId of [first, ...during]) {
      const event = feed.find((e) => e.subjectId === memberId)!;
      const deliveries = hook.of(event.id);
      expect(deliveries.length).toBeGreaterThanOrEqual(1);
      expect(deliveries[0]!.payload).toEqual({ type: 'MEMBER_ENROLLED', timestamp: new Date(event.occurredAt).toISOString(), data: JSON.parse(event.data) });
    }
    expect(hook.refused).toEqual([]);
    const listed = await gql(system, tokens.districtUnion!, ENDPOINTS);
    expect(listed.body.data!.webhookEndpoints.find((e: { id: string }) => e.id === endpoint.id)).toMatchObject({ enabled: true, failingSince: null });

    // Per subject, in event order: enroll then transfer reach the receiver in that order.
    const moved = await enroll();
    expect((await gql(system, tokens.districtUnion!, TRANSFER, { member: moved, to: await childOrg(districtOrg) })).body.errors).toBeUndefined();
    await hook.waitFor((got) => got.filter((r) => r.payload.data.memberId === moved).length >= 2, 30_000);
    expect(hook.received.filter((r) => r.payload.data.memberId === moved).map((r) => r.payload.type)).toEqual(['MEMBER_ENROLLED', 'MEMBER_TRANSFERRED']);
  }, 150_000);

  it('rotation signs with both secrets for a while; redelivery sends the same event id again', async () => {
    const hook = await receiver();
    const endpoint = await createEndpoint(tokens.hospital!, hook, ['DISCOUNT_CLAIM_APPLIED']);
    const rotated = await gql(system, tokens.hospital!, ROTATE, { id: endpoint.id });
    expect(rotated.body.errors).toBeUndefined();
    const newSecret = rotated.body.data!.rotateWebhookSecret.secret;
    expect(newSecret).not.toBe(endpoint.secret);
    // The receiver checks the request against the old AND the new secret, each on its own.
    hook.secrets = [endpoint.secret, newSecret];
    const claimId = await applyDiscount(districtMembers()[5]!.id);
    await hook.waitFor((got) => got.some((r) => r.payload.data.claimId === claimId));
    const delivered = hook.received.find((r) => r.payload.data.claimId === claimId)!;
    expect(delivered.signature.split(' ')).toHaveLength(2);
    expect(hook.refused).toEqual([]);

    const again = await gql(system, tokens.hospital!, REDELIVER, { endpoint: endpoint.id, event: delivered.id });
    expect(again.body).toEqual({ data: { redeliverEvent: true } });
    await hook.waitFor((got) => got.filter((r) => r.id === delivered.id).length === 2);
    // Another hospital can neither redeliver into this endpoint nor name it.
    expect(errorCodes(await gql(system, tokens.otherHospital!, REDELIVER, { endpoint: endpoint.id, event: delivered.id }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await gql(system, tokens.otherHospital!, ROTATE, { id: endpoint.id }))).toEqual(['NOT_FOUND']);
    // An event the caller may not see cannot be redelivered to its own endpoint either.
    const other = await gql(system, tokens.otherHospital!, CREATE_ENDPOINT, { url: hook.url, types: ['DISCOUNT_CLAIM_APPLIED'] });
    expect(
      errorCodes(await gql(system, tokens.otherHospital!, REDELIVER, { endpoint: other.body.data!.createWebhookEndpoint.endpoint.id, event: delivered.id })),
    ).toEqual(['NOT_FOUND']);
    expect((await gql(system, tokens.otherHospital!, ENDPOINTS)).body.data!.webhookEndpoints.map((e: { id: string }) => e.id)).toEqual([
      other.body.data!.createWebhookEndpoint.endpoint.id,
    ]);
    expect((await gql(system, tokens.otherHospital!, DELETE, { id: other.body.data!.createWebhookEndpoint.endpoint.id })).body.data).toEqual({
      deleteWebhookEndpoint: true,
    });
    expect((await gql(system, tokens.otherHospital!, ENDPOINTS)).body.data!.webhookEndpoints).toEqual([]);
  }, 60_000);

  it('an endpoint that keeps failing is marked failing after the retry window, then disabled with the reason', async () => {
    const hook = await receiver();
    hook.behaviour = () => 503;
    const endpoint = await createEndpoint(tokens.siblingDistrictUnion!, hook, ['MEMBER_ENROLLED']);
    await enroll(siblingOrg, tokens.siblingDistrictUnion!);
    const state = async () =>
      (await gql(system, tokens.siblingDistrictUnion!, ENDPOINTS)).body.data!.webhookEndpoints.find((e: { id: string }) => e.id === endpoint.id) as {
        enabled: boolean;
        failingSince: string | null;
        disabledReason: string | null;
      };
    const deadline = Date.now() + 40_000;
    while (!(await state()).failingSince && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await state()).failingSince).not.toBeNull();
    // Another event that keeps failing past WEBHOOK_DISABLE_AFTER_SECONDS disables it.
    await enroll(siblingOrg, tokens.siblingDistrictUnion!);
    while ((await state()).enabled && Date.now() < deadline + 30_000) await new Promise((resolve) => setTimeout(resolve, 300));
    const final = await state();
    expect(final.enabled).toBe(false);
    expect(final.disabledReason).toMatch(/deliveries failed since .*HTTP 503/);
  }, 90_000);

  it.each([
    ['plain http to a non-loopback host', 'http://example.com/hooks'],
    ['another scheme', 'ftp://127.0.0.1/hooks'],
    ['credentials in the URL', 'https://user:pw@example.com/hooks'],
    ['no URL at all', 'not a url'],
  ])('refuses %s with BAD_USER_INPUT and creates nothing', async (_name, url) => {
    const before = (await gql(system, tokens.merchant!, ENDPOINTS)).body.data!.webhookEndpoints.length;
    expect(errorCodes(await gql(system, tokens.merchant!, CREATE_ENDPOINT, { url, types: ['VOUCHER_REDEEMED'] }))).toEqual(['BAD_USER_INPUT']);
    expect((await gql(system, tokens.merchant!, ENDPOINTS)).body.data!.webhookEndpoints.length).toBe(before);
  });

  it('refuses an empty event type list, and MEMBER tokens', async () => {
    expect(errorCodes(await gql(system, tokens.merchant!, CREATE_ENDPOINT, { url: 'https://example.com/hooks', types: [] }))).toEqual(['BAD_USER_INPUT']);
    const member = await memberToken(system, districtMembers()[0]!.id);
    expect(errorCodes(await gql(system, member, CREATE_ENDPOINT, { url: 'https://example.com/hooks', types: ['POINTS_AWARDED'] }))).toEqual(['FORBIDDEN']);
  });
});

describe('kill -9 during a burst of writes', () => {
  it('every committed write has exactly one event in the feed, and no write that did not commit has one', async () => {
    const members = districtMembers().slice(0, 10);
    const prefix = `burst-${randomUUID().slice(0, 8)}`;
    const pointsPort = Number(new URL(system.subgraphUrls.points).port);
    const eventsPort = Number(new URL(system.subgraphUrls.events).port);
    const committedCount = async () =>
      Number((await sql.query(`SELECT count(*) AS n FROM points.points_transactions WHERE source_ref LIKE $1`, [`${prefix}-%`])).rows[0].n);
    const award = (i: number) =>
      gql(system, tokens.platform!, AWARD, {
        input: { memberId: members[i % members.length]!.id, rule: 'ACTIVITY', sourceRef: `${prefix}-${i}`, amount: 1 },
      }).catch(() => null);

    // Writes keep coming while the points service (mid-transactions) and then the events service are killed.
    const burst: Array<Promise<unknown>> = [];
    let pointsKilled = false;
    let eventsKilled = false;
    for (let i = 0; i < 150; i++) {
      burst.push(award(i));
      if (!pointsKilled && i >= 20 && (await committedCount()) >= 10) {
        process.kill(pidListeningOn(pointsPort)!, 'SIGKILL');
        pointsKilled = true;
      }
      if (pointsKilled && !eventsKilled && i >= 100) {
        process.kill(pidListeningOn(eventsPort)!, 'SIGKILL');
        eventsKilled = true;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(pointsKilled && eventsKilled).toBe(true);
    await Promise.all(burst);
    await waitForHealthy(system.subgraphUrls.points.replace('/graphql', '/health'));
    await waitForHealthy(system.subgraphUrls.events.replace('/graphql', '/health'));
    // Writes after the restart count too.
    for (let i = 150; i < 160; i++) await award(i);

    const committed = (await sql.query(`SELECT id, source_ref FROM points.points_transactions WHERE source_ref LIKE $1`, [`${prefix}-%`])).rows as Array<{
      id: string;
      source_ref: string;
    }>;
    expect(committed.length).toBeGreaterThan(10);
    expect(committed.length).toBeLessThan(160);
    const ofBurst = (events: FeedEvent[]) => events.filter((e) => String(JSON.parse(e.data).sourceRef).startsWith(`${prefix}-`));
    const events = ofBurst(await feedUntil(tokens.platform!, (all) => ofBurst(all).length >= committed.length, ['POINTS_AWARDED'], 60_000));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const settled = ofBurst(await readFeed(tokens.platform!, ['POINTS_AWARDED']));
    expect(settled).toHaveLength(events.length);
    expect(settled.map((e) => JSON.parse(e.data).transactionId).sort()).toEqual(committed.map((c) => c.id).sort());
    expect(new Set(settled.map((e) => e.id)).size).toBe(settled.length);
    // The union over the member sees the same events; the sibling district none of them.
    const district = ofBurst(await readFeed(tokens.districtUnion!, ['POINTS_AWARDED']));
    expect(district.map((e) => e.id)).toEqual(settled.map((e) => e.id));
    expect(ofBurst(await readFeed(tokens.siblingDistrictUnion!, ['POINTS_AWARDED']))).toEqual([]);
  }, 180_000);
});

async function childOrg(org: string): Promise<string> {
  const res = await gql(system, tokens.districtUnion!, `query ($org: ID!) { organization(id: $org) { children(first: 1) { nodes { id } } } }`, { org });
  return res.body.data!.organization.children.nodes[0].id;
}
