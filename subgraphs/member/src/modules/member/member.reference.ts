import { isUuid } from '@union/common';
import type { MemberContext } from '../../context';
import type { MemberEntity } from './member.entity';

/**
 * Resolves Member references from other subgraphs. type-graphql's authorization does not run
 * here, so the access policy is asked explicitly; a member the caller may not see resolves to null.
 */
export async function resolveMemberReference(reference: { id: string }, ctx: MemberContext): Promise<MemberEntity | null> {
  if (!isUuid(reference.id)) return null;
  const member = await ctx.loaders.memberById.load(reference.id);
  return member && (await ctx.access.canSeeReferencedMember(member)) ? member : null;
}
