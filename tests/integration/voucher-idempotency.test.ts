import type { GraphQLError } from 'graphql';
import { type IdempotentRequest, runIdempotent } from '../../subgraphs/benefit/src/modules/idempotency/idempotency.store';
import { VoucherErrors } from '../../subgraphs/benefit/src/modules/voucher/voucher.errors';
import { openVoucherBatchInput } from '../testkit/voucher-batches';
import { codesOf, startVoucherHarness, type VoucherHarness } from './voucher-harness';

/** Retry safety of claimVoucher and grantVouchers (issue 10): the first answer under a key, replayed. */
let h: VoucherHarness;
beforeAll(async () => {
  h = await startVoucherHarness();
});
afterAll(() => h?.stop());

const CREATE = `mutation ($input: CreateVoucherBatchInput!) { createVoucherBatch(input: $input) { id } }`;
const CLAIM = `mutation ($batchId: ID!, $key: String) { claimVoucher(batchId: $batchId, idempotencyKey: $key) { id code status owner { id } } }`;
const GRANT = `mutation ($batchId: ID!, $memberIds: [ID!]!, $key: String) {
  grantVouchers(batchId: $batchId, memberIds: $memberIds, idempotencyKey: $key) { granted { id owner { id } } skipped { memberId reason } }
}`;

async function createBatch(overrides: Record<string, unknown> = {}): Promise<string> {
  const input = openVoucherBatchInput({ name: '重试券', ...overrides });
  const res = await h.gql(h.principals.city, CREATE, { input });
  expect(res.errors).toBeUndefined();
  return res.data!.createVoucherBatch.id;
}

const vouchersOf = async (batchId: string, memberId?: string) =>
  Number(
    (await h.sql.query(`SELECT count(*) AS n FROM vouchers WHERE batch_id = $1 AND ($2::uuid IS NULL OR member_id = $2)`, [batchId, memberId ?? null])).rows[0]
      .n,
  );
const claimedCounter = async (batchId: string) =>
  Number((await h.sql.query(`SELECT sum(claimed)::int AS claimed FROM voucher_batch_stripes WHERE batch_id = $1`, [batchId])).rows[0].claimed);

