import { randomInt, randomUUID } from 'node:crypto';
import {
  audienceEntries,
  canReadMemberAccount,
  CoalescedLookup,
  inUnionSubtree,
  isUuid,
  type MemberFacts,
  perDataSource,
  preparedRows,
  type PreparedStatement,
  recordEvents,
  retryingDeadlocks,
} from '@union/common';
import type { EntityManager } from 'typeorm';
import type { BenefitContext } from '../../context';
import { BenefitErrors } from '../../errors';
import { benefitAudience, voucherEventData } from '../../events';
import { voucherValidity, type VoucherBatchEntity } from '../batch/batch.entity';
import { loadBatch, redeemablePartnerIds } from '../batch/batch.service';
import type { BenefitProgramEntity } from '../program/program.entity';
import { assertSponsorInCallerSubtree } from '../program/program.service';
import { generateVoucherCode } from './voucher.code';
import { type VoucherEntity, voucherFromRow } from './voucher.entity';
import { VoucherErrors } from './voucher.errors';
import { claimGroupsOf, claimInTransaction, CODES_PER_CLAIM, KEY_TAKEN, type ClaimInput, type ClaimOutcome } from './voucher.claims';
import { rowsOf } from '../../sql';
import { VOUCHER_POOL_STRIPES } from '../../migrations/1767000020100-StripedVoucherPools';
import { checkIdempotencyKey, type IdempotentRequest, requestFingerprint, runIdempotent, type StoredAnswers } from '../idempotency/idempotency.store';

export const MAX_GRANT_MEMBERS = 1000;

export type GrantSkipReason = 'NOT_ELIGIBLE' | 'LIMIT_REACHED' | 'SOLD_OUT' | 'DUPLICATE';
export interface GrantOutcome {
  granted: VoucherEntity[];
  skipped: Array<{ memberId: string; reason: GrantSkipReason }>;
}

/** Why a member may not hold a voucher of `batch`, or null when it may. */
export function eligibilityProblem(member: MemberFacts | null, program: BenefitProgramEntity, batch: VoucherBatchEntity): string | null {
  if (!member) return 'unknown member';
  if (member.status !== 'ACTIVE') return `membership is ${member.status}, not ACTIVE`;
  if (!member.organizationChain.includes(program.sponsorOrganizationId)) return "the member is not in the sponsoring union's subtree";
  if (batch.realNameVerifiedOnly && !member.realNameVerified) return 'this batch is for real-name verified members only';
  return null;
}

async function loadBatchAndProgram(ctx: BenefitContext, batchId: string): Promise<{ batch: VoucherBatchEntity; program: BenefitProgramEntity }> {
  const batch = await loadBatch(ctx, batchId);
  if (!batch) throw BenefitErrors.notFound('voucher batch');
  const program = await ctx.loaders.programById.load(batch.programId);
  if (!program) throw new Error(`batch ${batch.id} refers to missing program ${batch.programId}`);
  return { batch, program };
}

/**
 * Inserts one voucher per member with fresh codes. A code collision (2^-80 per pair, but cheap to
 * handle) only skips that row; the missing ones get new codes.
 */
async function insertVouchers(tx: EntityManager, batch: VoucherBatchEntity, memberIds: string[], grantedBy: string | null): Promise<VoucherEntity[]> {
  const issuedAt = new Date();
  const { validFrom, validTo } = voucherValidity(batch, issuedAt);
  const inserted: VoucherEntity[] = [];
  let pending = memberIds;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt === 5) throw new Error('could not find unused voucher codes');
    const rows = await rowsOf(
      tx,
      `INSERT INTO vouchers (id, batch_id, member_id, code, status, valid_from, valid_to, issued_at, granted_by_partner_id)
       SELECT q.id, $1, q.member_id, q.code, 'ISSUED', $2, $3, $4, $5
         FROM unnest($6::uuid[], $7::uuid[], $8::text[]) AS q(id, member_id, code)
       ON CONFLICT (code) DO NOTHING
       RETURNING *`,
      [batch.id, validFrom, validTo, issuedAt, grantedBy, pending.map(() => randomUUID()), pending, pending.map(generateVoucherCode)],
    );
    inserted.push(...rows.map(voucherFromRow));
    const done = new Set(rows.map((r) => r.member_id as string));
    pending = pending.filter((id) => !done.has(id));
  }
  const order = new Map(memberIds.map((id, i) => [id, i]));
  return inserted.sort((a, b) => order.get(a.memberId)! - order.get(b.memberId)!);
}

