import { isUuid, type Page, pageOf, pageSize } from '@union/common';
import { pathInSubtree } from '../../access';
import type { MemberContext } from '../../context';
import { MemberErrors } from '../../errors';
import { assertUnionWriter } from '../enrollment/enrollment.service';
import type { MemberEntity } from '../member/member.entity';
import { recordMemberEvent } from '../member/member.events';
import { memberColumns, memberFromRow } from '../member/member.loaders';
import type { MembershipEventRow } from './transfer.types';

/**
 * Memberships that ended cannot move. Enrolling the person again is no way back either (the ID
 * number keeps its one membership: ALREADY_MEMBER); a LAPSED one is re-activated with
 * changeMemberStatus(ACTIVE) first, a TRANSFERRED_OUT one never.
 */
const TRANSFERABLE = new Set(['ACTIVE', 'SUSPENDED']);

/**
 * 转会: moves a member to another organization inside the caller's subtree. The member keeps its
 * id, card number, status and verification, so points and vouchers (keyed by member id in other
 * subgraphs) follow it. The member row is locked first, so two transfers of one member run one
 * after the other and each sees where the member really is. The subtree counters follow through
 * the statement-level triggers on members (they fire on the org_path update).
 */
export async function transferMember(ctx: MemberContext, memberId: string, toOrganizationId: string): Promise<MemberEntity> {
  const { principal } = ctx;
  assertUnionWriter(principal);
  if (!isUuid(memberId)) throw MemberErrors.notFound('member');
  const scopePath = await ctx.access.scopePath();

  return ctx.db.transaction(async (tx) => {
    const [current] = (await tx.query(`SELECT ${memberColumns()} FROM members WHERE id = $1 FOR UPDATE`, [memberId])) as Array<Record<string, unknown>>;
    // A member outside the caller's subtree does not exist for the caller.
    if (!current || !pathInSubtree(current.org_path as string, scopePath)) throw MemberErrors.notFound('member');

    const [target] = isUuid(toOrganizationId)
      ? ((await tx.query(`SELECT id, path FROM organizations WHERE id = $1`, [toOrganizationId])) as Array<{ id: string; path: string }>)
      : [];
    if (!target) throw MemberErrors.notFound('organization');
    if (!pathInSubtree(target.path, scopePath)) {
      throw MemberErrors.forbidden('the target organization is outside your subtree; ask a union above both organizations');
    }

    // Retrying a transfer that already happened answers the member as it is, without a second event.
    if (current.organization_id === target.id) return memberFromRow(current);
    if (!TRANSFERABLE.has(current.status as string)) {
      throw MemberErrors.notEligible(`a ${String(current.status)} membership cannot be transferred`);
    }

    const [moved] = (await tx.query(`UPDATE members SET organization_id = $2, org_path = $3, updated_at = now() WHERE id = $1 RETURNING ${memberColumns()}`, [
      memberId,
      target.id,
      target.path,
    ])) as [Array<Record<string, unknown>>, number];
    await tx.query(
      `INSERT INTO membership_events (member_id, kind, from_organization_id, to_organization_id, actor_kind, actor_id, actor_name)
       VALUES ($1, 'TRANSFERRED', $2, $3, $4, $5, $6)`,
      [memberId, current.organization_id, target.id, principal.kind, principal.id, principal.name],
    );
    const member = memberFromRow(moved[0]!);
    // The union the member left learns it too.
    await recordMemberEvent(tx, 'MEMBER_TRANSFERRED', member, { fromOrganizationId: current.organization_id, toOrganizationId: target.id }, [
      current.org_path as string,
    ]);
    return member;
  });
}

export interface HistoryPage extends Page<MembershipEventRow> {
  memberId: string;
}

/** The membership history is for the unions on the member's chain (and services), nobody else. */
export async function membershipHistory(
  ctx: MemberContext,
  member: MemberEntity,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<HistoryPage> {
  if (!(await ctx.access.canReadMembershipHistory(member)))
    throw MemberErrors.forbidden("the membership history is visible to the unions on the member's organization chain only");
  const limit = pageSize(first);
  const listName = `membership-history:${member.id}`;
  const position = ctx.cursors.decode<[string]>(listName, after);
  const afterId = position?.[0] ?? null;
  if (afterId !== null && !/^\d{1,18}$/.test(afterId)) throw MemberErrors.badInput('invalid cursor', 'after');
  const rows = await ctx.loaders.membershipHistoryPage.load({ memberId: member.id, limit: limit + 1, afterId });
  return {
    ...pageOf(rows, limit, (last) => ctx.cursors.encode(listName, [last.id])),
    memberId: member.id,
  };
}