describe('claimVoucher with an idempotencyKey', () => {
  it('answers a retry with the first voucher and claims once, although the limit would refuse a second claim', async () => {
    const batchId = await createBatch({ perMemberLimit: 1 });
    const [memberId] = await h.activeCityMembers(1);
    const member = h.member(memberId);
    const first = await h.gql(member, CLAIM, { batchId, key: 'claim-1' });
    expect(first.errors).toBeUndefined();
    const retry = await h.gql(member, CLAIM, { batchId, key: 'claim-1' });
    expect(retry.errors).toBeUndefined();
    expect(retry.data!.claimVoucher).toEqual(first.data!.claimVoucher);
    expect(await vouchersOf(batchId, memberId)).toBe(1);
    expect(await claimedCounter(batchId)).toBe(1);
    // Without the key a second claim is a new claim, and the limit answers it.
    expect(codesOf(await h.gql(member, CLAIM, { batchId }))).toEqual(['LIMIT_REACHED']);
  });

  it('stores a refusal and replays it, even after stock came back', async () => {
    const batchId = await createBatch({ totalQuantity: 1 });
    const [winner, loser] = await h.activeCityMembers(2);
    expect((await h.gql(h.member(winner), CLAIM, { batchId })).errors).toBeUndefined();
    const refused = await h.gql(h.member(loser), CLAIM, { batchId, key: 'sold-out-key' });
    expect(codesOf(refused)).toEqual(['SOLD_OUT']);
    await h.sql.query(`UPDATE voucher_batches SET total_quantity = 2 WHERE id = $1`, [batchId]);
    const replayed = await h.gql(h.member(loser), CLAIM, { batchId, key: 'sold-out-key' });
    expect(codesOf(replayed)).toEqual(['SOLD_OUT']);
    expect(replayed.errors![0].message).toBe(refused.errors![0].message);
    expect(await vouchersOf(batchId, loser)).toBe(0);
    // A new key is a new request: now there is stock.
    expect((await h.gql(h.member(loser), CLAIM, { batchId, key: 'another-key' })).errors).toBeUndefined();
  });

  it('claims in two statements: the key looked up, then the claim with its answer stored under the key', async () => {
    const batchId = await createBatch({ totalQuantity: 10 });
    const [first, memberId] = await h.activeCityMembers(2);
    // The first claim of a batch reads its facts; the second finds them read.
    expect((await h.gql(h.member(first), CLAIM, { batchId, key: 'facts-read' })).errors).toBeUndefined();
    const before = await h.statementCount();
    const claimed = await h.gql(h.member(memberId), CLAIM, { batchId, key: 'two-statements' });
    expect(claimed.errors).toBeUndefined();
    expect((await h.statementCount()) - before).toBe(2);
    const stored = await h.sql.query(`SELECT outcome FROM idempotent_requests WHERE caller_id = $1 AND idempotency_key = 'two-statements'`, [memberId]);
    expect(stored.rows).toEqual([{ outcome: { result: { voucherId: claimed.data!.claimVoucher.id } } }]);
  });

  it('takes the long way when the claim window moved after the claim read it, and stores the refusal naming the window in force', async () => {
    const batchId = await createBatch({ totalQuantity: 10 });
    const [first, memberId] = await h.activeCityMembers(2);
    // Read and cached (for two seconds) with the window open.
    expect((await h.gql(h.member(first), CLAIM, { batchId })).errors).toBeUndefined();
    const startsAt = new Date(Date.now() + 3_600_000);
    await h.sql.query(`UPDATE voucher_batches SET claim_starts_at = $2 WHERE id = $1`, [batchId, startsAt]);
    const refused = await h.gql(h.member(memberId), CLAIM, { batchId, key: 'window-moved' });
    expect(codesOf(refused)).toEqual(['CLAIM_NOT_OPEN']);
    expect(refused.errors![0].message).toContain(startsAt.toISOString());
    const replayed = await h.gql(h.member(memberId), CLAIM, { batchId, key: 'window-moved' });
    expect(codesOf(replayed)).toEqual(['CLAIM_NOT_OPEN']);
    expect(replayed.errors![0].extensions).toMatchObject({ replayed: true });
    expect(replayed.errors![0].message).toBe(refused.errors![0].message);
    expect(await vouchersOf(batchId, memberId)).toBe(0);
  });

  it('looks keys up and stores refusals of keyed requests in flight together in shared statements; a key sent twice gets one answer', async () => {
    // Straight to the store, all in one turn of the event loop (over HTTP the requests of this
    // harness reach it a turn apart, as each checks its own token first).
    const memberIds = await h.activeCityMembers(20);
    const requestOf = (memberId: string, key: string): IdempotentRequest => ({
      callerKind: 'MEMBER',
      callerId: memberId,
      key,
      operation: 'claimVoucher',
      fingerprint: 'tail of a rush',
    });
    const refused = (request: IdempotentRequest) =>
      runIdempotent<never, never, never>(h.benefitDb, request, {
        prepare: () => Promise.reject(VoucherErrors.soldOut()),
        write: () => Promise.reject(new Error('a refusal writes nothing')),
        save: () => undefined as never,
        restore: () => Promise.reject(new Error('nothing to restore')),
      }).then(
        () => ({ code: 'none', replayed: false }),
        (error: GraphQLError) => ({ code: error.extensions.code, replayed: error.extensions.replayed === true }),
      );
    const before = await h.statementCount();
    const answers = await Promise.all([...memberIds.map((id, i) => refused(requestOf(id, `tail-${i}`))), refused(requestOf(memberIds[0], 'tail-0'))]);
    expect(answers.map((a) => a.code)).toEqual(Array(21).fill('SOLD_OUT'));
    // One lookup of the 21 keys, one statement storing 20 refusals; then the key sent twice looked
    // up again to replay the first answer (each on its own: 42), and the purge of expired keys that
    // every hundredth keyed request of a process starts may fall in here.
    expect((await h.statementCount()) - before).toBeLessThanOrEqual(4);
    expect([answers[0].replayed, answers[20].replayed]).toEqual([false, true]);
    const stored = await h.sql.query(
      `SELECT count(*)::int AS n FROM idempotent_requests WHERE caller_id = ANY ($1::uuid[]) AND idempotency_key LIKE 'tail-%'`,
      [memberIds],
    );
    expect(stored.rows[0].n).toBe(20);
  });

  it('refuses the same key for another batch with IDEMPOTENCY_CONFLICT and claims nothing there', async () => {
    const [batchA, batchB] = [await createBatch(), await createBatch()];
    const [memberId] = await h.activeCityMembers(1);
    expect((await h.gql(h.member(memberId), CLAIM, { batchId: batchA, key: 'same-key' })).errors).toBeUndefined();
    expect(codesOf(await h.gql(h.member(memberId), CLAIM, { batchId: batchB, key: 'same-key' }))).toEqual(['IDEMPOTENCY_CONFLICT']);
    expect(await vouchersOf(batchB)).toBe(0);
  });

  it('keeps keys per member: another member with the same key claims its own voucher', async () => {
    const batchId = await createBatch();
    const [a, b] = await h.activeCityMembers(2);
    const first = await h.gql(h.member(a), CLAIM, { batchId, key: 'shared-looking-key' });
    const second = await h.gql(h.member(b), CLAIM, { batchId, key: 'shared-looking-key' });
    expect(first.errors).toBeUndefined();
    expect(second.errors).toBeUndefined();
    expect(second.data!.claimVoucher.id).not.toBe(first.data!.claimVoucher.id);
    expect(second.data!.claimVoucher.owner.id).toBe(b);
  });

  it('takes one claim when 20 identical requests race, and all 20 get the same voucher', async () => {
    const batchId = await createBatch({ totalQuantity: 50, perMemberLimit: 5 });
    const [memberId] = await h.activeCityMembers(1);
    const answers = await Promise.all(Array.from({ length: 20 }, () => h.gql(h.member(memberId), CLAIM, { batchId, key: 'raced-key' })));
    expect(answers.flatMap((a) => codesOf(a))).toEqual([]);
    expect(new Set(answers.map((a) => a.data!.claimVoucher.id)).size).toBe(1);
    expect(await vouchersOf(batchId, memberId)).toBe(1);
    expect(await claimedCounter(batchId)).toBe(1);
    const counter = (await h.sql.query(`SELECT claimed FROM voucher_member_claims WHERE batch_id = $1 AND member_id = $2`, [batchId, memberId])).rows[0];
    expect(counter.claimed).toBe(1);
  });

  it('keeps the pool exact when keyed claims of many members race for the last vouchers, retries included', async () => {
    const batchId = await createBatch({ totalQuantity: 5 });
    const members = await h.activeCityMembers(15);
    // Every member sends its claim twice with its own key, all at once.
    const answers = await Promise.all(members.flatMap((m) => [0, 1].map(() => h.gql(h.member(m), CLAIM, { batchId, key: `rush-${m}` }))));
    const byMember = new Map<string, string[]>();
    members.forEach((m, i) =>
      byMember.set(
        m,
        [answers[2 * i], answers[2 * i + 1]].map((a) => a.data?.claimVoucher?.id ?? codesOf(a).join()),
      ),
    );
    for (const [, pair] of byMember) expect(pair[0]).toBe(pair[1]);
    const winners = [...byMember.values()].filter(([answer]) => answer !== 'SOLD_OUT');
    expect(winners).toHaveLength(5);
    expect(await vouchersOf(batchId)).toBe(5);
    expect(await claimedCounter(batchId)).toBe(5);
  });

  it.each([
    ['an empty key', ''],
    ['a key over 255 characters', 'k'.repeat(256)],
    ['a NUL character', 'key\u0000'],
    ['a lone surrogate', 'key\ud800'],
  ])('refuses %s with BAD_USER_INPUT and writes nothing', async (_, key) => {
    const batchId = await createBatch();
    const [memberId] = await h.activeCityMembers(1);
    const res = await h.gql(h.member(memberId), CLAIM, { batchId, key });
    expect(codesOf(res)).toEqual(['BAD_USER_INPUT']);
    expect(await vouchersOf(batchId)).toBe(0);
  });

  it('replays for 24 hours and then treats the key as new', async () => {
    const batchId = await createBatch({ perMemberLimit: 2 });
    const [memberId] = await h.activeCityMembers(1);
    const first = await h.gql(h.member(memberId), CLAIM, { batchId, key: 'day-old' });
    await h.sql.query(`UPDATE idempotent_requests SET created_at = now() - interval '23 hours 59 minutes' WHERE idempotency_key = 'day-old'`);
    expect((await h.gql(h.member(memberId), CLAIM, { batchId, key: 'day-old' })).data!.claimVoucher.id).toBe(first.data!.claimVoucher.id);
    await h.sql.query(`UPDATE idempotent_requests SET created_at = now() - interval '25 hours' WHERE idempotency_key = 'day-old'`);
    const later = await h.gql(h.member(memberId), CLAIM, { batchId, key: 'day-old' });
    expect(later.errors).toBeUndefined();
    expect(later.data!.claimVoucher.id).not.toBe(first.data!.claimVoucher.id);
    expect(await vouchersOf(batchId, memberId)).toBe(2);
  });

  it('deletes expired keys as keyed requests come in, and keeps live ones', async () => {
    const batchId = await createBatch({ totalQuantity: 1 });
    const [memberId] = await h.activeCityMembers(1);
    await h.gql(h.member(memberId), CLAIM, { batchId, key: 'live-key' });
    await h.sql.query(
      `INSERT INTO idempotent_requests (caller_kind, caller_id, idempotency_key, operation, fingerprint, outcome, created_at)
       SELECT 'MEMBER', $1, 'expired-' || i, 'claimVoucher', 'x', '{"result":{"voucherId":"x"}}', now() - interval '30 hours'
         FROM generate_series(1, 50) AS i`,
      [memberId],
    );
    // Every hundredth keyed request of the process purges; these are refused (sold out), which counts too.
    for (let i = 0; i < 100; i += 1) await h.gql(h.member(memberId), CLAIM, { batchId, key: `purge-${i}` });
    const left = async () => Number((await h.sql.query(`SELECT count(*) AS n FROM idempotent_requests WHERE idempotency_key LIKE 'expired-%'`)).rows[0].n);
    for (let wait = 0; wait < 50 && (await left()) > 0; wait += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await left()).toBe(0);
    expect(Number((await h.sql.query(`SELECT count(*) AS n FROM idempotent_requests WHERE idempotency_key = 'live-key'`)).rows[0].n)).toBe(1);
  });
});