/** Vouchers by id in the given order (a replayed answer names the vouchers it issued). */
async function vouchersInOrder(ctx: BenefitContext, ids: string[]): Promise<VoucherEntity[]> {
  const vouchers = await Promise.all(ids.map((id) => ctx.loaders.voucherById.load(id)));
  return vouchers.map((voucher, i) => {
    if (!voucher) throw new Error(`stored idempotent answer names missing voucher ${ids[i]}`);
    return voucher;
  });
}

/**
 * What a claim reads before its write, cached per process for CLAIM_FACTS_TTL_MS: in a rush every
 * claim asks for the same batch, program, redeeming partners and sponsor chain. Safe because none
 * of it decides: claim_voucher() re-reads the batch row for the claim window and the member limit,
 * and the pool's stripes decide SOLD_OUT. What is used from the cache is what no API changes
 * (the program's sponsor, realNameVerifiedOnly, the redeeming partners) plus the sponsor's chain
 * for the event's audience, at most this old. A SOLD_OUT answer marks the entry sold out (a pool
 * only ever fills up), so the tail of a rush is refused without a call to the member subgraph.
 */
const CLAIM_FACTS_TTL_MS = 2_000;
const CLAIM_FACTS_MAX_BATCHES = 1_000;

interface ClaimFacts {
  batch: VoucherBatchEntity;
  program: BenefitProgramEntity;
  partnerIds: string[];
  /** The sponsoring organization's chain (the audience of the claim events). */
  sponsorChain: string[];
  soldOut: boolean;
  expiresAt: number;
}

const claimFactsByBatch = new Map<string, Promise<ClaimFacts>>();

async function readClaimFacts(ctx: BenefitContext, batchId: string): Promise<ClaimFacts> {
  const { batch, program } = await loadBatchAndProgram(ctx, batchId);
  const [partnerIds, sponsor] = await Promise.all([redeemablePartnerIds(ctx, batch.id), ctx.directory.organizations.load(program.sponsorOrganizationId)]);
  return {
    batch,
    program,
    partnerIds,
    sponsorChain: sponsor?.chain ?? [program.sponsorOrganizationId],
    soldOut: batch.claimed >= batch.totalQuantity,
    expiresAt: Date.now() + CLAIM_FACTS_TTL_MS,
  };
}

/** The cached facts of a batch; concurrent claims of one batch share one read. */
async function claimFacts(ctx: BenefitContext, batchId: string): Promise<ClaimFacts> {
  const cached = claimFactsByBatch.get(batchId);
  if (cached) {
    const facts = await cached.catch(() => null);
    if (facts && facts.expiresAt > Date.now()) return facts;
    if (claimFactsByBatch.get(batchId) === cached) claimFactsByBatch.delete(batchId);
  }
  if (claimFactsByBatch.size >= CLAIM_FACTS_MAX_BATCHES) claimFactsByBatch.clear();
  const reading = readClaimFacts(ctx, batchId);
  claimFactsByBatch.set(batchId, reading);
  // A failed read (unknown batch, database down) is not kept.
  reading.catch(() => {
    if (claimFactsByBatch.get(batchId) === reading) claimFactsByBatch.delete(batchId);
  });
  return reading;
}

interface PreparedClaim {
  facts: ClaimFacts;
  /** Who sees the VOUCHER_CLAIMED event: the unions over the member and the sponsor, the redeeming partners. */
  audience: string[];
}

