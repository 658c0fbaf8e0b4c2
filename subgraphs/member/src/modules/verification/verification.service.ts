import { randomUUID } from 'node:crypto';
import { forbidden, notFound } from '@union/common';
import type { MemberContext } from '../../context';
import type { MemberEntity } from '../member/member.entity';
import { CARD_NUMBER } from '../member/member.service';
import { CardTokenCodec } from './card-token';
import { type MemberVerificationEntity, verificationFromRow } from './verification.entity';
import { VerificationFailure, type MemberCardToken, type MemberVerification, type VerificationPurpose } from './verification.types';

/** Paper-card name checks: this many wrong names per card within the window lock the card out. */
export const CARD_NUMBER_FAILURE_LIMIT = 5;
export const CARD_NUMBER_FAILURE_WINDOW = '1 hour';

const VERIFYING_KINDS = new Set(['HOSPITAL', 'TRAVEL_PARTNER', 'MERCHANT']);

// Deriving the AES key costs an HKDF; the codec holds no rows, only the key for one secret.
const codecs = new Map<string, CardTokenCodec>();
function codecFor(secret: string): CardTokenCodec {
  let codec = codecs.get(secret);
  if (!codec) codecs.set(secret, (codec = new CardTokenCodec(secret)));
  return codec;
}

/**
 * Names as people say and clerks type them: full-width forms folded (NFKC), spaces dropped, and the
 * several dots used in transliterated minority names (阿卜杜·热合曼) read as one.
 */
export function normalizeName(name: string): string {
  return name
    .normalize('NFKC')
    .replace(/\s+/g, '')
    .replace(/[.•・．‧⋅]/g, '·');
}

const failed = (reason: VerificationFailure, purpose: VerificationPurpose): MemberVerification => ({
  valid: false,
  reason,
  verificationId: null,
  purpose,
  expiresAt: null,
  member: null,
});

const succeeded = (verification: MemberVerificationEntity, member: MemberEntity): MemberVerification => ({
  valid: true,
  reason: null,
  verificationId: verification.id,
  purpose: verification.purpose as VerificationPurpose,
  expiresAt: verification.expiresAt,
  member,
});

function verifyingPartnerId(ctx: MemberContext): string {
  if (!VERIFYING_KINDS.has(ctx.principal.kind)) throw forbidden('only hospitals, travel partners and merchants verify member cards');
  return ctx.principal.id;
}

export async function issueCardToken(ctx: MemberContext): Promise<MemberCardToken> {
  if (ctx.principal.kind !== 'MEMBER') throw forbidden('only a member (through the member app) can show a member card');
  const member = await ctx.loaders.memberById.load(ctx.principal.id);
  if (!member) throw notFound('member');
  return codecFor(ctx.config.cardTokenSecret).issue(member.id);
}

async function insertVerification(
  ctx: MemberContext,
  values: { memberId: string; partnerId: string; purpose: VerificationPurpose; method: 'CARD_TOKEN' | 'CARD_NUMBER'; tokenDigest: Buffer | null },
): Promise<MemberVerificationEntity | null> {
  const now = new Date();
  const rows: Array<Record<string, unknown>> = await ctx.db.query(
    `INSERT INTO member_verifications (id, member_id, partner_id, purpose, method, token_digest, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (token_digest) DO NOTHING
     RETURNING id, member_id, partner_id, purpose, method, created_at, expires_at`,
    [
      randomUUID(),
      values.memberId,
      values.partnerId,
      values.purpose,
      values.method,
      values.tokenDigest,
      now,
      new Date(now.getTime() + ctx.config.verificationTtlSeconds * 1000),
    ],
  );
  return rows[0] ? verificationFromRow(rows[0]) : null;
}

/**
 * Scanning an e-card code. The first partner to verify a code owns it (a unique index decides, so
 * two counters scanning one screenshot at the same instant cannot both win); the same partner
 * scanning it again for the same purpose gets the same verification back, so a retried request
 * never burns the member's code.
 */
