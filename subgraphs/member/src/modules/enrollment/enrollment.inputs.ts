import { Field, ID, InputType } from 'type-graphql';

@InputType({ description: 'A worker joining a union (扫码入会): personal data is checked before anything is stored.' })
export class EnrollMemberInput {
  @Field(() => ID, { description: "The organization the worker joins; must be in the caller's subtree." })
  organizationId!: string;

  @Field({ description: 'Full name as on the resident ID card, 1 to 50 characters.' })
  fullName!: string;

  @Field({ description: '18-character PRC resident ID number with a valid check digit; stored only as a keyed hash plus last 4.' })
  idNumber!: string;

  @Field({ description: 'Mainland mobile number, 11 digits starting with 1 (e.g. 13812345678).' })
  phone!: string;

  @Field(() => Boolean, { nullable: true, defaultValue: false, description: '新就业形态劳动者 (courier, ride-hailing or delivery driver ...).' })
  newEmploymentForm?: boolean | null;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description:
      "The union asserts it has verified the worker's real name (in person or through a verified channel). Needs scope member:assert-verified; without it, true is refused with FORBIDDEN. Members enrolled without this start unverified.",
  })
  realNameVerified?: boolean | null;
}