/** Whether any stripe of each pool has a voucher left (as committed): one index read each, no lock. */
const POOLS_LEFT: PreparedStatement = {
  name: 'benefit.voucher_pools_left',
  // Each id comes back as it was asked (text), whatever its letter case.
  text: `SELECT b AS id, EXISTS (SELECT 1 FROM voucher_batch_stripes s WHERE s.batch_id = b::uuid AND s.claimed < s.quantity) AS left
           FROM unnest($1::text[]) AS b`,
};
/** Batch ids one pool check carries at most. */
const POOL_CHECKS_MAX_BATCHES = 1_000;

/**
 * The pool checks of the refusals in flight, one statement per turn of the event loop and
 * database: after a pool empties, the tail of a rush is all refusals, and each sent its own read.
 */
const poolChecksOf = perDataSource(
  (db) => new CoalescedLookup((batchIds) => preparedRows<{ id: string; left: boolean }>(db, POOLS_LEFT, [batchIds]), POOL_CHECKS_MAX_BATCHES),
);

const claimWindowOpen = (batch: VoucherBatchEntity, now = Date.now()) => now >= batch.claimStartsAt.getTime() && now < batch.claimEndsAt.getTime();

/** Facts read again from the database (the window or the stock moved since they were cached). */
async function freshClaimFacts(ctx: BenefitContext, batchId: string): Promise<ClaimFacts> {
  claimFactsByBatch.delete(batchId);
  ctx.loaders.batchById.clear(batchId);
  return claimFacts(ctx, batchId);
}

async function poolHasVouchersLeft(ctx: BenefitContext, batchId: string): Promise<boolean> {
  const pools = await poolChecksOf(ctx.db).get([batchId], ctx.requestId);
  return pools.get(batchId)?.left === true;
}

/** Everything a claim checks before its write; the guarded writes in claim_voucher() decide. */
async function prepareClaim(ctx: BenefitContext, batchId: string): Promise<PreparedClaim> {
  if (!isUuid(batchId)) throw BenefitErrors.notFound('voucher batch');
  let facts = await claimFacts(ctx, batchId);
  // Members press "claim" before a rush opens: outside the window the batch is read again, so a
  // window that opened (or was moved) is seen at once.
  if (!claimWindowOpen(facts.batch)) facts = await freshClaimFacts(ctx, batchId);
  const { batch, program } = facts;
  if (!claimWindowOpen(batch)) throw VoucherErrors.claimNotOpen(batch.claimStartsAt, batch.claimEndsAt);
  // The tail of a rush: one cheap read instead of a call to the member subgraph and a write. (A
  // pool fills up only, unless its total_quantity is raised: hence the read, not the flag alone.)
  if (facts.soldOut) {
    if (!(await poolHasVouchersLeft(ctx, batchId))) throw VoucherErrors.soldOut();
    facts.soldOut = false;
  }
  const member = await ctx.directory.members.load(ctx.principal.id);
  const problem = eligibilityProblem(member, program, batch);
  if (problem) throw VoucherErrors.notEligible(problem);
  return {
    facts,
    audience: audienceEntries({ partnerIds: facts.partnerIds, organizationIds: [...(member?.organizationChain ?? []), ...facts.sponsorChain] }),
  };
}

/** The claim as claim_voucher() takes it: a new voucher id, candidate codes, its event. */
function claimInputOf({ facts, audience }: PreparedClaim, memberId: string): ClaimInput {
  const { batch, program } = facts;
  const id = randomUUID();
  const eventData = { voucherId: id, batchId: batch.id, programId: program.id, memberId, status: 'ISSUED' };
  return {
    batchId: batch.id,
    memberId,
    start: randomInt(VOUCHER_POOL_STRIPES),
    voucherId: id,
    codes: Array.from({ length: CODES_PER_CLAIM }, generateVoucherCode),
    issuedAt: new Date(),
    eventId: randomUUID(),
    eventData: JSON.stringify(eventData),
    audience,
  };
}