export async function verifyCardToken(ctx: MemberContext, token: string, purpose: VerificationPurpose): Promise<MemberVerification> {
  const partnerId = verifyingPartnerId(ctx);
  const decoded = codecFor(ctx.config.cardTokenSecret).decode(token.trim());
  if (!decoded.ok) return failed(VerificationFailure.TOKEN_INVALID, purpose);

  const now = Date.now();
  let verification = await verificationByDigest(ctx, decoded.digest);
  if (!verification) {
    if (decoded.expiresAt.getTime() <= now) return failed(VerificationFailure.TOKEN_EXPIRED, purpose);
    const member = await ctx.loaders.memberById.load(decoded.memberId);
    if (!member) return failed(VerificationFailure.CARD_NOT_FOUND, purpose);
    if (member.status !== 'ACTIVE') return failed(VerificationFailure.MEMBER_NOT_ACTIVE, purpose);
    const inserted = await insertVerification(ctx, { memberId: member.id, partnerId, purpose, method: 'CARD_TOKEN', tokenDigest: decoded.digest });
    if (inserted) return succeeded(inserted, member);
    // Another request verified this code between our read and our insert: whoever it was, it won.
    verification = await verificationByDigest(ctx, decoded.digest);
    if (!verification) return failed(VerificationFailure.TOKEN_ALREADY_USED, purpose);
  }

  if (verification.partnerId !== partnerId || verification.purpose !== purpose) return failed(VerificationFailure.TOKEN_ALREADY_USED, purpose);
  if (verification.expiresAt.getTime() <= now) return failed(VerificationFailure.TOKEN_EXPIRED, purpose);
  const member = await ctx.loaders.memberById.load(verification.memberId);
  if (!member) return failed(VerificationFailure.CARD_NOT_FOUND, purpose);
  if (member.status !== 'ACTIVE') return failed(VerificationFailure.MEMBER_NOT_ACTIVE, purpose);
  return succeeded(verification, member);
}

async function verificationByDigest(ctx: MemberContext, digest: Buffer): Promise<MemberVerificationEntity | null> {
  const rows: Array<Record<string, unknown>> = await ctx.db.query(
    `SELECT id, member_id, partner_id, purpose, method, created_at, expires_at FROM member_verifications WHERE token_digest = $1`,
    [digest],
  );
  return rows[0] ? verificationFromRow(rows[0]) : null;
}

/**
 * Paper card fallback (纸质会员证): the card number plus the full name the patient states.
 *
 * Wrong names are counted per card in a sliding hour; from the fifth on, the card answers
 * CARD_LOCKED whatever name is given, so a card number found on a lost card cannot be paired with
 * a guessed name. Checks of one card run one at a time (a transaction-scoped advisory lock), so
 * fifty parallel guesses get five tries, not fifty.
 */
export async function verifyCardNumber(ctx: MemberContext, cardNumber: string, fullName: string, purpose: VerificationPurpose): Promise<MemberVerification> {
  const partnerId = verifyingPartnerId(ctx);
  const card = cardNumber.trim().toUpperCase();
  if (!CARD_NUMBER.test(card)) return failed(VerificationFailure.CARD_NOT_FOUND, purpose);
  const member = await ctx.loaders.memberByCardNumber.load(card);
  if (!member) return failed(VerificationFailure.CARD_NOT_FOUND, purpose);
  const given = normalizeName(fullName);
  const nameMatches = given.length > 0 && given === normalizeName(member.fullName);

  const refusal = await ctx.db.transaction(async (tx): Promise<VerificationFailure | null> => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('card-number-check:' || $1::text, 0))`, [member.id]);
    const [{ failures }]: Array<{ failures: number }> = await tx.query(
      `SELECT count(*)::int AS failures FROM card_number_failures
        WHERE member_id = $1 AND failed_at > now() - $2::interval`,
      [member.id, CARD_NUMBER_FAILURE_WINDOW],
    );
    if (failures >= CARD_NUMBER_FAILURE_LIMIT) return VerificationFailure.CARD_LOCKED;
    if (nameMatches) return null;
    await tx.query(`INSERT INTO card_number_failures (member_id, partner_id) VALUES ($1, $2)`, [member.id, partnerId]);
    // Rows older than the window count for nothing; dropping them here keeps the table small without a job.
    await tx.query(`DELETE FROM card_number_failures WHERE member_id = $1 AND failed_at <= now() - $2::interval`, [member.id, CARD_NUMBER_FAILURE_WINDOW]);
    return VerificationFailure.NAME_MISMATCH;
  });
  if (refusal) return failed(refusal, purpose);
  if (member.status !== 'ACTIVE') return failed(VerificationFailure.MEMBER_NOT_ACTIVE, purpose);
  const verification = await insertVerification(ctx, { memberId: member.id, partnerId, purpose, method: 'CARD_NUMBER', tokenDigest: null });
  // A NULL digest never conflicts, so the insert always returns its row.
  return succeeded(verification!, member);
}
