import { RequireScopes } from '@union/common';
import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { BenefitContext } from '../../context';
import type { BenefitProgramEntity } from './program.entity';
import { CreateBenefitProgramInput } from './program.inputs';
import { createProgram } from './program.service';
import { BenefitProgram, OrganizationReference } from './program.types';

@Resolver(() => BenefitProgram)
export class ProgramResolver {
  @Mutation(() => BenefitProgram, { description: 'UNION with benefit:manage: a new program sponsored by an organization of its subtree.' })
  @RequireScopes(['benefit:manage'])
  createBenefitProgram(
    @Arg('input', () => CreateBenefitProgramInput, { description: 'The program.' }) input: CreateBenefitProgramInput,
    @Ctx() ctx: BenefitContext,
  ): Promise<BenefitProgramEntity> {
    return createProgram(ctx, input);
  }

  @FieldResolver(() => OrganizationReference, { description: "The union that funds it; its subtree's members are eligible." })
  sponsor(@Root() program: BenefitProgramEntity): OrganizationReference {
    return { id: program.sponsorOrganizationId };
  }
}