/** What a keyed claim keeps of the voucher it issued: its id (a replay reads the voucher as it is now). */
interface SavedClaim {
  voucherId: string;
}
const savedClaim = (voucherId: string): SavedClaim => ({ voucherId });

/** A refusal a claim can meet at its write, as the member is told it (thrown, and stored under a key). */
const claimRefusal = (batch: VoucherBatchEntity, outcome: 'SOLD_OUT' | 'LIMIT_REACHED') =>
  outcome === 'SOLD_OUT' ? VoucherErrors.soldOut() : VoucherErrors.limitReached(batch.perMemberLimit);

/** What claim_voucher() answered, as the voucher or the refusal. */
async function claimAnswer(ctx: BenefitContext, facts: ClaimFacts, claim: ClaimInput, row: ClaimOutcome | undefined): Promise<VoucherEntity> {
  const { batch } = facts;
  switch (row?.outcome) {
    case 'CLAIMED':
      return voucherFromRow({
        id: claim.voucherId,
        batch_id: batch.id,
        member_id: claim.memberId,
        code: row.code,
        status: 'ISSUED',
        valid_from: row.valid_from,
        valid_to: row.valid_to,
        issued_at: claim.issuedAt,
      });
    case 'LIMIT_REACHED':
      throw claimRefusal(batch, 'LIMIT_REACHED');
    case 'SOLD_OUT':
      facts.soldOut = true;
      throw claimRefusal(batch, 'SOLD_OUT');
    case 'CLAIM_NOT_OPEN': {
      // The window moved since the facts were cached: name the one in force.
      const fresh = (await freshClaimFacts(ctx, batch.id)).batch;
      throw VoucherErrors.claimNotOpen(fresh.claimStartsAt, fresh.claimEndsAt);
    }
    case 'NOT_FOUND':
      throw BenefitErrors.notFound('voucher batch');
    default:
      throw new Error(`claim_voucher answered ${JSON.stringify(row?.outcome)}`);
  }
}

/**
 * The claim's writes in one statement (claim_voucher(), migration StripedVoucherPools): claim
 * window, the member's counter (LIMIT_REACHED), a unit from a stripe of the pool (SOLD_OUT), the
 * voucher and its VOUCHER_CLAIMED event, all or nothing. Without `tx` it goes out with the other
 * claims of its batch in flight in the same turn (ClaimGroups: one statement, one commit); with
 * `tx`, inside that transaction (the idempotent path's long way).
 */
async function takeClaim(ctx: BenefitContext, prepared: PreparedClaim, memberId: string, tx?: EntityManager): Promise<VoucherEntity> {
  const claim = claimInputOf(prepared, memberId);
  const row = tx ? await claimInTransaction(tx, claim) : await claimGroupsOf(ctx.db).take(claim);
  return claimAnswer(ctx, prepared.facts, claim, row);
}

/**
 * A keyed claim and its answer under the key in the statement that makes it: with the other claims
 * of its batch in flight in the same turn (ClaimGroups, claim_vouchers_under_keys()), or alone
 * (claim_voucher_once()). The answer stored is the one returned or thrown here. Undefined when
 * nothing was written (an outcome with no answer rendered in advance), for the idempotent path's
 * long way.
 */
async function takeClaimUnderKey(
  ctx: BenefitContext,
  prepared: PreparedClaim,
  memberId: string,
  request: IdempotentRequest,
  stored: StoredAnswers<SavedClaim>,
): Promise<{ taken: true } | { result: VoucherEntity } | undefined> {
  const claim = claimInputOf(prepared, memberId);
  const { batch } = prepared.facts;
  const answers = {
    CLAIMED: stored.result(savedClaim(claim.voucherId)),
    SOLD_OUT: stored.refusal(claimRefusal(batch, 'SOLD_OUT')),
    LIMIT_REACHED: stored.refusal(claimRefusal(batch, 'LIMIT_REACHED')),
  };
  claim.underKey = { callerKind: request.callerKind, callerId: request.callerId, key: request.key, fingerprint: request.fingerprint, answers };
  const row = await claimGroupsOf(ctx.db).take(claim);
  if (row === undefined) return undefined;
  if (row.outcome === KEY_TAKEN) return { taken: true as const };
  return { result: await claimAnswer(ctx, prepared.facts, claim, row) };
}

