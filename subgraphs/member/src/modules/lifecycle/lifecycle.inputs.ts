import { Field, InputType } from 'type-graphql';

@InputType({ description: 'Member data a union may change. Fields left out (or null) stay as they are.' })
export class UpdateMemberInput {
  @Field(() => String, { nullable: true, description: 'Mainland mobile number, 11 digits starting with 1 (e.g. 13812345678).' })
  phone?: string | null;

  @Field(() => Boolean, { nullable: true, description: '新就业形态劳动者 (courier, ride-hailing or delivery driver ...).' })
  newEmploymentForm?: boolean | null;
}
