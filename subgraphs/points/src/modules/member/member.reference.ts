import { isUuid, readMemberAccessFacts } from '@union/common';
import type { PointsContext } from '../../context';
import type { MemberPoints } from './member.types';

/**
 * Member references carry the id and, for the fields that @require it, the member's facts signed
 * by the member subgraph in this same request. Facts that verify are primed into the request's
 * member directory, so who may read what is decided on each field without a call back to member;
 * facts that are absent, expired or not ours are simply asked for (the directory's usual call).
 */
export function resolveMemberReference(reference: { id: string; accessFacts?: unknown }, ctx: PointsContext): MemberPoints | null {
  if (!isUuid(reference.id)) return null;
  const facts = readMemberAccessFacts(reference.accessFacts, reference.id, ctx.config.internalSecret);
  if (facts) ctx.directory.members.prime(reference.id, facts);
  return { id: reference.id };
}