/**
 * MEMBER: first come, first served. With an idempotencyKey the first answer (the voucher or the
 * refusal) is stored with the claim and replayed to every retry under the same key.
 */
export async function claimVoucher(ctx: BenefitContext, batchId: string, idempotencyKey?: string | null): Promise<VoucherEntity> {
  if (ctx.principal.kind !== 'MEMBER') throw BenefitErrors.forbidden('only members claim vouchers');
  const memberId = ctx.principal.id;
  let voucher: VoucherEntity;
  if (idempotencyKey === undefined || idempotencyKey === null) {
    voucher = await takeClaim(ctx, await prepareClaim(ctx, batchId), memberId);
  } else {
    const request: IdempotentRequest = {
      callerKind: 'MEMBER',
      callerId: memberId,
      key: checkIdempotencyKey(idempotencyKey),
      operation: 'claimVoucher',
      fingerprint: requestFingerprint('claimVoucher', batchId),
    };
    voucher = await runIdempotent<PreparedClaim, VoucherEntity, SavedClaim>(ctx.db, request, {
      prepare: () => prepareClaim(ctx, batchId),
      writeUnderKey: (prepared, stored) => takeClaimUnderKey(ctx, prepared, memberId, request, stored),
      write: (tx, prepared) => takeClaim(ctx, prepared, memberId, tx),
      save: (issued) => savedClaim(issued.id),
      restore: async ({ voucherId }) => (await vouchersInOrder(ctx, [voucherId]))[0],
    });
  }
  // The batch read before the claim is stale now; voucher.batch.remainingQuantity must not be.
  ctx.loaders.batchById.clear(voucher.batchId);
  return voucher;
}

/**
 * UNION with voucher:grant, for a batch its subtree sponsors, to members of its own subtree.
 * Anyone outside the subtree (or unknown) fails the whole call and nothing is written; members
 * who cannot receive one (not eligible, at their limit, pool exhausted) are listed in `skipped`.
 */
export async function grantVouchers(ctx: BenefitContext, batchId: string, memberIds: string[], idempotencyKey?: string | null): Promise<GrantOutcome> {
  if (ctx.principal.kind !== 'UNION') throw BenefitErrors.forbidden('only unions grant vouchers');
  const key = idempotencyKey === undefined || idempotencyKey === null ? null : checkIdempotencyKey(idempotencyKey);
  let outcome: GrantOutcome;
  if (key === null) {
    const prepared = await prepareGrant(ctx, batchId, memberIds);
    // Rolled back whole if PostgreSQL ever aborts it to break a deadlock, and run again, as keyed
    // grants and claims are (see retryingDeadlocks).
    outcome = prepared.candidates.length === 0 ? prepared.outcome : await retryingDeadlocks(() => ctx.db.transaction((tx) => takeGrant(ctx, tx, prepared)));
  } else {
    const request: IdempotentRequest = {
      callerKind: 'UNION',
      callerId: ctx.principal.id,
      key,
      operation: 'grantVouchers',
      fingerprint: requestFingerprint('grantVouchers', batchId, memberIds),
    };
    outcome = await runIdempotent(ctx.db, request, {
      prepare: () => prepareGrant(ctx, batchId, memberIds),
      write: async (tx, prepared) => (prepared.candidates.length === 0 ? prepared.outcome : takeGrant(ctx, tx, prepared)),
      save: (result) => ({ granted: result.granted.map((v) => v.id), skipped: result.skipped }),
      restore: async (stored: { granted: string[]; skipped: GrantOutcome['skipped'] }) => ({
        granted: await vouchersInOrder(ctx, stored.granted),
        skipped: stored.skipped,
      }),
    });
  }
  ctx.loaders.batchById.clear(batchId);
  return outcome;
}

