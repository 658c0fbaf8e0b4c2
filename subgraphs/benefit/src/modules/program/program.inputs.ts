import { Field, ID, InputType } from 'type-graphql';
import { BenefitKind } from './program.types';

@InputType({ description: "A new benefit program, sponsored by an organization of the caller's subtree." })
export class CreateBenefitProgramInput {
  @Field({ description: 'Program name (1-200 characters).' })
  name!: string;

  @Field(() => BenefitKind, { description: 'What the program gives.' })
  kind!: BenefitKind;

  @Field(() => ID, { description: "Must be in the caller's subtree." })
  sponsorOrganizationId!: string;

  @Field(() => Date, { description: 'Start of the program.' })
  validFrom!: Date;

  @Field(() => Date, { description: 'End of the program (exclusive); after validFrom.' })
  validTo!: Date;
}
