import { DEMO_PARTNERS, type DemoWorld, INTERNAL_TOKEN_HEADER, type Principal, signInternalToken } from '@union/common';
import { Client } from 'pg';
import { loadBenefitConfig } from '../../subgraphs/benefit/src/config';
import { startBenefitSubgraph } from '../../subgraphs/benefit/src/index';
import { migrateBenefit } from '../../subgraphs/benefit/src/migrate';
import { seedHospitalDemo } from '../../subgraphs/benefit/src/seed/hospital-seed';
import { loadMemberConfig } from '../../subgraphs/member/src/config';
import { startMemberSubgraph } from '../../subgraphs/member/src/index';
import { migrateMember } from '../../subgraphs/member/src/migrate';
import { generateDemoData } from '../../subgraphs/member/src/seed/demo-data';
import { demoWorld, seedMemberDemo } from '../../subgraphs/member/src/seed/member-seed';
import { createTestDatabase } from '../testkit/database';

export type GraphQLAnswer<T> = { data?: T | null; errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }> };

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
  gql<T = Record<string, any>>(service: 'member' | 'benefit', principal: Principal, query: string, variables?: Record<string, unknown>): Promise<GraphQLAnswer<T>>;  
  stop(): Promise<void>;
}

export async function startHospitalHarness(memberCount = 300): Promise<HospitalHarness> {
  const database = await createTestDatabase('hospital');
  const secrets = { INTERNAL_SECRET: 'i'.repeat(40), ID_NUMBER_HMAC_KEY: 'h'.repeat(40), CARD_TOKEN_SECRET: 'c'.repeat(40) };
  const memberConfig = loadMemberConfig({ ...secrets, DATABASE_URL: database.url, MEMBER_PORT: '0', DB_POOL_SIZE: '10' });
  await migrateMember(memberConfig);
  const logs: string[] = [];
  const member = await startMemberSubgraph(memberConfig, { log: (line) => logs.push(line) });
  const data = generateDemoData({ memberCount });
  await seedMemberDemo(member.db, memberConfig.idNumberHmacKey, data);
  const world = demoWorld(data);

  const benefitConfig = loadBenefitConfig({ ...secrets, DATABASE_URL: database.url, BENEFIT_PORT: '0', DB_POOL_SIZE: '20', MEMBER_SUBGRAPH_URL: member.url });
  await migrateBenefit(benefitConfig);
  const benefit = await startBenefitSubgraph(benefitConfig, { log: (line) => logs.push(line) });
  await seedHospitalDemo(benefit.db, world);

  const sql = new Client({ connectionString: database.url, options: '-c search_path=benefit,member' });
  await sql.connect();

  const partner = (key: keyof typeof DEMO_PARTNERS, scopes: string[], organizationId?: string): Principal => ({
    kind: DEMO_PARTNERS[key].kind,
    id: DEMO_PARTNERS[key].id,
    name: DEMO_PARTNERS[key].name,
    scopes,
    ...(organizationId ? { organizationId } : {}),
  });
  const o = world.organizations;
  const urls = { member: member.url, benefit: benefit.url };
  return {
    world,
    cardTokenSecret: secrets.CARD_TOKEN_SECRET,
    sql,
    principals: {
      hospital: partner('hospital', HOSPITAL_SCOPES),
      otherHospital: partner('otherHospital', HOSPITAL_SCOPES),
      merchant: partner('merchant', ['member:verify', 'voucher:redeem', 'reconcile:read']),
      city: partner('cityUnion', UNION_SCOPES, o.cityUnionOrgId),
      district: partner('districtUnion', UNION_SCOPES, o.districtUnionOrgId),
      platform: partner('platform', ['member:read', 'member:act-as', 'reconcile:read']),
    },
    member: (id) => ({ kind: 'MEMBER', id, name: 'member', scopes: ['member:self'], actingPartnerId: DEMO_PARTNERS.platform.id }),
    setMemberStatus: (memberId, status) => setMemberStatus(sql, memberId, status),
    async activeMembersUnder(organizationId, count) {
      const rows = await sql.query(
        `SELECT m.id, m.card_number, m.full_name FROM member.members m JOIN member.organizations o ON o.id = $1
          WHERE m.org_path LIKE o.path || '%' AND m.status = 'ACTIVE'
          ORDER BY m.id LIMIT $2`,
        [organizationId, count],
      );
      if (rows.rows.length < count) throw new Error(`only ${rows.rows.length} active members under ${organizationId}, wanted ${count}`);
      return rows.rows.map((r) => ({ id: r.id as string, cardNumber: r.card_number as string, fullName: r.full_name as string }));
    },
    async gql(service, principal, query, variables) {
      const response = await fetch(urls[service], {
        method: 'POST',
        headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: await signInternalToken(principal, secrets.INTERNAL_SECRET) },
        body: JSON.stringify({ query, variables }),
      });
      const answer = (await response.json()) as GraphQLAnswer<never>;
      if (answer.errors?.some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR')) {
        throw new Error(`internal error: ${JSON.stringify(answer.errors)}\n${logs.join('\n')}`);
      }
      return answer;
    },
    async stop() {
      await sql.end();
      await benefit.stop();
      await member.stop();
      await database.drop();
    },
  };
}

export const codesOf = (answer: GraphQLAnswer<unknown>) => (answer.errors ?? []).map((e) => e.extensions?.code);

/** Suspends or reactivates a member in SQL, as a union's status change would (no status mutation exists yet). */
export async function setMemberStatus(sql: Client, memberId: string, status: string): Promise<void> {
  await sql.query(`UPDATE member.members SET status = $2, updated_at = now() WHERE id = $1`, [memberId, status]);
}
