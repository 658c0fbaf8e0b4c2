import { isUuid } from '@union/common';
import { recordMemberEvent } from '../member/member.events';
import { pathInSubtree } from '../../access';
import type { MemberContext } from '../../context';
import { MemberErrors } from '../../errors';
import { assertUnionWriter, MOBILE_PHONE, type Sql } from '../enrollment/enrollment.service';
import type { MemberEntity, MembershipStatus } from '../member/member.entity';
import { memberColumns, memberFromRow } from '../member/member.loaders';
import type { UpdateMemberInput } from './lifecycle.inputs';

/** What a union may set with changeMemberStatus; TRANSFERRED_OUT belongs to transfers. */
const SETTABLE_STATUSES: ReadonlySet<string> = new Set(['ACTIVE', 'SUSPENDED', 'LAPSED']);
/** A reason is shown in the membership history to every union on the member's chain. */
const REASON = /^[^\p{Cc}\p{Cf}]{1,500}$/u;

export function checkedReason(reason: string, field = 'reason'): string {
  const trimmed = reason.trim();
  if (!REASON.test(trimmed) || Array.from(trimmed).length > 500) {
    throw MemberErrors.badInput(`${field} must be 1 to 500 characters without control or invisible characters`, field);
  }
  if (/^[=+\-@]/.test(trimmed)) throw MemberErrors.badInput(`${field} must not start with = + - or @ (spreadsheet formulas)`, field);
  return trimmed;
}

/**
 * Runs `change` on the member locked FOR UPDATE inside one transaction, for a UNION writer over
 * the member. A member outside the caller's subtree does not exist for it (NOT_FOUND).
 */
async function withLockedMember<T>(ctx: MemberContext, memberId: string, change: (tx: Sql, current: MemberEntity) => Promise<T>): Promise<T> {
  assertUnionWriter(ctx.principal);
  if (!isUuid(memberId)) throw MemberErrors.notFound('member');
  const scopePath = await ctx.access.scopePath();
  return ctx.db.transaction(async (tx) => {
    const [row] = (await tx.query(`SELECT ${memberColumns()} FROM members WHERE id = $1 FOR UPDATE`, [memberId])) as Array<Record<string, unknown>>;
    if (!row || !pathInSubtree(row.org_path as string, scopePath)) throw MemberErrors.notFound('member');
    return change(tx, memberFromRow(row));
  });
}

/**
 * updateMember: phone and the new-employment-form flag. Changing nothing (or setting the values
 * the member already has) answers the member and records nothing, so retries are safe. The
 * database stamps updated_at (trigger); the subtree counters follow the flag (triggers).
 */
export async function updateMember(ctx: MemberContext, memberId: string, input: UpdateMemberInput): Promise<MemberEntity> {
  const phone = input.phone == null ? undefined : input.phone.trim();
  if (phone !== undefined && !MOBILE_PHONE.test(phone)) {
    throw MemberErrors.badInput('phone must be an 11-digit mainland mobile number, e.g. 13812345678', 'input.phone');
  }
  const newEmploymentForm = input.newEmploymentForm ?? undefined;
  if (phone === undefined && newEmploymentForm === undefined) throw MemberErrors.badInput('give phone or newEmploymentForm (or both)', 'input');

  return withLockedMember(ctx, memberId, async (tx, current) => {
    const changed: string[] = [];
    if (phone !== undefined && phone !== current.phone) changed.push('phone');
    if (newEmploymentForm !== undefined && newEmploymentForm !== current.newEmploymentForm) changed.push('newEmploymentForm');
    if (changed.length === 0) return current;

    const [rows] = (await tx.query(
      `UPDATE members SET phone = coalesce($2, phone), new_employment_form = coalesce($3, new_employment_form)
        WHERE id = $1 RETURNING ${memberColumns()}`,
      [memberId, phone ?? null, newEmploymentForm ?? null],
    )) as [Array<Record<string, unknown>>, number];
    await tx.query(
      `INSERT INTO membership_events (member_id, kind, to_organization_id, changed_fields, actor_kind, actor_id, actor_name)
       VALUES ($1, 'UPDATED', $2, $3::text[], $4, $5, $6)`,
      [memberId, current.organizationId, changed, ctx.principal.kind, ctx.principal.id, ctx.principal.name],
    );
    const updated = memberFromRow(rows[0]!);
    // Which fields changed, never their values: the feed carries masked data only.
    await recordMemberEvent(tx, 'MEMBER_UPDATED', updated, { changedFields: changed });
    return updated;
  });
}

/**
 * changeMemberStatus: SUSPENDED or LAPSED with a reason, ACTIVE to reinstate (from SUSPENDED or
 * LAPSED). TRANSFERRED_OUT is set only by transfers and is final. Setting the status the member
 * already has answers the member and records nothing. The subtree counters (active count) follow
 * through the triggers on members.
 */
export async function changeMemberStatus(ctx: MemberContext, memberId: string, status: MembershipStatus, reason: string): Promise<MemberEntity> {
  if (!SETTABLE_STATUSES.has(status)) throw MemberErrors.badInput('TRANSFERRED_OUT is set only by transfers; use SUSPENDED, LAPSED or ACTIVE', 'status');
  const checkedReasonText = checkedReason(reason);
  return withLockedMember(ctx, memberId, async (tx, current) => {
    if (current.status === status) return current;
    if (current.status === 'TRANSFERRED_OUT') throw MemberErrors.notEligible('a TRANSFERRED_OUT membership has ended and cannot change status');
    const [rows] = (await tx.query(`UPDATE members SET status = $2 WHERE id = $1 RETURNING ${memberColumns()}`, [memberId, status])) as [
      Array<Record<string, unknown>>,
      number,
    ];
    await tx.query(
      `INSERT INTO membership_events (member_id, kind, to_organization_id, from_status, to_status, reason, actor_kind, actor_id, actor_name)
       VALUES ($1, 'STATUS_CHANGED', $2, $3, $4, $5, $6, $7, $8)`,
      [memberId, current.organizationId, current.status, status, checkedReasonText, ctx.principal.kind, ctx.principal.id, ctx.principal.name],
    );
    const changed = memberFromRow(rows[0]!);
    await recordMemberEvent(tx, 'MEMBER_STATUS_CHANGED', changed, { fromStatus: current.status, toStatus: status });
    return changed;
  });
}
