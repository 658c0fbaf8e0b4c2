import { type DemoWorld, type Principal } from '@union/common';
import type { Client } from 'pg';
import { seedHospitalDemo } from '../../subgraphs/benefit/src/seed/hospital-seed';
import {
  activeMembersUnder,
  codesOf,
  demoPartnerPrincipal as partner,
  type GraphQLAnswer,
  memberPrincipal,
  startMemberAndBenefit,
  TEST_SECRETS,
} from '../testkit/subgraph-harness';

export { codesOf, type GraphQLAnswer };

export const HOSPITAL_SCOPES = ['member:verify', 'discount:apply', 'reconcile:read'];
const UNION_SCOPES = ['member:read', 'benefit:manage', 'reconcile:read'];

/**
 * The member and benefit subgraphs in this process on a fresh database with a small demo world and
 * the hospital demo seed. GraphQL goes straight to a subgraph with internal tokens, as the gateway
 * would send it.
 */
export interface HospitalHarness {
  world: DemoWorld;
  cardTokenSecret: string;
  /** SQL with search_path benefit, member. */
  sql: Client;
  principals: {
    hospital: Principal;
    otherHospital: Principal;
    merchant: Principal;
    city: Principal;
    district: Principal;
    platform: Principal;
  };
  member(id: string): Principal;
  /** Changes a member's status behind the member subgraph's back (see setMemberStatus). */
  setMemberStatus(memberId: string, status: 'ACTIVE' | 'SUSPENDED' | 'LAPSED'): Promise<void>;
  /** ACTIVE members under an organization, straight from the member schema. */
  activeMembersUnder(organizationId: string, count: number): Promise<Array<{ id: string; cardNumber: string; fullName: string }>>;
  gql<T = Record<string, any>>(
    service: 'member' | 'benefit',
    principal: Principal,
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<GraphQLAnswer<T>>;
  /** SQL statements the benefit subgraph has sent so far (to show a list costs the same at any length). */
  benefitStatementCount(): Promise<number>;
  stop(): Promise<void>;
}

export async function startHospitalHarness(memberCount = 300): Promise<HospitalHarness> {
  const { world, sql, gql, stop, benefitStatementCount } = await startMemberAndBenefit({
    name: 'hospital',
    memberCount,
    memberPoolSize: 10,
    benefitPoolSize: 20,
    searchPath: 'benefit,member',
    seedBenefit: seedHospitalDemo,
  });
  const o = world.organizations;
  return {
    world,
    cardTokenSecret: TEST_SECRETS.CARD_TOKEN_SECRET,
    sql,
    principals: {
      hospital: partner('hospital', HOSPITAL_SCOPES),
      otherHospital: partner('otherHospital', HOSPITAL_SCOPES),
      merchant: partner('merchant', ['member:verify', 'voucher:redeem', 'reconcile:read']),
      city: partner('cityUnion', UNION_SCOPES, o.cityUnionOrgId),
      district: partner('districtUnion', UNION_SCOPES, o.districtUnionOrgId),
      platform: partner('platform', ['member:read', 'member:act-as', 'reconcile:read']),
    },
    member: memberPrincipal,
    setMemberStatus: (memberId, status) => setMemberStatus(sql, memberId, status),
    activeMembersUnder: (organizationId, count) => activeMembersUnder(sql, organizationId, count),
    gql,
    benefitStatementCount,
    stop,
  };
}

/** Suspends or reactivates a member in SQL, as a union's status change would (no status mutation exists yet). */
export async function setMemberStatus(sql: Client, memberId: string, status: string): Promise<void> {
  await sql.query(`UPDATE member.members SET status = $2, updated_at = now() WHERE id = $1`, [memberId, status]);
}
