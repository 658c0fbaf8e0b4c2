import { randomUUID } from 'node:crypto';
import { inUnionSubtree, isUuid } from '@union/common';
import type { BenefitContext } from '../../context';
import { BenefitErrors } from '../../errors';
import { type BenefitKind, BenefitProgramEntity } from './program.entity';
import type { CreateBenefitProgramInput } from './program.inputs';

/** A UNION caller may manage programs only for organizations in its own subtree. */
export async function assertSponsorInCallerSubtree(ctx: BenefitContext, organizationId: string): Promise<void> {
  const organization = isUuid(organizationId) ? await ctx.directory.organizations.load(organizationId) : null;
  if (!organization) throw BenefitErrors.notFound('organization');
  if (!inUnionSubtree(ctx.principal, organization.chain)) throw BenefitErrors.outsideSubtree();
}

/**
 * Programs of these kinds sponsored inside the UNION caller's subtree (what a union reconciles);
 * none for other callers. One statement and one batched call for the sponsors' chains.
 */
export async function programIdsSponsoredInSubtree(ctx: BenefitContext, kinds: BenefitKind[]): Promise<string[]> {
  if (ctx.principal.kind !== 'UNION') return [];
  const programs: Array<{ id: string; sponsor: string }> = await ctx.db.query(
    `SELECT id, sponsor_organization_id AS sponsor FROM benefit_programs WHERE kind = ANY($1::text[])`,
    [kinds],
  );
  const sponsors = [...new Set(programs.map((p) => p.sponsor))];
  const facts = await ctx.directory.organizations.loadMany(sponsors);
  const inSubtree = new Set(
    sponsors.filter((_, i) => {
      const organization = facts[i];
      return organization && !(organization instanceof Error) && inUnionSubtree(ctx.principal, organization.chain);
    }),
  );
  return programs.filter((p) => inSubtree.has(p.sponsor)).map((p) => p.id);
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

/** Programs (names, kinds, windows) are offers, not personal data: any caller that was handed an id may read one. */
export async function loadProgram(ctx: BenefitContext, id: string): Promise<BenefitProgramEntity | null> {
  return isUuid(id) ? ctx.loaders.programById.load(id) : null;
}
