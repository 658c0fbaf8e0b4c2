import { PageInfo } from '@union/common';
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { RewardOrderStatus as Status } from './reward.entity';

export enum RewardOrderStatus {
  PLACED = 'PLACED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(RewardOrderStatus, {
  name: 'RewardOrderStatus',
  description: 'Where a points-mall order stands.',
  valuesConfig: {
    PLACED: { description: 'Points spent and stock taken.' },
    CANCELLED: { description: 'Cancelled: the points (as a REVERSAL) and the stock came back.' },
  },
});

@ObjectType({ description: 'An item in the points mall (粤工惠购).' })
@Directive('@key(fields: "id")')
export class Reward {
  @Field(() => ID, { description: 'Reward id.' })
  id!: string;

  @Field({ description: 'What the member gets, e.g. 工会定制保温杯.' })
  name!: string;

  @Field(() => Int, { description: 'Points per unit.' })
  pointsCost!: number;

  @Field(() => Int, { description: 'Units left; an order never takes more than this.' })
  stock!: number;

  @Field(() => Date, { description: 'When the reward was added to the mall.' })
  createdAt!: Date;
}

@ObjectType({ description: 'A page of rewards, newest first.' })
export class RewardConnection {
  @Field(() => [Reward], { description: 'The rewards of this page.' })
  nodes!: Reward[];

  @Field(() => PageInfo, { description: 'Where this page ends.' })
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'Number of rewards in the mall.' })
  totalCount!: number;
}

@ObjectType({ description: "A member's order in the points mall." })
export class RewardOrder {
  @Field(() => ID, { description: 'Order id.' })
  id!: string;

  @Field(() => Int, { description: 'Units ordered.' })
  quantity!: number;

  @Field(() => Int, { description: 'Points the order spent (pointsCost x quantity at the time of the order).' })
  pointsSpent!: number;

  @Field(() => RewardOrderStatus, { description: 'PLACED, or CANCELLED once the points and stock came back.' })
  status!: Status;

  @Field(() => Date, { description: 'When the order was placed.' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When the order was cancelled; null while PLACED.' })
  cancelledAt!: Date | null;
}

@ObjectType({ description: "A page of a member's points-mall orders, newest first." })
export class RewardOrderConnection {
  @Field(() => [RewardOrder], { description: 'The orders of this page.' })
  nodes!: RewardOrder[];

  @Field(() => PageInfo, { description: 'Where this page ends.' })
  pageInfo!: PageInfo;

  @Field(() => Int, { description: "Number of the member's orders." })
  totalCount!: number;
}
