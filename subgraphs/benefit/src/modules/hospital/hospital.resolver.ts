import { RequireScopes } from '@union/common';
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { BenefitContext } from '../../context';
import { MemberBenefits } from '../member/member.types';
import type { BenefitProgramEntity } from '../program/program.entity';
import { BenefitProgram } from '../program/program.types';
import { closePolicy, createPolicy, updatePolicy } from './hospital-policy.service';
import type { DiscountClaimEntity, HospitalDiscountPolicyEntity } from './hospital.entity';
import { ApplyHospitalDiscountInput, CreateHospitalDiscountPolicyInput, UpdateHospitalDiscountPolicyInput } from './hospital.inputs';
import { aggregateClaims, type ClaimAggregate, type DiscountClaimPage, listClaims, type SettlementOutcome, settlementStatement } from './hospital.reconcile';
import { applyDiscount, type DiscountQuoteResult, quoteDiscount, voidClaim } from './hospital.service';
import { DiscountClaim, DiscountClaimConnection, DiscountClaimTotals, DiscountQuote, HospitalDiscountPolicy, HospitalSettlement } from './hospital.types';

@Resolver(() => DiscountClaim)
export class DiscountClaimResolver {
  @Mutation(() => DiscountQuote, { description: 'Same policy choice as applyHospitalDiscount. Writes nothing; a used-up annual cap quotes 0.' })
  @RequireScopes(['discount:apply'])
  quoteHospitalDiscount(
    @Arg('verificationId', () => ID, { description: 'From verifyMemberCard / verifyMemberByCardNumber (purpose HOSPITAL_DISCOUNT) by this hospital.' })
    verificationId: string,
    @Arg('selfPaidFen', () => Int, { description: 'The self-paid part after medical insurance, in fen (1 .. 1,000,000,000).' }) selfPaidFen: number,
    @Arg('programId', () => ID, { nullable: true, description: 'Optional: the program whose policy applies (see ApplyHospitalDiscountInput.programId).' })
    programId: string | null,
    @Ctx() ctx: BenefitContext,
  ): Promise<DiscountQuoteResult> {
    return quoteDiscount(ctx, verificationId, selfPaidFen, programId);
  }

  @Mutation(() => DiscountClaim, {
    description:
      'HOSPITAL with discount:apply: discount = min(floor(selfPaid x rate), perClaimCap, remaining annual cap). Idempotent on (hospital, invoiceNumber).',
  })
  @RequireScopes(['discount:apply'])
  applyHospitalDiscount(
    @Arg('input', () => ApplyHospitalDiscountInput, { description: 'The claim.' }) input: ApplyHospitalDiscountInput,
    @Ctx() ctx: BenefitContext,
  ): Promise<DiscountClaimEntity> {
    return applyDiscount(ctx, input);
  }

  @Mutation(() => DiscountClaim, { description: 'The hospital that made it, e.g. when a settlement is revoked. Gives the annual cap back. Idempotent.' })
  @RequireScopes(['discount:apply'])
  voidDiscountClaim(
    @Arg('claimId', () => ID, { description: 'The claim to void.' }) claimId: string,
    @Arg('reason', { description: 'Why (1-500 characters), e.g. 医保结算撤销.' }) reason: string,
    @Ctx() ctx: BenefitContext,
  ): Promise<DiscountClaimEntity> {
    return voidClaim(ctx, claimId, reason);
  }

  @Query(() => DiscountClaimConnection, {
    description: 'Hospital reconciliation (a HOSPITAL sees its own claims; a UNION those of programs it sponsors). Oldest first, with totals.',
  })
  @RequireScopes(['reconcile:read'])
  discountClaims(
    @Arg('from', () => Date, { description: 'Claims created at or after this instant.' }) from: Date,
    @Arg('to', () => Date, { description: 'Claims created before this instant.' }) to: Date,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20, description: 'Page size, at most 100.' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after: string | null,
    @Ctx() ctx: BenefitContext,
  ): Promise<DiscountClaimPage> {
    return listClaims(ctx, from, to, first, after);
  }

  @Query(() => String, {
    description:
      'Monthly settlement statement (CSV, UTF-8 with BOM, CRLF) of one hospital: a CLAIM line per APPLIED claim of the Asia/Shanghai month and a TOTAL line. HOSPITAL: its own; UNION: names the hospital, claims of programs sponsored in its subtree.',
  })
  @RequireScopes(['reconcile:read'])
  async hospitalSettlementStatement(
    @Arg('month', { description: 'YYYY-MM, Asia/Shanghai calendar.' }) month: string,
    @Arg('hospitalPartnerId', () => ID, { nullable: true, description: 'UNION callers: the hospital. HOSPITAL callers: omit (or their own id).' })
    hospitalPartnerId: string | null,
    @Arg('programId', () => ID, { nullable: true, description: 'Only claims of this program.' }) programId: string | null,
    @Ctx() ctx: BenefitContext,
  ): Promise<string> {
    return (await settlementStatement(ctx, month, hospitalPartnerId, programId)).csv;
  }

