import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '@union/common';
import type { PointsRule as Rule, PointsTransactionKind as Kind } from './points.entity';

export enum PointsRule {
  READ_ARTICLE = 'READ_ARTICLE',
  DAILY_SIGN_IN = 'DAILY_SIGN_IN',
  REAL_NAME_VERIFIED = 'REAL_NAME_VERIFIED',
  ACTIVITY = 'ACTIVITY',
}
registerEnumType(PointsRule, {
  name: 'PointsRule',
  description: 'Why points were earned; each rule fixes the amount and its limits.',
  valuesConfig: {
    READ_ARTICLE: { description: '5 points per article, at most 20 points per member per day' },
    DAILY_SIGN_IN: { description: '2 points, once per member per day' },
    REAL_NAME_VERIFIED: { description: '100 points, once per member ever' },
    ACTIVITY: { description: 'Amount set by the awarding union (1..1000)' },
  },
});

export enum PointsTransactionKind {
  EARN = 'EARN',
  SPEND = 'SPEND',
  EXPIRE = 'EXPIRE',
  REVERSAL = 'REVERSAL',
}
registerEnumType(PointsTransactionKind, {
  name: 'PointsTransactionKind',
  description: 'What a ledger line did to the balance.',
  valuesConfig: {
    EARN: { description: 'Points earned under a rule.' },
    SPEND: { description: 'Points spent in the points mall.' },
    EXPIRE: { description: 'Earned points that reached their expiry date unspent.' },
    REVERSAL: { description: 'A spend given back (a cancelled reward order).' },
  },
});

@ObjectType({ description: "One immutable line of a member's points ledger." })
export class PointsTransaction {
  @Field(() => ID, { description: 'Transaction id.' })
  id!: string;

  @Field(() => PointsTransactionKind, { description: 'What the line did.' })
  kind!: Kind;

  @Field(() => Int, { description: 'Positive for EARN and REVERSAL of a spend, negative for SPEND and EXPIRE.' })
  amount!: number;

  @Field(() => Int, { description: 'The balance right after this line.' })
  balanceAfter!: number;

  @Field(() => PointsRule, { nullable: true, description: 'For EARN: the rule it was earned under.' })
  rule!: Rule | null;

  @Field(() => String, {
    nullable: true,
    description: "For EARN: the awarding partner's reference (article id, activity id ...). For SPEND and REVERSAL: reward-order:<order id>.",
  })
  sourceRef!: string | null;

  @Field(() => Date, { description: 'When the line was written.' })
  createdAt!: Date;
}

@ObjectType({ description: 'A page of points transactions, newest first.' })
export class PointsTransactionConnection {
  @Field(() => [PointsTransaction], { description: 'The transactions of this page.' })
  nodes!: PointsTransaction[];

  @Field(() => PageInfo, { description: 'Where this page ends.' })
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'Number of transactions in the whole ledger.' })
  totalCount!: number;
}

@ObjectType({ description: "A member's points account: the balance is always the sum of its transactions." })
export class PointsAccount {
  @Field(() => Int, { description: 'Points available to spend.' })
  balance!: number;

  @Field(() => Int, { description: 'All points ever earned.' })
  lifetimeEarned!: number;

  /** Carried for the transactions field resolver. */
  memberId!: string;
}
