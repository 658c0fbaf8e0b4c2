import { DEMO_PARTNERS, DEMO_PROGRAMS, type DemoWorld } from '@union/common';
import type { DataSource } from 'typeorm';
import type { VoucherKind } from '../modules/batch/batch.entity';

/** Fixed batch ids, so the README, the examples and the tests can name them. */
export const DEMO_VOUCHER_BATCHES = {
  travelRide: 'c0000000-0000-4000-8000-000000000001',
  travelHotel: 'c0000000-0000-4000-8000-000000000002',
  travelFlight: 'c0000000-0000-4000-8000-000000000003',
  welfareMovie: 'c0000000-0000-4000-8000-000000000011',
  welfareSwimming: 'c0000000-0000-4000-8000-000000000012',
  welfareRecuperation: 'c0000000-0000-4000-8000-000000000013',
  welfareMeal: 'c0000000-0000-4000-8000-000000000014',
  welfareHealthCheck: 'c0000000-0000-4000-8000-000000000015',
} as const;

interface DemoBatch {
  id: string;
  programId: string;
  name: string;
  kind: VoucherKind;
  faceValueFen: number;
  minSpendFen: number;
  totalQuantity: number;
  perMemberLimit: number;
  realNameVerifiedOnly: boolean;
  partnerId: string;
  validDaysAfterClaim: number | null;
}

const travel = (b: Omit<DemoBatch, 'programId' | 'partnerId'>): DemoBatch => ({
  ...b,
  programId: DEMO_PROGRAMS.travelCard,
  partnerId: DEMO_PARTNERS.travelPartner.id,
});
const welfare = (b: Omit<DemoBatch, 'programId' | 'partnerId'>): DemoBatch => ({
  ...b,
  programId: DEMO_PROGRAMS.welfare,
  partnerId: DEMO_PARTNERS.merchant.id,
});

export const DEMO_BATCHES: DemoBatch[] = [
  travel({
    id: DEMO_VOUCHER_BATCHES.travelRide,
    name: '工会卡 打车券 20元',
    kind: 'RIDE',
    faceValueFen: 2000,
    minSpendFen: 0,
    totalQuantity: 5000,
    perMemberLimit: 5,
    realNameVerifiedOnly: false,
    validDaysAfterClaim: 30,
  }),
  travel({
    id: DEMO_VOUCHER_BATCHES.travelHotel,
    name: '工会卡 酒店券 100元',
    kind: 'HOTEL',
    faceValueFen: 10000,
    minSpendFen: 30000,
    totalQuantity: 2000,
    perMemberLimit: 2,
    realNameVerifiedOnly: false,
    validDaysAfterClaim: null,
  }),
  travel({
    id: DEMO_VOUCHER_BATCHES.travelFlight,
    name: '工会卡 机票券 200元',
    kind: 'FLIGHT',
    faceValueFen: 20000,
    minSpendFen: 100000,
    totalQuantity: 1000,
    perMemberLimit: 1,
    realNameVerifiedOnly: false,
    validDaysAfterClaim: null,
  }),
  welfare({
    id: DEMO_VOUCHER_BATCHES.welfareMovie,
    name: '职工观影券',
    kind: 'MOVIE',
    faceValueFen: 3500,
    minSpendFen: 0,
    totalQuantity: 5000,
    perMemberLimit: 2,
    realNameVerifiedOnly: false,
    validDaysAfterClaim: null,
  }),
  welfare({
    id: DEMO_VOUCHER_BATCHES.welfareSwimming,
    name: '职工游泳券',
    kind: 'SWIMMING',
    faceValueFen: 3000,
    minSpendFen: 0,
    totalQuantity: 2000,
    perMemberLimit: 2,
    realNameVerifiedOnly: false,
    validDaysAfterClaim: null,
  }),
  welfare({
    id: DEMO_VOUCHER_BATCHES.welfareRecuperation,
    name: '职工疗休养券',
    kind: 'RECUPERATION',
    faceValueFen: 200000,
    minSpendFen: 200000,
    totalQuantity: 300,
    perMemberLimit: 1,
    realNameVerifiedOnly: true,
    validDaysAfterClaim: null,
  }),
  welfare({
    id: DEMO_VOUCHER_BATCHES.welfareMeal,
    name: '职工餐券 20元',
    kind: 'MEAL',
    faceValueFen: 2000,
    minSpendFen: 0,
    totalQuantity: 1000,
    perMemberLimit: 3,
    realNameVerifiedOnly: false,
    validDaysAfterClaim: 90,
  }),
  welfare({
    id: DEMO_VOUCHER_BATCHES.welfareHealthCheck,
    name: '职工体检券',
    kind: 'HEALTH_CHECK',
    faceValueFen: 50000,
    minSpendFen: 0,
    totalQuantity: 120,
    perMemberLimit: 1,
    realNameVerifiedOnly: true,
    validDaysAfterClaim: null,
  }),
];

const DAY_MS = 86_400_000;

/**
 * The demo voucher programs and batches: the city union's travel card (ride, hotel, flight,
 * redeemable by the demo travel partner) and its welfare tickets (movie, swimming, recuperation,
 * meal, health check, redeemable by the demo merchant). Windows are relative to the day of
 * seeding, so claims are open whenever the demo is started. Rows that exist are left alone, so
 * seeding twice changes nothing.
 */
export async function seedVoucherDemo(db: DataSource, world: DemoWorld): Promise<void> {
  // Whole Asia/Shanghai-agnostic UTC days: two seeds on one day write identical windows.
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  const programFrom = new Date(today - 30 * DAY_MS);
  const programTo = new Date(today + 400 * DAY_MS);
  const claimStartsAt = new Date(today - DAY_MS);
  const claimEndsAt = new Date(today + 180 * DAY_MS);
  const validFrom = new Date(today - DAY_MS);
  const validTo = new Date(today + 365 * DAY_MS);
  const sponsor = world.organizations.cityUnionOrgId;
  const creator = DEMO_PARTNERS.cityUnion.id;

  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO benefit_programs (id, name, kind, sponsor_organization_id, valid_from, valid_to, created_by_partner_id)
       VALUES ($1, '广州市总工会 工会卡(同程)', 'TRAVEL_CARD', $3, $4, $5, $6),
              ($2, '广州市总工会 职工普惠福利券', 'WELFARE_VOUCHER', $3, $4, $5, $6)
       ON CONFLICT (id) DO NOTHING`,
      [DEMO_PROGRAMS.travelCard, DEMO_PROGRAMS.welfare, sponsor, programFrom, programTo, creator],
    );
    for (const batch of DEMO_BATCHES) {
      await tx.query(
        `INSERT INTO voucher_batches (id, program_id, name, voucher_kind, face_value_fen, min_spend_fen, total_quantity, per_member_limit,
                                      claim_starts_at, claim_ends_at, valid_from, valid_to, valid_days_after_claim, real_name_verified_only, created_by_partner_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (id) DO NOTHING`,
        [
          batch.id,
          batch.programId,
          batch.name,
          batch.kind,
          batch.faceValueFen,
          batch.minSpendFen,
          batch.totalQuantity,
          batch.perMemberLimit,
          claimStartsAt,
          claimEndsAt,
          validFrom,
          validTo,
          batch.validDaysAfterClaim,
          batch.realNameVerifiedOnly,
          creator,
        ],
      );
      await tx.query(`INSERT INTO voucher_batch_partners (batch_id, partner_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [batch.id, batch.partnerId]);
    }
  });
}