interface PreparedGrant {
  batch: VoucherBatchEntity;
  program: BenefitProgramEntity;
  /** Who sees each VOUCHER_GRANTED event, by member. */
  audiences: Map<string, Awaited<ReturnType<typeof benefitAudience>>>;
  /** Members who may receive one (eligible, in the subtree, given once). */
  candidates: string[];
  /** Skips known before the transaction (DUPLICATE, NOT_ELIGIBLE); the transaction adds its own. */
  outcome: GrantOutcome;
}

async function prepareGrant(ctx: BenefitContext, batchId: string, memberIds: string[]): Promise<PreparedGrant> {
  if (memberIds.length === 0 || memberIds.length > MAX_GRANT_MEMBERS) {
    throw BenefitErrors.badInput(`memberIds must name 1 to ${MAX_GRANT_MEMBERS} members`, 'memberIds');
  }
  if (!memberIds.every(isUuid)) throw BenefitErrors.badInput('memberIds must be member ids', 'memberIds');
  const { batch, program } = await loadBatchAndProgram(ctx, batchId);
  await assertSponsorInCallerSubtree(ctx, program.sponsorOrganizationId);
  // Unions may hand vouchers out before self-service claiming opens, but not after it closed.
  if (Date.now() >= batch.claimEndsAt.getTime()) throw VoucherErrors.claimNotOpen(batch.claimStartsAt, batch.claimEndsAt);

  const skipped: GrantOutcome['skipped'] = [];
  const unique: string[] = [];
  const seen = new Set<string>();
  for (const id of memberIds) {
    if (seen.has(id)) skipped.push({ memberId: id, reason: 'DUPLICATE' });
    else {
      seen.add(id);
      unique.push(id);
    }
  }
  const facts = await Promise.all(unique.map((id) => ctx.directory.members.load(id)));
  const outside = unique.filter((id, i) => !facts[i] || !inUnionSubtree(ctx.principal, facts[i]!.organizationChain));
  if (outside.length > 0) {
    throw BenefitErrors.forbidden(`${outside.length} member(s) are outside the subtree you act on; nothing was granted`);
  }
  const candidates = unique.filter((id, i) => {
    const eligible = eligibilityProblem(facts[i], program, batch) === null;
    if (!eligible) skipped.push({ memberId: id, reason: 'NOT_ELIGIBLE' });
    return eligible;
  });
  const audiences = new Map<string, Awaited<ReturnType<typeof benefitAudience>>>();
  if (candidates.length > 0) {
    const partnerIds = await redeemablePartnerIds(ctx, batch.id);
    const factsById = new Map(unique.map((id, i) => [id, facts[i] ?? null]));
    for (const [id, audience] of await Promise.all(
      candidates.map(async (id) => [id, await benefitAudience(ctx, { member: factsById.get(id) ?? null, programId: program.id, partnerIds })] as const),
    )) {
      audiences.set(id, audience);
    }
  }
  return { batch, program, audiences, candidates, outcome: { granted: [], skipped } };
}

