import { Field, ID, InputType, Int } from 'type-graphql';
import type { PointsRule as Rule } from './points.entity';
import { PointsRule } from './points.types';

@InputType({ description: 'An award of points to one member under one earning rule.' })
export class AwardPointsInput {
  @Field(() => ID, { description: 'The member who earns the points.' })
  memberId!: string;

  @Field(() => PointsRule, { description: 'The earning rule; it fixes the amount (except ACTIVITY) and the caps.' })
  rule!: Rule;

  @Field({ description: 'Required. (memberId, rule, sourceRef) is unique: re-sending returns the original transaction.' })
  sourceRef!: string;

  @Field(() => Int, { nullable: true, description: 'Only for ACTIVITY.' })
  amount?: number | null;
}
