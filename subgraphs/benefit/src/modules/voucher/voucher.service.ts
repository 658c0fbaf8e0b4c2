import { randomUUID } from 'node:crypto';
import { canReadMemberAccount, inUnionSubtree, isUuid, type MemberFacts, recordEvent, recordEvents } from '@union/common';
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
import { rowsOf } from '../../sql';
import { checkIdempotencyKey, type IdempotentRequest, requestFingerprint, runIdempotent } from '../idempotency/idempotency.store';

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

interface PreparedClaim {
  batch: VoucherBatchEntity;
  program: BenefitProgramEntity;
  /** Who sees the VOUCHER_CLAIMED event: the unions over the member and the sponsor, the redeeming partners. */
  audience: Awaited<ReturnType<typeof benefitAudience>>;
}

/** Everything a claim checks before its transaction; the guarded writes in takeClaim decide. */
async function prepareClaim(ctx: BenefitContext, batchId: string): Promise<PreparedClaim> {
  const { batch, program } = await loadBatchAndProgram(ctx, batchId);
  const now = Date.now();
  if (now < batch.claimStartsAt.getTime() || now >= batch.claimEndsAt.getTime()) throw VoucherErrors.claimNotOpen(batch.claimStartsAt, batch.claimEndsAt);
  // A shortcut for the tail of a rush (no call to the member subgraph, no transaction); the
  // guarded UPDATE below is what decides.
  if (batch.claimed >= batch.totalQuantity) throw VoucherErrors.soldOut();
  // The sponsor's chain (for the event's audience) is asked for at the same time as the member.
  const [member, partnerIds] = await Promise.all([
    ctx.directory.members.load(ctx.principal.id),
    redeemablePartnerIds(ctx, batch.id),
    ctx.directory.organizations.load(program.sponsorOrganizationId),
  ]);
  const problem = eligibilityProblem(member, program, batch);
  if (problem) throw VoucherErrors.notEligible(problem);
  return { batch, program, audience: await benefitAudience(ctx, { member, programId: program.id, partnerIds }) };
}

/**
 * Both limits live in the database and are taken in one transaction: the member's counter row
 * (guarded upsert, LIMIT_REACHED) and then the pool (guarded UPDATE, SOLD_OUT). Either failure
 * rolls the other back. The pool row is locked last and only until commit, so the hot row is held
 * for as short a time as possible.
 */
async function takeClaim(tx: EntityManager, { batch, program, audience }: PreparedClaim, memberId: string): Promise<VoucherEntity> {
  const counted = await rowsOf(
    tx,
    `INSERT INTO voucher_member_claims AS c (batch_id, member_id, claimed, claim_limit) VALUES ($1, $2, 1, $3)
     ON CONFLICT (batch_id, member_id) DO UPDATE SET claimed = c.claimed + 1 WHERE c.claimed < c.claim_limit
     RETURNING c.claimed`,
    [batch.id, memberId, batch.perMemberLimit],
  );
  if (counted.length === 0) throw VoucherErrors.limitReached(batch.perMemberLimit);
  const pool = await rowsOf(tx, `UPDATE voucher_batches SET claimed = claimed + 1 WHERE id = $1 AND claimed < total_quantity RETURNING claimed`, [batch.id]);
  if (pool.length === 0) throw VoucherErrors.soldOut();
  const [issued] = await insertVouchers(tx, batch, [memberId], null);
  await recordEvent(tx, { type: 'VOUCHER_CLAIMED', subjectId: issued!.id, data: voucherEventData(issued!, program.id), audience });
  return issued!;
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
    const prepared = await prepareClaim(ctx, batchId);
    voucher = await ctx.db.transaction((tx) => takeClaim(tx, prepared, memberId));
  } else {
    const request: IdempotentRequest = {
      callerKind: 'MEMBER',
      callerId: memberId,
      key: checkIdempotencyKey(idempotencyKey),
      operation: 'claimVoucher',
      fingerprint: requestFingerprint('claimVoucher', batchId),
    };
    voucher = await runIdempotent(ctx.db, request, {
      prepare: () => prepareClaim(ctx, batchId),
      write: (tx, prepared) => takeClaim(tx, prepared, memberId),
      save: (issued) => ({ voucherId: issued.id }),
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
    outcome = prepared.candidates.length === 0 ? prepared.outcome : await ctx.db.transaction((tx) => takeGrant(ctx, tx, prepared));
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

  // NO KEY UPDATE, the lock an UPDATE takes: FOR UPDATE would also wait for the KEY SHARE locks
  // that concurrent claims hold on this row through their foreign keys, and deadlock with them.
  const [pool] = await rowsOf<{ claimed: number; total_quantity: number }>(
    tx,
    `SELECT claimed, total_quantity FROM voucher_batches WHERE id = $1 FOR NO KEY UPDATE`,
    [batch.id],
  );
  const take = Math.min(wanting.length, pool.total_quantity - pool.claimed);
  const receiving = wanting.slice(0, take);
  const soldOut = wanting.slice(take);
  for (const id of soldOut) skipped.push({ memberId: id, reason: 'SOLD_OUT' });
  if (soldOut.length > 0) {
    await tx.query(`UPDATE voucher_member_claims SET claimed = claimed - 1 WHERE batch_id = $1 AND member_id = ANY($2::uuid[])`, [batch.id, soldOut]);
  }
  if (receiving.length === 0) return { granted: [], skipped };
  const updated = await rowsOf(tx, `UPDATE voucher_batches SET claimed = claimed + $2 WHERE id = $1 AND claimed + $2 <= total_quantity RETURNING claimed`, [
    batch.id,
    receiving.length,
  ]);
  if (updated.length === 0) throw new Error('voucher pool changed under its row lock');
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
