import { shanghaiDate, shanghaiYear, shanghaiYearStart } from '@union/common';
import type { ExpiryPolicy } from '../../config';
import { PointsErrors } from '../../errors';
import type { PointsRule } from './points.entity';

/** The earning rules of the contract: a fixed amount (or the caller's, for ACTIVITY) and a cap per period. */
export const EARNING_RULES: Record<PointsRule, { points: number | null; cap: { per: 'day' | 'ever'; points: number } | null }> = {
  READ_ARTICLE: { points: 5, cap: { per: 'day', points: 20 } },
  DAILY_SIGN_IN: { points: 2, cap: { per: 'day', points: 2 } },
  REAL_NAME_VERIFIED: { points: 100, cap: { per: 'ever', points: 100 } },
  ACTIVITY: { points: null, cap: null },
};

export const ACTIVITY_MIN_POINTS = 1;
export const ACTIVITY_MAX_POINTS = 1000;
export const SOURCE_REF_MAX_LENGTH = 200;

/** The points an award is worth; BAD_USER_INPUT for an amount the rule does not allow. */
export function awardAmount(rule: PointsRule, amount: number | null | undefined): number {
  const fixed = EARNING_RULES[rule]?.points;
  if (fixed === undefined) throw PointsErrors.badInput(`unknown rule ${String(rule)}`, 'input.rule');
  if (fixed === null) {
    if (amount == null) throw PointsErrors.badInput('amount is required for ACTIVITY', 'input.amount');
    if (!Number.isInteger(amount) || amount < ACTIVITY_MIN_POINTS || amount > ACTIVITY_MAX_POINTS) {
      throw PointsErrors.badInput(`ACTIVITY amount must be between ${ACTIVITY_MIN_POINTS} and ${ACTIVITY_MAX_POINTS}`, 'input.amount');
    }
    return amount;
  }
  // The amount is only for ACTIVITY; a partner repeating the fixed amount is harmless, another is a mistake worth telling.
  if (amount != null && amount !== fixed) throw PointsErrors.badInput(`${rule} is always worth ${fixed} points; amount is only for ACTIVITY`, 'input.amount');
  return fixed;
}

export function validateSourceRef(sourceRef: string): string {
  if (typeof sourceRef !== 'string' || sourceRef.trim() === '') throw PointsErrors.badInput('sourceRef must not be empty', 'input.sourceRef');
  // PostgreSQL text cannot hold NUL: refused here, it would fail the statement as an internal error.
  if (sourceRef.includes('\u0000')) throw PointsErrors.badInput('sourceRef must not contain NUL characters', 'input.sourceRef');
  if ([...sourceRef].length > SOURCE_REF_MAX_LENGTH) {
    throw PointsErrors.badInput(`sourceRef must have at most ${SOURCE_REF_MAX_LENGTH} characters`, 'input.sourceRef');
  }
  return sourceRef;
}

/** The cap period an award at `at` counts against: its Asia/Shanghai day, or 'ever'. */
export function capPeriod(per: 'day' | 'ever', at: Date): string {
  return per === 'day' ? shanghaiDate(at) : 'ever';
}

/** Points earned at `at` expire when Asia/Shanghai's year (earning year + 1 + policy) begins. */
export function expiryOf(at: Date, policy: ExpiryPolicy): Date {
  return shanghaiYearStart(shanghaiYear(at) + 1 + policy.expiryYearsAfterEarning);
}