describe('grantVouchers with an idempotencyKey', () => {
  it('answers a retry with the first result and grants once', async () => {
    const batchId = await createBatch({ totalQuantity: 3, perMemberLimit: 1 });
    const memberIds = await h.activeCityMembers(4);
    const first = await h.gql(h.principals.city, GRANT, { batchId, memberIds, key: 'grant-1' });
    expect(first.errors).toBeUndefined();
    expect(first.data!.grantVouchers.granted).toHaveLength(3);
    expect(first.data!.grantVouchers.skipped).toEqual([{ memberId: memberIds[3], reason: 'SOLD_OUT' }]);
    const retry = await h.gql(h.principals.city, GRANT, { batchId, memberIds, key: 'grant-1' });
    expect(retry.errors).toBeUndefined();
    expect(retry.data).toEqual(first.data);
    expect(await vouchersOf(batchId)).toBe(3);
  });

  it('refuses the same key with other members or another batch with IDEMPOTENCY_CONFLICT', async () => {
    const batchId = await createBatch({ totalQuantity: 10 });
    const other = await createBatch({ totalQuantity: 10 });
    const memberIds = await h.activeCityMembers(3);
    expect((await h.gql(h.principals.city, GRANT, { batchId, memberIds: memberIds.slice(0, 2), key: 'grant-2' })).errors).toBeUndefined();
    expect(codesOf(await h.gql(h.principals.city, GRANT, { batchId, memberIds, key: 'grant-2' }))).toEqual(['IDEMPOTENCY_CONFLICT']);
    expect(codesOf(await h.gql(h.principals.city, GRANT, { batchId: other, memberIds: memberIds.slice(0, 2), key: 'grant-2' }))).toEqual([
      'IDEMPOTENCY_CONFLICT',
    ]);
    expect(await vouchersOf(batchId)).toBe(2);
    expect(await vouchersOf(other)).toBe(0);
  });

  it('grants once when the same keyed grant races itself', async () => {
    const batchId = await createBatch({ totalQuantity: 20 });
    const memberIds = await h.activeCityMembers(5);
    const answers = await Promise.all(Array.from({ length: 8 }, () => h.gql(h.principals.city, GRANT, { batchId, memberIds, key: 'grant-race' })));
    expect(answers.flatMap((a) => codesOf(a))).toEqual([]);
    expect(new Set(answers.map((a) => JSON.stringify(a.data)))).toHaveProperty('size', 1);
    expect(await vouchersOf(batchId)).toBe(5);
    expect(await claimedCounter(batchId)).toBe(5);
  });
});
