import { Field, InputType, Int } from 'type-graphql';

@InputType({ description: 'A new item for the points mall.' })
export class CreateRewardInput {
  @Field({ description: 'What the member gets (1-200 characters).' })
  name!: string;

  @Field(() => Int, { description: 'Points per unit, 1..1,000,000.' })
  pointsCost!: number;

  @Field(() => Int, { description: 'Units available, 0..1,000,000.' })
  stock!: number;
}
