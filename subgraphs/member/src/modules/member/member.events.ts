import { type EventTypeName, maskCardNumber, maskName, recordEvent, recordEvents, type SqlRunner } from '@union/common';
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

/** The ids of every organization on these materialized paths (the unions that see an event there). */
async function chainsOf(tx: SqlRunner, paths: string[]): Promise<string[]> {
  const rows = (await tx.query(`SELECT ${organizationChainSql('p.path')} AS chain FROM unnest($1::text[]) AS p(path)`, [paths])) as Array<{ chain: string[] }>;
  return rows.flatMap((r) => r.chain);
}

/**
 * An event about something that belongs to an organization rather than to a member (a join
 * application: JOIN_APPLICATION_SUBMITTED / _DECIDED), visible to the unions on its chain:
 * `await recordOrganizationEvent(tx, 'JOIN_APPLICATION_SUBMITTED', application.id, organization.path, { applicationId, organizationId, displayName })`.
 */
export async function recordOrganizationEvent(
  tx: SqlRunner,
  type: EventTypeName,
  subjectId: string,
  organizationPath: string,
  data: Record<string, unknown>,
): Promise<string> {
  return recordEvent(tx, { type, subjectId, data, audience: { organizationIds: await chainsOf(tx, [organizationPath]) } });
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
  return recordEvent(tx, {
    type,
    subjectId: member.id,
    data: { ...memberEventData(member), ...extra },
    audience: { organizationIds: await chainsOf(tx, [member.orgPath, ...alsoVisibleToPaths]) },
  });
}

/**
 * The same event for many members at once (a bulk import's batch): one query for the chains of
 * their organizations and one insert, whatever the number of members.
 */
export async function recordMemberEvents(tx: SqlRunner, type: EventTypeName, members: readonly MemberEntity[]): Promise<string[]> {
  if (members.length === 0) return [];
  const paths = [...new Set(members.map((m) => m.orgPath))];
  const rows = (await tx.query(`SELECT p.path, ${organizationChainSql('p.path')} AS chain FROM unnest($1::text[]) AS p(path)`, [paths])) as Array<{
    path: string;
    chain: string[];
  }>;
  const chains = new Map(rows.map((r) => [r.path, r.chain]));
  return recordEvents(
    tx,
    members.map((member) => ({
      type,
      subjectId: member.id,
      data: { ...memberEventData(member), joinedAt: member.joinedAt },
      audience: { organizationIds: chains.get(member.orgPath) ?? [] },
    })),
  );
}
