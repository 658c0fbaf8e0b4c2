import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** The member subgraph owns members; points adds the member's points account. */
@ObjectType('Member', { description: 'A union member (owned by the member subgraph).' })
@Directive('@key(fields: "id")')
export class MemberPoints {
  @Field(() => ID, { description: 'Member id.' })
  id!: string;
}
