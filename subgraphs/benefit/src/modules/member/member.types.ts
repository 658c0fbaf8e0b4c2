import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** The member subgraph owns members; benefit adds the member's vouchers and discount usage. */
@ObjectType('Member', { description: 'A union member (owned by the member subgraph).' })
@Directive('@key(fields: "id")')
export class MemberBenefits {
  @Field(() => ID, { description: 'Member id.' })
  id!: string;

  /**
   * The member's facts signed by the member subgraph (see readMemberAccessFacts), carried by the
   * gateway to the fields that @require it, so access is decided without a call back to member.
   */
  @Field(() => String, {
    nullable: true,
    description: 'Internal: the member directory facts signed by the member subgraph (@inaccessible in the member subgraph: never part of the partner API).',
  })
  @Directive('@external')
  accessFacts?: string | null;
}
