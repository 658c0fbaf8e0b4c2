import { DEMO_PARTNERS, DEMO_PROGRAMS, type DemoWorld, shanghaiYear, shanghaiYearStart } from '@union/common';
import type { DataSource } from 'typeorm';

/** Fixed ids of the demo hospital program for 聊城 and of the demo policies, so docs and tests can name them. */
export const DEMO_HOSPITAL = {
  liaochengProgramId: 'e4000000-0000-4000-8000-000000000100',
  policies: {
    cityHospital: 'e4000000-0000-4000-8000-000000000001',
    cityOtherHospital: 'e4000000-0000-4000-8000-000000000002',
    liaochengHospital: 'e4000000-0000-4000-8000-000000000003',
    liaochengOtherHospital: 'e4000000-0000-4000-8000-000000000004',
  },
} as const;

/**
 * The demo hospital discount programs, valid this Asia/Shanghai year and the next:
 * - DEMO_PROGRAMS.hospital, sponsored by the city union (the fixtures' hospitalProgramId):
 *   聊城市人民医院 10% / 500 yuan per claim / 2,000 yuan per year, 聊城市第二人民医院 8% / 300 / 2,000;
 * - a 聊城市总工会 program for the same two hospitals (its members' nearest sponsor).
 * Rows that exist are left alone, so seeding twice changes nothing.
 */
export async function seedHospitalDemo(db: DataSource, world: DemoWorld): Promise<void> {
  const year = shanghaiYear(new Date());
  const validFrom = shanghaiYearStart(year);
  const validTo = shanghaiYearStart(year + 2);
  const programs = [
    { id: DEMO_PROGRAMS.hospital, name: `${year}-${year + 1}年职工就医优惠`, sponsor: world.organizations.cityUnionOrgId },
    { id: DEMO_HOSPITAL.liaochengProgramId, name: `聊城市总工会 ${year}-${year + 1}年会员就医优惠`, sponsor: world.organizations.liaochengOrgId },
  ];
  const policies = [
    {
      id: DEMO_HOSPITAL.policies.cityHospital,
      programId: DEMO_PROGRAMS.hospital,
      hospital: DEMO_PARTNERS.hospital,
      rate: 1000,
      perClaim: 50_000,
      annual: 200_000,
    },
    {
      id: DEMO_HOSPITAL.policies.cityOtherHospital,
      programId: DEMO_PROGRAMS.hospital,
      hospital: DEMO_PARTNERS.otherHospital,
      rate: 800,
      perClaim: 30_000,
      annual: 200_000,
    },
    {
      id: DEMO_HOSPITAL.policies.liaochengHospital,
      programId: DEMO_HOSPITAL.liaochengProgramId,
      hospital: DEMO_PARTNERS.hospital,
      rate: 1000,
      perClaim: 50_000,
      annual: 200_000,
    },
    {
      id: DEMO_HOSPITAL.policies.liaochengOtherHospital,
      programId: DEMO_HOSPITAL.liaochengProgramId,
      hospital: DEMO_PARTNERS.otherHospital,
      rate: 800,
      perClaim: 30_000,
      annual: 200_000,
    },
  ];
  await db.transaction(async (tx) => {
    for (const program of programs) {
      await tx.query(
        `INSERT INTO benefit_programs (id, name, kind, sponsor_organization_id, valid_from, valid_to)
         VALUES ($1, $2, 'HOSPITAL_DISCOUNT', $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
        [program.id, program.name, program.sponsor, validFrom, validTo],
      );
    }
    for (const policy of policies) {
      await tx.query(
        `INSERT INTO hospital_discount_policies (id, program_id, hospital_partner_id, hospital_name, rate_basis_points, per_claim_cap_fen,
                                                 annual_cap_fen, valid_from, valid_to)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
        [policy.id, policy.programId, policy.hospital.id, policy.hospital.name, policy.rate, policy.perClaim, policy.annual, validFrom, validTo],
      );
    }
  });
}
