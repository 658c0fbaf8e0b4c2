import type { PartnerKind } from './principal';

/**
 * Fixed ids of the demo world, so that the README, the examples and the tests can name them.
 * Organization and member ids come from the deterministic generator in the member subgraph;
 * client secrets are random per installation (written to .data/demo-credentials.json).
 */
export const DEMO_PARTNERS = {
  hospital: { id: 'a0000000-0000-4000-8000-000000000001', name: '聊城市人民医院', kind: 'HOSPITAL' },
  otherHospital: { id: 'a0000000-0000-4000-8000-000000000002', name: '聊城市第二人民医院', kind: 'HOSPITAL' },
  travelPartner: { id: 'a0000000-0000-4000-8000-000000000003', name: '同程旅行工会卡', kind: 'TRAVEL_PARTNER' },
  merchant: { id: 'a0000000-0000-4000-8000-000000000004', name: '广州职工福利影城', kind: 'MERCHANT' },
  cityUnion: { id: 'a0000000-0000-4000-8000-000000000005', name: '广州市总工会', kind: 'UNION' },
  districtUnion: { id: 'a0000000-0000-4000-8000-000000000006', name: '天河区总工会', kind: 'UNION' },
  siblingDistrictUnion: { id: 'a0000000-0000-4000-8000-000000000007', name: '越秀区总工会', kind: 'UNION' },
  platform: { id: 'a0000000-0000-4000-8000-000000000008', name: '粤工惠平台', kind: 'PLATFORM' },
} as const satisfies Record<string, { id: string; name: string; kind: PartnerKind }>;

export type DemoPartnerKey = keyof typeof DEMO_PARTNERS;

export const DEMO_PROGRAMS = {
  hospital: 'b0000000-0000-4000-8000-000000000001',
  travelCard: 'b0000000-0000-4000-8000-000000000002',
  welfare: 'b0000000-0000-4000-8000-000000000003',
} as const;

/** What the demo seed creates and a partner needs to try the API. */
export interface DemoFixtures {
  partners: Record<DemoPartnerKey, { id: string; clientId: string; clientSecret: string; organizationId?: string }>;
  members: DemoMemberRef[];
  hospitalProgramId: string;
  travelCardProgramId: string;
  welfareProgramId: string;
}

/** The shape of .data/demo-credentials.json (shared/contract/demo-fixtures.md). */
export interface DemoCredentials extends DemoFixtures {
  gatewayUrl: string;
  tokenUrl: string;
}

export interface DemoMemberRef {
  id: string;
  cardNumber: string;
  fullName: string;
  organizationId: string;
}

/**
 * What the seed orchestrator (scripts/src/seed.ts) hands every service's demo seed: the demo
 * organization tree's landmarks and the fixture members, all generated deterministically.
 */
export interface DemoWorld {
  organizations: {
    provinceId: string;
    cityUnionOrgId: string;
    districtUnionOrgId: string;
    siblingDistrictUnionOrgId: string;
    liaochengOrgId: string;
  };
  /** ACTIVE, real-name verified members inside districtUnion's subtree. */
  districtMembers: DemoMemberRef[];
  /** ACTIVE, real-name verified members inside siblingDistrictUnion's subtree. */
  siblingDistrictMembers: DemoMemberRef[];
  /** Every generated member id (for seeding points and vouchers at some scale). */
  allMemberIds: string[];
}
