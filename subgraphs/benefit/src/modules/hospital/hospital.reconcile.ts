import { csvDocument, inUnionSubtree, isUuid, type Page, pageOf, pageSize } from '@union/common';
import type { BenefitContext } from '../../context';
import { graphqlInt, shanghaiMonth, shanghaiWallClock } from '../../statements';
import { programIdsSponsoredInSubtree } from '../program/program.service';
import { CLAIM_COLUMNS, claimFromRow, type DiscountClaimEntity } from './hospital.entity';
import { HospitalErrors } from './hospital.errors';

/** A statement is one GraphQL string; a month beyond this is read page by page through discountClaims. */
export const STATEMENT_MAX_ROWS = 20_000;

/** Which claims a caller reconciles: a hospital its own, a union those of the programs sponsored in its subtree. */
export type ClaimScope = { kind: 'hospital'; hospitalId: string } | { kind: 'union'; programIds: string[] };

export async function claimScope(ctx: BenefitContext): Promise<ClaimScope> {
  if (ctx.principal.kind === 'HOSPITAL') return { kind: 'hospital', hospitalId: ctx.principal.id };
  if (ctx.principal.kind === 'UNION') return { kind: 'union', programIds: await programIdsSponsoredInSubtree(ctx, ['HOSPITAL_DISCOUNT']) };
  throw HospitalErrors.forbidden('discount claims are reconciled by the hospital that made them and by the sponsoring union');
}

/** May the caller see this claim at all (reference resolution)? */
export async function canSeeClaim(ctx: BenefitContext, claim: DiscountClaimEntity): Promise<boolean> {
  if (ctx.principal.kind === 'HOSPITAL') return claim.hospitalPartnerId === ctx.principal.id;
  if (ctx.principal.kind !== 'UNION') return false;
  const program = await ctx.loaders.programById.load(claim.programId);
  const sponsor = program ? await ctx.directory.organizations.load(program.sponsorOrganizationId) : null;
  return !!sponsor && inUnionSubtree(ctx.principal, sponsor.chain);
}

function scopeCondition(scope: ClaimScope, param: number): { sql: string; value: unknown } {
  return scope.kind === 'hospital'
    ? { sql: `c.hospital_partner_id = $${param}`, value: scope.hospitalId }
    : { sql: `c.program_id = ANY($${param}::uuid[])`, value: scope.programIds };
}

export interface DiscountClaimPage extends Page<DiscountClaimEntity> {
  scope: ClaimScope;
  from: Date;
  to: Date;
  /** One aggregate query answers both totalCount and totals, and only if selected. */
  aggregate?: Promise<ClaimAggregate>;
}

export interface ClaimAggregate {
  totalCount: number;
  appliedCount: number;
  selfPaidFen: number;
  discountFen: number;
  payableFen: number;
  voidedCount: number;
}