/** The grant's guarded writes, in one transaction (the caller's). */
async function takeGrant(ctx: BenefitContext, tx: EntityManager, { batch, program, audiences, candidates, outcome }: PreparedGrant): Promise<GrantOutcome> {
  const skipped = [...outcome.skipped];
  // Member rows are locked in id order, then the pool row: the same order as claims, so no deadlock.
  const counted = await rowsOf<{ member_id: string }>(
    tx,
    `INSERT INTO voucher_member_claims AS c (batch_id, member_id, claimed, claim_limit)
     SELECT $1, m, 1, $3 FROM unnest($2::uuid[]) AS m ORDER BY m
     ON CONFLICT (batch_id, member_id) DO UPDATE SET claimed = c.claimed + 1 WHERE c.claimed < c.claim_limit
     RETURNING c.member_id`,
    [batch.id, candidates, batch.perMemberLimit],
  );
  const underLimit = new Set(counted.map((r) => r.member_id));
  const wanting = candidates.filter((id) => {
    if (!underLimit.has(id)) skipped.push({ memberId: id, reason: 'LIMIT_REACHED' });
    return underLimit.has(id);
  });
  if (wanting.length === 0) return { granted: [], skipped };

  // Every stripe of the pool, locked in stripe order after the member rows: claims lock their
  // member row first and then one stripe, so neither waits for the other in a cycle.
  const stripes = await rowsOf<{ stripe: number; left: number }>(
    tx,
    `SELECT stripe, quantity - claimed AS left FROM voucher_batch_stripes WHERE batch_id = $1 ORDER BY stripe FOR NO KEY UPDATE`,
    [batch.id],
  );
  const available = stripes.reduce((sum, s) => sum + Number(s.left), 0);
  const take = Math.min(wanting.length, available);
  const receiving = wanting.slice(0, take);
  const soldOut = wanting.slice(take);
  for (const id of soldOut) skipped.push({ memberId: id, reason: 'SOLD_OUT' });
  if (soldOut.length > 0) {
    await tx.query(`UPDATE voucher_member_claims SET claimed = claimed - 1 WHERE batch_id = $1 AND member_id = ANY($2::uuid[])`, [batch.id, soldOut]);
  }
  if (receiving.length === 0) return { granted: [], skipped };
  // The units are taken from the stripes in order, each up to what it has left.
  const taken: Array<{ stripe: number; units: number }> = [];
  let needed = receiving.length;
  for (const s of stripes) {
    const units = Math.min(needed, Number(s.left));
    if (units > 0) taken.push({ stripe: s.stripe, units });
    needed -= units;
  }
  await tx.query(
    `UPDATE voucher_batch_stripes s SET claimed = s.claimed + t.units
       FROM unnest($2::smallint[], $3::int[]) AS t(stripe, units) WHERE s.batch_id = $1 AND s.stripe = t.stripe`,
    [batch.id, taken.map((t) => t.stripe), taken.map((t) => t.units)],
  );
  const granted = await insertVouchers(tx, batch, receiving, ctx.principal.id);
  await recordEvents(
    tx,
    granted.map((voucher) => ({
      type: 'VOUCHER_GRANTED' as const,
      subjectId: voucher.id,
      data: { ...voucherEventData(voucher, program.id), grantedByPartnerId: ctx.principal.id },
      audience: audiences.get(voucher.memberId)!,
    })),
  );
  return { granted, skipped };
}

/** Owner, the owner's union chain, PLATFORM; a partner only for vouchers of batches it may redeem. */
export async function canReadVoucher(ctx: BenefitContext, voucher: VoucherEntity): Promise<boolean> {
  const { kind, id } = ctx.principal;
  if (kind === 'TRAVEL_PARTNER' || kind === 'MERCHANT') return (await redeemablePartnerIds(ctx, voucher.batchId)).includes(id);
  if (kind === 'MEMBER') return id === voucher.memberId;
  return canReadMemberAccount(ctx.principal, await ctx.directory.members.load(voucher.memberId));
}

/** The full code: to its owner and to partners allowed to redeem it; everybody else sees it masked. */
export async function maySeeFullCode(ctx: BenefitContext, voucher: VoucherEntity): Promise<boolean> {
  const { kind, id } = ctx.principal;
  if (kind === 'MEMBER') return id === voucher.memberId;
  if (kind === 'TRAVEL_PARTNER' || kind === 'MERCHANT') return (await redeemablePartnerIds(ctx, voucher.batchId)).includes(id);
  return false;
}
