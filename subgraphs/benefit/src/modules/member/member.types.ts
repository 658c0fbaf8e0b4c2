import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** The member subgraph owns members; benefit adds the member's vouchers and discount usage. */
@ObjectType('Member', { description: 'A union member (owned by the member subgraph).' })
@Directive('@key(fields: "id")')
export class MemberBenefits {
  @Field(() => ID, { description: 'Member id.' })
  id!: string;
}