export async function listClaims(
  ctx: BenefitContext,
  from: Date,
  to: Date,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<DiscountClaimPage> {
  const limit = pageSize(first);
  if (to.getTime() <= from.getTime()) throw HospitalErrors.badInput('to must be after from', 'to');
  const scope = await claimScope(ctx);
  const listName = `discount-claims:${ctx.principal.kind}:${ctx.principal.id}:${from.toISOString()}:${to.toISOString()}`;
  const position = ctx.cursors.decode<[string, string]>(listName, after);
  const condition = scopeCondition(scope, 1);
  const rows: Array<Record<string, unknown>> = await ctx.db.query(
    `SELECT ${CLAIM_COLUMNS}, c.created_at::text AS cursor_key
       FROM discount_claims c
      WHERE ${condition.sql} AND c.created_at >= $2 AND c.created_at < $3
        AND ($4::timestamptz IS NULL OR (c.created_at, c.id) > ($4::timestamptz, $5::uuid))
      ORDER BY c.created_at, c.id
      LIMIT $6`,
    [condition.value, from, to, position?.[0] ?? null, position?.[1] ?? null, limit + 1],
  );
  return {
    ...pageOf(rows.map(claimFromRow), limit, (last) => ctx.cursors.encode(listName, [last.cursorKey, last.id])),
    scope,
    from,
    to,
  };
}

export function aggregateClaims(ctx: BenefitContext, page: DiscountClaimPage): Promise<ClaimAggregate> {
  page.aggregate ??= (async () => {
    const condition = scopeCondition(page.scope, 1);
    const [row]: Array<Record<string, string>> = await ctx.db.query(
      `SELECT count(*) AS total_count,
              count(*) FILTER (WHERE c.status = 'APPLIED') AS applied_count,
              coalesce(sum(c.self_paid_fen) FILTER (WHERE c.status = 'APPLIED'), 0) AS self_paid_fen,
              coalesce(sum(c.discount_fen) FILTER (WHERE c.status = 'APPLIED'), 0) AS discount_fen,
              coalesce(sum(c.payable_fen) FILTER (WHERE c.status = 'APPLIED'), 0) AS payable_fen,
              count(*) FILTER (WHERE c.status = 'VOIDED') AS voided_count
         FROM discount_claims c
        WHERE ${condition.sql} AND c.created_at >= $2 AND c.created_at < $3`,
      [condition.value, page.from, page.to],
    );
    const toInt = (value: string) => graphqlInt(value, 'to', 'ask for a shorter period');
    return {
      totalCount: toInt(row.total_count),
      appliedCount: toInt(row.applied_count),
      selfPaidFen: toInt(row.self_paid_fen),
      discountFen: toInt(row.discount_fen),
      payableFen: toInt(row.payable_fen),
      voidedCount: toInt(row.voided_count),
    };
  })();
  return page.aggregate;
}

const STATEMENT_COLUMNS = [
  'record_type',
  'claim_id',
  'applied_at_shanghai',
  'hospital_partner_id',
  'hospital_name',
  'program_id',
  'program_name',
  'invoice_number',
  'member_id',
  'claim_count',
  'self_paid_fen',
  'rate_basis_points',
  'discount_fen',
  'payable_fen',
] as const;

export interface SettlementOutcome {
  month: string;
  hospitalPartnerId: string;
  hospitalName: string;
  programId: string | null;
  claimCount: number;
  selfPaidFen: number;
  discountFen: number;
  payableFen: number;
  rowCount: number;
  sha256: string;
  csv: string;
}

/**
 * The monthly settlement statement of one hospital (CSV, UTF-8 with BOM): one CLAIM line per claim
 * APPLIED (and not voided since) in the Asia/Shanghai month, then one TOTAL line whose sums are those
 * of the CLAIM lines. A HOSPITAL gets its own; a UNION names the hospital and gets the claims under
 * the programs sponsored in its subtree.
 */
export async function settlementStatement(
  ctx: BenefitContext,
  month: string,
  hospitalPartnerId: string | null | undefined,
  programId: string | null | undefined,
): Promise<SettlementOutcome> {
  const { start, end } = shanghaiMonth(month);
  let hospitalId: string;
  let programIds: string[] | null = null;
  if (ctx.principal.kind === 'HOSPITAL') {
    if (hospitalPartnerId != null && hospitalPartnerId !== ctx.principal.id) throw HospitalErrors.forbidden('a hospital reads only its own statement');
    hospitalId = ctx.principal.id;
  } else if (ctx.principal.kind === 'UNION') {
    if (hospitalPartnerId == null) throw HospitalErrors.badInput('a union names the hospital (hospitalPartnerId)', 'hospitalPartnerId');
    if (!isUuid(hospitalPartnerId)) throw HospitalErrors.notFound('hospital');
    hospitalId = hospitalPartnerId;
    programIds = ((await claimScope(ctx)) as { programIds: string[] }).programIds;
  } else {
    throw HospitalErrors.forbidden('settlement statements are for the hospital and the sponsoring union');
  }
  if (programId != null) {
    if (!isUuid(programId) || (programIds && !programIds.includes(programId))) throw HospitalErrors.notFound('program');
    programIds = [programId];
  }

  const rows: Array<Record<string, unknown>> = await ctx.db.query(
    `SELECT c.id, c.created_at, c.hospital_partner_id, p.hospital_name, c.program_id, bp.name AS program_name, c.invoice_number,
            c.member_id, c.self_paid_fen, c.rate_basis_points, c.discount_fen, c.payable_fen
       FROM discount_claims c
       JOIN hospital_discount_policies p ON p.id = c.policy_id
       JOIN benefit_programs bp ON bp.id = c.program_id
      WHERE c.hospital_partner_id = $1 AND c.status = 'APPLIED' AND c.created_at >= $2 AND c.created_at < $3
        AND ($4::uuid[] IS NULL OR c.program_id = ANY($4::uuid[]))
      ORDER BY c.created_at, c.id
      LIMIT $5`,
    [hospitalId, start, end, programIds, STATEMENT_MAX_ROWS + 1],
  );
  if (rows.length > STATEMENT_MAX_ROWS) {
    throw HospitalErrors.badInput(`more than ${STATEMENT_MAX_ROWS} claims in this month; name a programId or page through discountClaims`, 'month');
  }

  let selfPaid = 0n;
  let discount = 0n;
  let payable = 0n;
  const cells: Array<Array<string | number | null>> = rows.map((row) => {
    selfPaid += BigInt(row.self_paid_fen as string);
    discount += BigInt(row.discount_fen as string);
    payable += BigInt(row.payable_fen as string);
    return [
      'CLAIM',
      row.id as string,
      shanghaiWallClock(row.created_at as Date).replace('T', ' '),
      row.hospital_partner_id as string,
      row.hospital_name as string,
      row.program_id as string,
      row.program_name as string,
      row.invoice_number as string,
      row.member_id as string,
      1,
      String(row.self_paid_fen),
      Number(row.rate_basis_points),
      String(row.discount_fen),
      String(row.payable_fen),
    ];
  });
  let hospitalName = rows[0]?.hospital_name as string | undefined;
  if (hospitalName === undefined) {
    const named: Array<{ hospital_name: string }> = await ctx.db.query(
      `SELECT hospital_name FROM hospital_discount_policies WHERE hospital_partner_id = $1 ORDER BY created_at DESC LIMIT 1`,
      [hospitalId],
    );
    hospitalName = named[0]?.hospital_name ?? '';
  }
  cells.push([
    'TOTAL',
    '',
    month,
    hospitalId,
    hospitalName,
    programId ?? '',
    '',
    '',
    '',
    rows.length,
    selfPaid.toString(),
    '',
    discount.toString(),
    payable.toString(),
  ]);
  const document = csvDocument(STATEMENT_COLUMNS, cells);
  // Sums are checked only when selected: a month past the largest GraphQL Int still hands out its CSV.
  const sum = (value: bigint, column: string) => graphqlInt(value, 'month', `sum the ${column} column of the csv, or name a programId`);
  return {
    month,
    hospitalPartnerId: hospitalId,
    hospitalName,
    programId: programId ?? null,
    claimCount: rows.length,
    get selfPaidFen() {
      return sum(selfPaid, 'self_paid_fen');
    },
    get discountFen() {
      return sum(discount, 'discount_fen');
    },
    get payableFen() {
      return sum(payable, 'payable_fen');
    },
    ...document,
  };
}