  @Query(() => HospitalSettlement, {
    description:
      'Monthly settlement of one hospital with its totals, row count and SHA-256: the same CSV as hospitalSettlementStatement (UTF-8 with BOM). HOSPITAL: its own; UNION: names the hospital, claims of programs sponsored in its subtree.',
  })
  @RequireScopes(['reconcile:read'])
  hospitalSettlement(
    @Arg('month', { description: 'YYYY-MM, Asia/Shanghai calendar.' }) month: string,
    @Arg('hospitalPartnerId', () => ID, { nullable: true, description: 'UNION callers: the hospital. HOSPITAL callers: omit (or their own id).' })
    hospitalPartnerId: string | null,
    @Arg('programId', () => ID, { nullable: true, description: 'Only claims of this program.' }) programId: string | null,
    @Ctx() ctx: BenefitContext,
  ): Promise<SettlementOutcome> {
    return settlementStatement(ctx, month, hospitalPartnerId, programId);
  }

  @FieldResolver(() => MemberBenefits, { description: 'The member, masked (resolved by the member subgraph).' })
  member(@Root() claim: DiscountClaimEntity): MemberBenefits {
    return { id: claim.memberId };
  }

  @FieldResolver(() => HospitalDiscountPolicy, { description: 'The policy the discount was computed with (its current terms; the claim keeps its amounts).' })
  async policy(@Root() claim: DiscountClaimEntity, @Ctx() ctx: BenefitContext): Promise<HospitalDiscountPolicyEntity> {
    return (await ctx.loaders.policyById.load(claim.policyId))!;
  }
}

@Resolver(() => HospitalDiscountPolicy)
export class HospitalPolicyResolver {
  @Mutation(() => HospitalDiscountPolicy, {
    description: 'UNION with benefit:manage over the program sponsor: the terms of one hospital in a HOSPITAL_DISCOUNT program (one open policy per hospital).',
  })
  @RequireScopes(['benefit:manage'])
  createHospitalDiscountPolicy(
    @Arg('input', () => CreateHospitalDiscountPolicyInput, { description: 'The policy.' }) input: CreateHospitalDiscountPolicyInput,
    @Ctx() ctx: BenefitContext,
  ): Promise<HospitalDiscountPolicyEntity> {
    return createPolicy(ctx, input);
  }

  @Mutation(() => HospitalDiscountPolicy, { description: 'UNION with benefit:manage: change an open policy; applies to claims made from now on.' })
  @RequireScopes(['benefit:manage'])
  updateHospitalDiscountPolicy(
    @Arg('policyId', () => ID, { description: 'The policy.' }) policyId: string,
    @Arg('input', () => UpdateHospitalDiscountPolicyInput, { description: 'The changes.' }) input: UpdateHospitalDiscountPolicyInput,
    @Ctx() ctx: BenefitContext,
  ): Promise<HospitalDiscountPolicyEntity> {
    return updatePolicy(ctx, policyId, input);
  }

  @Mutation(() => HospitalDiscountPolicy, { description: 'UNION with benefit:manage: no more claims under this policy. Idempotent.' })
  @RequireScopes(['benefit:manage'])
  closeHospitalDiscountPolicy(
    @Arg('policyId', () => ID, { description: 'The policy.' }) policyId: string,
    @Ctx() ctx: BenefitContext,
  ): Promise<HospitalDiscountPolicyEntity> {
    return closePolicy(ctx, policyId);
  }

  @FieldResolver(() => BenefitProgram, { description: 'The HOSPITAL_DISCOUNT program the policy belongs to.' })
  async program(@Root() policy: HospitalDiscountPolicyEntity, @Ctx() ctx: BenefitContext): Promise<BenefitProgramEntity> {
    return (await ctx.loaders.programById.load(policy.programId))!;
  }
}

@Resolver(() => BenefitProgram)
export class HospitalProgramResolver {
  @FieldResolver(() => [HospitalDiscountPolicy], { description: 'HOSPITAL_DISCOUNT programs: the hospitals and their terms (closed ones only on request).' })
  async hospitalDiscountPolicies(
    @Root() program: BenefitProgramEntity,
    @Arg('includeClosed', { defaultValue: false, description: 'Also list closed policies.' }) includeClosed: boolean,
    @Ctx() ctx: BenefitContext,
  ): Promise<HospitalDiscountPolicyEntity[]> {
    const policies = await ctx.loaders.policiesByProgramId.load(program.id);
    return includeClosed ? policies : policies.filter((p) => !p.closedAt);
  }
}

@Resolver(() => DiscountClaimConnection)
export class DiscountClaimConnectionResolver {
  @FieldResolver(() => Int, { description: 'Number of claims (APPLIED and VOIDED) in the whole period.' })
  async totalCount(@Root() page: DiscountClaimPage, @Ctx() ctx: BenefitContext): Promise<number> {
    return (await aggregateClaims(ctx, page)).totalCount;
  }

  @FieldResolver(() => DiscountClaimTotals, { description: 'Sums over the whole period, for reconciliation.' })
  totals(@Root() page: DiscountClaimPage, @Ctx() ctx: BenefitContext): Promise<ClaimAggregate> {
    return aggregateClaims(ctx, page);
  }
}
