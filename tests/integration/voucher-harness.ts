import { DEMO_PARTNERS, type DemoWorld, INTERNAL_TOKEN_HEADER, type Principal, signInternalToken } from '@union/common';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { loadBenefitConfig } from '../../subgraphs/benefit/src/config';
import { startBenefitSubgraph } from '../../subgraphs/benefit/src/index';
import { migrateBenefit } from '../../subgraphs/benefit/src/migrate';
import { seedVoucherDemo } from '../../subgraphs/benefit/src/seed/voucher-seed';
import { loadMemberConfig } from '../../subgraphs/member/src/config';
import { startMemberSubgraph } from '../../subgraphs/member/src/index';
import { migrateMember } from '../../subgraphs/member/src/migrate';
import { generateDemoData } from '../../subgraphs/member/src/seed/demo-data';
import { demoWorld, seedMemberDemo } from '../../subgraphs/member/src/seed/member-seed';
import { createTestDatabase } from '../testkit/database';

type GraphQLAnswer<T> = { data?: T | null; errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }> };

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
  stop(): Promise<void>;
}

const PARTNER_SCOPES = ['member:verify', 'voucher:redeem', 'reconcile:read'];
const UNION_SCOPES = ['member:read', 'benefit:manage', 'voucher:grant', 'reconcile:read'];

export async function startVoucherHarness(memberCount = 400): Promise<VoucherHarness> {
  const database = await createTestDatabase('voucher');
  const secrets = { INTERNAL_SECRET: 'i'.repeat(40), ID_NUMBER_HMAC_KEY: 'h'.repeat(40), CARD_TOKEN_SECRET: 'c'.repeat(40) };
  const memberConfig = loadMemberConfig({ ...secrets, DATABASE_URL: database.url, MEMBER_PORT: '0', DB_POOL_SIZE: '8' });
  await migrateMember(memberConfig);
  const member = await startMemberSubgraph(memberConfig, { log: () => {} });
  const data = generateDemoData({ memberCount });
  await seedMemberDemo(member.db, memberConfig.idNumberHmacKey, data);
  const world = demoWorld(data);

  const benefitConfig = loadBenefitConfig({ ...secrets, DATABASE_URL: database.url, BENEFIT_PORT: '0', DB_POOL_SIZE: '20', MEMBER_SUBGRAPH_URL: member.url });
  await migrateBenefit(benefitConfig);
  const benefitLog: string[] = [];
  const benefit = await startBenefitSubgraph(benefitConfig, { log: (line) => benefitLog.push(line) });
  await seedVoucherDemo(benefit.db, world);

  const sql = new Client({ connectionString: database.url, options: '-c search_path=benefit' });
  await sql.connect();

  const partner = (key: keyof typeof DEMO_PARTNERS, scopes: string[], organizationId?: string): Principal => ({
    kind: DEMO_PARTNERS[key].kind,
    id: DEMO_PARTNERS[key].id,
    name: DEMO_PARTNERS[key].name,
    scopes,
    ...(organizationId ? { organizationId } : {}),
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
    member: (id) => ({ kind: 'MEMBER', id, name: 'member', scopes: ['member:self'], actingPartnerId: DEMO_PARTNERS.platform.id }),
    async activeCityMembers(count, options = {}) {
      const rows = await sql.query(
        `SELECT m.id FROM member.members m JOIN member.organizations o ON o.id = $1
          WHERE m.org_path LIKE o.path || '%' AND m.status = 'ACTIVE' AND ($3::bool IS NULL OR m.real_name_verified = $3)
          ORDER BY m.id LIMIT $2`,
        [o.cityUnionOrgId, count, options.verified ?? null],
      );
      if (rows.rows.length < count) throw new Error(`only ${rows.rows.length} active city members, wanted ${count}`);
      return rows.rows.map((r) => r.id as string);
    },
    async gql(principal, query, variables) {
      const response = await fetch(benefit.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: await signInternalToken(principal, benefitConfig.internalSecret) },
        body: JSON.stringify({ query, variables }),
      });
      const answer = (await response.json()) as GraphQLAnswer<never>;
      if (answer.errors?.some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR')) {
        throw new Error(`internal error: ${JSON.stringify(answer.errors)}\n${benefitLog.join('\n')}`);
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
