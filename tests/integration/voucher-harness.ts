import { type DemoWorld, type Principal } from '@union/common';
import type { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { seedVoucherDemo } from '../../subgraphs/benefit/src/seed/voucher-seed';
import {
  activeMembersUnder,
  codesOf,
  demoPartnerPrincipal as partner,
  type GraphQLAnswer,
  memberPrincipal,
  startMemberAndBenefit,
} from '../testkit/subgraph-harness';

export { codesOf };

/**
 * The member and benefit subgraphs in this process on a fresh database with a small demo world
 * and the voucher demo seed; GraphQL goes straight to the benefit subgraph with internal tokens.
 */
export interface VoucherHarness {
  world: DemoWorld;
  /** The running benefit subgraph's pool (e.g. to run the seed again). */
  benefitDb: DataSource;
  /** SQL in the benefit schema (search_path benefit, member for reading members). */
  sql: Client;
  principals: {
    travelPartner: Principal;
    merchant: Principal;
    city: Principal;
    district: Principal;
    sibling: Principal;
    platform: Principal;
    hospital: Principal;
  };
  member(id: string): Principal;
  /** ACTIVE members in the city union's subtree, straight from the member schema. */
  activeCityMembers(count: number, options?: { verified?: boolean }): Promise<string[]>;
  gql<T = Record<string, any>>(principal: Principal, query: string, variables?: Record<string, unknown>): Promise<GraphQLAnswer<T>>;
  /** SQL statements the benefit subgraph has sent so far (to show a list costs the same at any length). */
  statementCount(): Promise<number>;
  stop(): Promise<void>;
}

const PARTNER_SCOPES = ['member:verify', 'voucher:redeem', 'reconcile:read'];
const UNION_SCOPES = ['member:read', 'benefit:manage', 'voucher:grant', 'reconcile:read'];

export async function startVoucherHarness(memberCount = 400): Promise<VoucherHarness> {
  const { world, benefit, sql, gql, stop, benefitStatementCount } = await startMemberAndBenefit({
    name: 'voucher',
    memberCount,
    memberPoolSize: 8,
    benefitPoolSize: 20,
    searchPath: 'benefit',
    seedBenefit: seedVoucherDemo,
  });
  const o = world.organizations;
  return {
    world,
    benefitDb: benefit.db,
    sql,
    principals: {
      travelPartner: partner('travelPartner', PARTNER_SCOPES),
      merchant: partner('merchant', PARTNER_SCOPES),
      hospital: partner('hospital', ['member:verify', 'discount:apply', 'reconcile:read']),
      city: partner('cityUnion', UNION_SCOPES, o.cityUnionOrgId),
      district: partner('districtUnion', UNION_SCOPES, o.districtUnionOrgId),
      sibling: partner('siblingDistrictUnion', UNION_SCOPES, o.siblingDistrictUnionOrgId),
      platform: partner('platform', ['member:read', 'member:act-as', 'reconcile:read']),
    },
    member: memberPrincipal,
    activeCityMembers: async (count, options = {}) => (await activeMembersUnder(sql, o.cityUnionOrgId, count, options)).map((m) => m.id),
    gql: (principal, query, variables) => gql('benefit', principal, query, variables),
    statementCount: benefitStatementCount,
    stop,
  };
}
