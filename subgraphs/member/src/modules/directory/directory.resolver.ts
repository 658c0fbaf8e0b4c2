import { signMemberAccessFacts } from '@union/common';
import { Ctx, Directive, FieldResolver, Resolver, Root } from 'type-graphql';
import type { MemberContext } from '../../context';
import type { MemberEntity } from '../member/member.entity';
import { Member } from '../member/member.types';
import { organizationChains } from './directory.store';

/**
 * Member.accessFacts: the member's facts (status, union chain) signed for benefit and points, which
 * @require the field on their Member fields. The gateway fetches it with the member it already
 * reads, so those subgraphs decide access without calling back. @inaccessible: never part of the
 * partner API. Reached only where the member itself was (every path to a Member here applies the
 * access policy first).
 */
@Resolver(() => Member)
export class MemberAccessFactsResolver {
  @FieldResolver(() => String, {
    nullable: true,
    description: 'Internal: the member directory facts (status, union chain), signed and short-lived, carried by the gateway to benefit and points.',
  })
  @Directive('@inaccessible')
  async accessFacts(@Root() member: MemberEntity, @Ctx() ctx: MemberContext): Promise<string | null> {
    try {
      return signMemberAccessFacts(await organizationChains(ctx.db).memberFacts(member), ctx.config.internalSecret);
    } catch {
      // Without the facts benefit and points ask the member directory themselves: never fail the member over them.
      return null;
    }
  }
}
