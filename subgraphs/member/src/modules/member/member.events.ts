import { type EventTypeName, maskCardNumber, maskName, recordEvent, type SqlRunner } from '@union/common';
import { organizationChainSql } from '../organization/organization.service';
import type { MemberEntity } from './member.entity';

/** What every member event carries: ids and masked personal data, never the full name, phone or ID number. */
export function memberEventData(member: MemberEntity): Record<string, unknown> {
  return {
    memberId: member.id,
    organizationId: member.organizationId,
    displayName: maskName(member.fullName),
    cardNumber: maskCardNumber(member.cardNumber),
    status: member.status,
  };
}

/**
 * Records one member event inside the write's transaction, visible to the unions on the member's
 * organization chain (and on `alsoVisibleToPaths`, e.g. where a transferred member came from).
 * One line per write: `await recordMemberEvent(tx, 'MEMBER_UPDATED', member, { changed: [...] })`.
 */
export async function recordMemberEvent(
  tx: SqlRunner,
  type: EventTypeName,
  member: MemberEntity,
  extra: Record<string, unknown> = {},
  alsoVisibleToPaths: string[] = [],
): Promise<string> {
  const paths = [member.orgPath, ...alsoVisibleToPaths];
  const rows = (await tx.query(`SELECT ${organizationChainSql('p.path')} AS chain FROM unnest($1::text[]) AS p(path)`, [paths])) as Array<{ chain: string[] }>;
  return recordEvent(tx, {
    type,
    subjectId: member.id,
    data: { ...memberEventData(member), ...extra },
    audience: { organizationIds: rows.flatMap((r) => r.chain) },
  });
}
