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

/**
 * MEMBER: first come, first served. Both limits live in the database and are taken in one
 * transaction: the member's counter row (guarded upsert, LIMIT_REACHED) and then the pool
 * (guarded UPDATE, SOLD_OUT). Either failure rolls the other back. The pool row is locked last
 * and only until commit, so the hot row is held for as short a time as possible.
 */
export async function claimVoucher(ctx: BenefitContext, batchId: string): Promise<VoucherEntity> {
  if (ctx.principal.kind !== 'MEMBER') throw BenefitErrors.forbidden('only members claim vouchers');
  const memberId = ctx.principal.id;
  const { batch, program } = await loadBatchAndProgram(ctx, batchId);
  const now = Date.now();
  if (now < batch.claimStartsAt.getTime() || now >= batch.claimEndsAt.getTime()) throw VoucherErrors.claimNotOpen(batch.claimStartsAt, batch.claimEndsAt);
  // A shortcut for the tail of a rush (no call to the member subgraph, no transaction); the
  // guarded UPDATE below is what decides.
  if (batch.claimed >= batch.totalQuantity) throw VoucherErrors.soldOut();
  // The sponsor's chain (for the event's audience) is asked for at the same time as the member.
  const [member, partnerIds] = await Promise.all([
    ctx.directory.members.load(memberId),
    redeemablePartnerIds(ctx, batch.id),
    ctx.directory.organizations.load(program.sponsorOrganizationId),
  ]);
  const problem = eligibilityProblem(member, program, batch);
  if (problem) throw VoucherErrors.notEligible(problem);
  const audience = await benefitAudience(ctx, { member, programId: program.id, partnerIds });

  const voucher = await ctx.db.transaction(async (tx) => {
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
    return issued;
  });
  // The batch read before the claim is stale now; voucher.batch.remainingQuantity must not be.
  ctx.loaders.batchById.clear(batch.id);
  return voucher;
}

/**
 * UNION with voucher:grant, for a batch its subtree sponsors, to members of its own subtree.
 * Anyone outside the subtree (or unknown) fails the whole call and nothing is written; members
 * who cannot receive one (not eligible, at their limit, pool exhausted) are listed in `skipped`.
 */
export async function grantVouchers(ctx: BenefitContext, batchId: string, memberIds: string[]): Promise<GrantOutcome> {
  if (ctx.principal.kind !== 'UNION') throw BenefitErrors.forbidden('only unions grant vouchers');
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
  if (candidates.length === 0) return { granted: [], skipped };
  const partnerIds = await redeemablePartnerIds(ctx, batch.id);
  const factsById = new Map(unique.map((id, i) => [id, facts[i] ?? null]));
  const audiences = new Map(
    await Promise.all(candidates.map(async (id) => [id, await benefitAudience(ctx, { member: factsById.get(id) ?? null, programId: program.id, partnerIds })] as const)),
  );

  const outcome = await ctx.db.transaction(async (tx) => {
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
    const updated = await rowsOf(
      tx,
      `UPDATE voucher_batches SET claimed = claimed + $2 WHERE id = $1 AND claimed + $2 <= total_quantity RETURNING claimed`,
      [batch.id, receiving.length],
    );
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
  });
  ctx.loaders.batchById.clear(batch.id);
  return outcome;
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
