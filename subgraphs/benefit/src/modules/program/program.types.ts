import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import type { BenefitKind as Kind } from './program.entity';

export enum BenefitKind {
  HOSPITAL_DISCOUNT = 'HOSPITAL_DISCOUNT',
  TRAVEL_CARD = 'TRAVEL_CARD',
  WELFARE_VOUCHER = 'WELFARE_VOUCHER',
}
registerEnumType(BenefitKind, {
  name: 'BenefitKind',
  description: 'What a benefit program gives its members.',
  valuesConfig: {
    HOSPITAL_DISCOUNT: { description: "A percentage off the self-paid part of hospital bills, at the program's partner hospitals." },
    TRAVEL_CARD: { description: 'A union travel card (工会卡): ride, hotel and flight vouchers redeemed by travel partners.' },
    WELFARE_VOUCHER: { description: 'Limited welfare vouchers (movie, swimming, meal ... tickets) redeemed by merchants.' },
  },
});

/** The member subgraph owns organizations; here they are only referenced by id. */
@ObjectType('UnionOrganization', { description: 'A union organization (owned by the member subgraph).' })
@Directive('@key(fields: "id", resolvable: false)')
export class OrganizationReference {
  @Field(() => ID, { description: 'Organization id.' })
  id!: string;
}

@ObjectType({ description: 'A benefit funded by a union for the members of its subtree.' })
@Directive('@key(fields: "id")')
export class BenefitProgram {
  @Field(() => ID, { description: 'Program id.' })
  id!: string;

  @Field({ description: 'Program name, e.g. 2026年职工就医优惠.' })
  name!: string;

  @Field(() => BenefitKind, { description: 'What the program gives.' })
  kind!: Kind;

  @Field(() => Date, { description: 'Start of the program.' })
  validFrom!: Date;

  @Field(() => Date, { description: 'End of the program (exclusive).' })
  validTo!: Date;
}
