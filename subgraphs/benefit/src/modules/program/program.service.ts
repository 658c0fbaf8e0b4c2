import { randomUUID } from 'node:crypto';
import { inUnionSubtree, isUuid } from '@union/common';
import type { BenefitContext } from '../../context';
import { BenefitErrors } from '../../errors';
import { BenefitProgramEntity } from './program.entity';
import type { CreateBenefitProgramInput } from './program.inputs';

/** A UNION caller may manage programs only for organizations in its own subtree. */
export async function assertSponsorInCallerSubtree(ctx: BenefitContext, organizationId: string): Promise<void> {
  const organization = isUuid(organizationId) ? await ctx.directory.organizations.load(organizationId) : null;
  if (!organization) throw BenefitErrors.notFound('organization');
  if (!inUnionSubtree(ctx.principal, organization.chain)) throw BenefitErrors.outsideSubtree();
}

export async function createProgram(ctx: BenefitContext, input: CreateBenefitProgramInput): Promise<BenefitProgramEntity> {
  const name = input.name.trim();
  if (name.length < 1 || name.length > 200) throw BenefitErrors.badInput('name must have 1 to 200 characters', 'input.name');
  if (input.validTo.getTime() <= input.validFrom.getTime()) throw BenefitErrors.badInput('validTo must be after validFrom', 'input.validTo');
  await assertSponsorInCallerSubtree(ctx, input.sponsorOrganizationId);
  const program = Object.assign(new BenefitProgramEntity(), {
    id: randomUUID(),
    name,
    kind: input.kind,
    sponsorOrganizationId: input.sponsorOrganizationId,
    validFrom: input.validFrom,
    validTo: input.validTo,
    createdByPartnerId: ctx.principal.id,
  });
  await ctx.db.getRepository(BenefitProgramEntity).insert(program);
  return program;
}

/** Programs are visible to their sponsor's union chain and subtree, to PLATFORM, and to partners through their own records. */
export async function loadProgram(ctx: BenefitContext, id: string): Promise<BenefitProgramEntity | null> {
  return isUuid(id) ? ctx.loaders.programById.load(id) : null;
}
