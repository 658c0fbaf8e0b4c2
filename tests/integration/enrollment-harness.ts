import { DEMO_PARTNERS, type Principal } from '@union/common';
import { Client } from 'pg';
import { loadMemberConfig, type MemberConfig } from '../../subgraphs/member/src/config';
import { startMemberSubgraph } from '../../subgraphs/member/src/index';
import { residentIdCheckDigit } from '../../subgraphs/member/src/modules/enrollment/resident-id';
import { migrateMember } from '../../subgraphs/member/src/migrate';
import { generateDemoData, type DemoData } from '../../subgraphs/member/src/seed/demo-data';
import { seedMemberDemo } from '../../subgraphs/member/src/seed/member-seed';
import { createTestDatabase } from '../testkit/database';
export { statsDrift } from '../testkit/member-stats';
import { postInternalGraphQL, TEST_SECRETS } from '../testkit/subgraph-harness';

const UNION_SCOPES = ['member:read', 'member:pii', 'member:write', 'member:export', 'member:assert-verified'];

/** The member subgraph alone on a fresh database with a small demo world, called with internal tokens. */
export interface MemberHarness {
  config: MemberConfig;
  url: string;
  baseUrl: string;
  data: DemoData;
  sql: Client;
  principals: {
    district: Principal;
    sibling: Principal;
    city: Principal;
    platform: Principal;
  };
  union(organizationId: string, scopes?: string[]): Principal;
  gql<T = Record<string, any>>(
    principal: Principal,
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{ data?: T | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> }>;
  stop(): Promise<void>;
}

export async function startMemberHarness(memberCount = 300): Promise<MemberHarness> {
  const database = await createTestDatabase('enroll');
  const config = loadMemberConfig({ ...TEST_SECRETS, DATABASE_URL: database.url, MEMBER_PORT: '0', DB_POOL_SIZE: '12' });
  await migrateMember(config);
  const running = await startMemberSubgraph(config, { log: () => {} });
  const data = generateDemoData({ memberCount });
  await seedMemberDemo(running.db, config.idNumberHmacKey, data);
  const sql = new Client({ connectionString: database.url, options: '-c search_path=member' });
  await sql.connect();

  const union = (organizationId: string, scopes = UNION_SCOPES): Principal => ({
    kind: 'UNION',
    id: `union-${organizationId.slice(0, 8)}`,
    name: `union of ${organizationId.slice(0, 8)}`,
    scopes,
    organizationId,
  });
  const f = data.fixtures;
  const principals = {
    district: { ...union(f.districtUnionOrgId), id: DEMO_PARTNERS.districtUnion.id, name: DEMO_PARTNERS.districtUnion.name },
    sibling: { ...union(f.siblingDistrictUnionOrgId), id: DEMO_PARTNERS.siblingDistrictUnion.id, name: DEMO_PARTNERS.siblingDistrictUnion.name },
    city: { ...union(f.cityUnionOrgId), id: DEMO_PARTNERS.cityUnion.id, name: DEMO_PARTNERS.cityUnion.name },
    platform: { kind: 'PLATFORM', id: DEMO_PARTNERS.platform.id, name: DEMO_PARTNERS.platform.name, scopes: ['member:read'] } as Principal,
  };
  return {
    config,
    url: running.url,
    baseUrl: running.url.replace(/\/graphql$/, ''),
    data,
    sql,
    principals,
    union,
    gql: (principal, query, variables) => postInternalGraphQL(running.url, config.internalSecret, principal, query, variables),
    async stop() {
      await sql.end();
      await running.stop();
      await database.drop();
    },
  };
}

export const codes = (response: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => (response.errors ?? []).map((e) => e.extensions?.code);

/** A valid resident ID number for a person born on `birth` (YYYYMMDD), distinct per `serial`. */
export function residentId(serial: number, birth = '19900307', region = '440106'): string {
  const first17 = `${region}${birth}${String(serial % 1000).padStart(3, '0')}`;
  return first17 + residentIdCheckDigit(first17);
}
