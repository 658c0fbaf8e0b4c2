import {
  DEMO_PARTNERS,
  type DemoPartnerKey,
  type DemoWorld,
  INTERNAL_TOKEN_HEADER,
  InternalClient,
  type Principal,
  type RunningSubgraph,
  signInternalToken,
} from '@union/common';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { loadBenefitConfig } from '../../subgraphs/benefit/src/config';
import { startBenefitSubgraph } from '../../subgraphs/benefit/src/index';
import { migrateBenefit } from '../../subgraphs/benefit/src/migrate';
import { loadMemberConfig } from '../../subgraphs/member/src/config';
import { startMemberSubgraph } from '../../subgraphs/member/src/index';
import { migrateMember } from '../../subgraphs/member/src/migrate';
import { generateDemoData } from '../../subgraphs/member/src/seed/demo-data';
import { demoWorld, seedMemberDemo } from '../../subgraphs/member/src/seed/member-seed';
import { createTestDatabase } from './database';

/**
 * Subgraphs in the test process, called straight with internal tokens as the gateway would call
 * them (tests/integration). The hospital and voucher harnesses are built on startMemberAndBenefit.
 */

export type GraphQLAnswer<T> = { data?: T | null; errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }> };

/** The `extensions.code` of every error of an answer, in order. */
export const codesOf = (answer: GraphQLAnswer<unknown>) => (answer.errors ?? []).map((e) => e.extensions?.code);

/** Fixed secrets of the in-process subgraphs (INTERNAL_SECRET signs the internal tokens). */
export const TEST_SECRETS = { INTERNAL_SECRET: 'i'.repeat(40), ID_NUMBER_HMAC_KEY: 'h'.repeat(40), CARD_TOKEN_SECRET: 'c'.repeat(40) };

/** POST a GraphQL request to a subgraph with an internal token over `principal`, signed with `secret`. */
export async function postInternalGraphQL<T>(
  url: string,
  secret: string,
  principal: Principal,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphQLAnswer<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: await signInternalToken(principal, secret) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLAnswer<T>;
}

/** A demo partner as the gateway would pass it on: its kind, id and name, the given scopes (and organization, for a union). */
export const demoPartnerPrincipal = (key: DemoPartnerKey, scopes: string[], organizationId?: string): Principal => ({
  kind: DEMO_PARTNERS[key].kind,
  id: DEMO_PARTNERS[key].id,
  name: DEMO_PARTNERS[key].name,
  scopes,
  ...(organizationId ? { organizationId } : {}),
});

/** A member acting through the demo platform's member app (a MEMBER token from the token exchange). */
export const memberPrincipal = (id: string): Principal => ({
  kind: 'MEMBER',
  id,
  name: 'member',
  scopes: ['member:self'],
  actingPartnerId: DEMO_PARTNERS.platform.id,
});

/** ACTIVE members under an organization (its subtree), by id, straight from the member schema; throws when there are fewer than `count`. */
export async function activeMembersUnder(
  sql: Client,
  organizationId: string,
  count: number,
  options: { verified?: boolean } = {},
): Promise<Array<{ id: string; cardNumber: string; fullName: string }>> {
  const rows = await sql.query(
    `SELECT m.id, m.card_number, m.full_name FROM member.members m JOIN member.organizations o ON o.id = $1
      WHERE m.org_path LIKE o.path || '%' AND m.status = 'ACTIVE' AND ($3::bool IS NULL OR m.real_name_verified = $3)
      ORDER BY m.id LIMIT $2`,
    [organizationId, count, options.verified ?? null],
  );
  if (rows.rows.length < count) throw new Error(`only ${rows.rows.length} active members under ${organizationId}, wanted ${count}`);
  return rows.rows.map((r) => ({ id: r.id as string, cardNumber: r.card_number as string, fullName: r.full_name as string }));
}

export interface MemberAndBenefit {
  world: DemoWorld;
  member: RunningSubgraph;
  benefit: RunningSubgraph;
  /** SQL on the test database with the requested search_path. */
  sql: Client;
  /**
   * GraphQL straight to a subgraph with an internal token over `principal`. An INTERNAL_SERVER_ERROR
   * in the answer throws, with the services' logs.
   */
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

/**
 * The member and benefit subgraphs in this process on a fresh database (`createTestDatabase(name)`):
 * both migrated, a demo world of `memberCount` members seeded, then `seedBenefit` (the benefit side's
 * demo data), and benefit asking the member subgraph for member facts.
 */
export async function startMemberAndBenefit(options: {
  name: string;
  memberCount: number;
  memberPoolSize: number;
  benefitPoolSize: number;
  /** search_path of `sql`. */
  searchPath: string;
  seedBenefit(db: DataSource, world: DemoWorld): Promise<void>;
}): Promise<MemberAndBenefit> {
  const database = await createTestDatabase(options.name);
  const secrets = TEST_SECRETS;
  const memberConfig = loadMemberConfig({ ...secrets, DATABASE_URL: database.url, MEMBER_PORT: '0', DB_POOL_SIZE: String(options.memberPoolSize) });
  await migrateMember(memberConfig);
  const logs: string[] = [];
  const member = await startMemberSubgraph(memberConfig, { log: (line) => logs.push(line) });
  const data = generateDemoData({ memberCount: options.memberCount });
  await seedMemberDemo(member.db, memberConfig.idNumberHmacKey, data);
  const world = demoWorld(data);

  const benefitConfig = loadBenefitConfig({
    ...secrets,
    DATABASE_URL: database.url,
    BENEFIT_PORT: '0',
    DB_POOL_SIZE: String(options.benefitPoolSize),
    MEMBER_SUBGRAPH_URL: member.url,
  });
  await migrateBenefit(benefitConfig);
  const benefit = await startBenefitSubgraph(benefitConfig, { log: (line) => logs.push(line) });
  await options.seedBenefit(benefit.db, world);

  const sql = new Client({ connectionString: database.url, options: `-c search_path=${options.searchPath}` });
  await sql.connect();

  const urls = { member: member.url, benefit: benefit.url };
  const benefitService = new InternalClient(benefit.url, 'test', secrets.INTERNAL_SECRET);
  return {
    world,
    member,
    benefit,
    sql,
    benefitStatementCount: async () => (await benefitService.call<{ count: number }>('statement-count', {})).count,
    async gql(service, principal, query, variables) {
      const answer = await postInternalGraphQL<never>(urls[service], secrets.INTERNAL_SECRET, principal, query, variables);
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
