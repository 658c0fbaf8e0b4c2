import { Client } from 'pg';
import { DEMO_VOUCHER_BATCHES } from '../../subgraphs/benefit/src/seed/voucher-seed';
import { openVoucherBatchInput } from '../testkit/voucher-batches';
import { errorCodes, gql, type GraphQLResponse, memberToken, partnerToken } from '../testkit/client';
import { startSystem, type RunningSystem } from '../testkit/system';
import { scrapeMetric } from '../testkit/metrics';

/**
 * The two classic voucher failures, provoked through the real gateway with real tokens: a pool
 * oversold by concurrent claims, and one voucher redeemed twice by concurrent orders.
 */
let system: RunningSystem;
let sql: Client;
let memberTokens: Array<{ id: string; token: string }>;

const MEMBERS = 250;

beforeAll(async () => {
  system = await startSystem();
  sql = new Client({ connectionString: system.databaseUrl });
  await sql.connect();
  const ids: string[] = (
    await sql.query(
      `SELECT m.id FROM member.members m JOIN member.organizations o ON o.id = $1
        WHERE m.org_path LIKE o.path || '%' AND m.status = 'ACTIVE' ORDER BY m.id LIMIT $2`,
      [system.credentials.partners.cityUnion.organizationId, MEMBERS],
    )
  ).rows.map((r) => r.id);
  expect(ids).toHaveLength(MEMBERS);
  memberTokens = [];
  for (let i = 0; i < ids.length; i += 25) {
    const chunk = ids.slice(i, i + 25);
    memberTokens.push(...(await Promise.all(chunk.map(async (id) => ({ id, token: await memberToken(system, id) })))));
  }
});
afterAll(async () => {
  await sql?.end();
  await system?.stop();
});

async function createBatch(totalQuantity: number): Promise<string> {
  const res = await gql(
    system,
    await partnerToken(system, 'cityUnion'),
    `mutation ($input: CreateVoucherBatchInput!) { createVoucherBatch(input: $input) { id } }`,
    {
      input: openVoucherBatchInput({ name: '抢券测试', faceValueFen: 3500, totalQuantity }),
    },
  );
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.createVoucherBatch.id;
}

describe('500 concurrent claims from 250 members against a batch of 50 (limit 1 per member)', () => {
  it.each([1, 2])('round %i: exactly 50 vouchers, 50 distinct owners, everybody else SOLD_OUT or LIMIT_REACHED', async () => {
    const batchId = await createBatch(50);
    const directoryBefore = await memberFactsLookups();
    const statementsBefore = await benefitStatements();
    const groupsBefore = await claimGroupCounts();
    const calls = [...memberTokens, ...memberTokens].map(({ token }) =>
      gql<{ claimVoucher: { id: string } }>(system, token, `mutation ($b: ID!) { claimVoucher(batchId: $b) { id } }`, { b: batchId }),
    );
    const answers: GraphQLResponse<{ claimVoucher: { id: string } }>[] = await Promise.all(calls);

    const outcomes = new Map<string, number>();
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      const code = String(errorCodes(answer)[0] ?? 'OK');
      outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
    }
    expect(outcomes.get('OK')).toBe(50);
    expect([...outcomes.keys()].sort()).toEqual(expect.arrayContaining(['OK', 'SOLD_OUT']));
    for (const code of outcomes.keys()) expect(['OK', 'SOLD_OUT', 'LIMIT_REACHED']).toContain(code);

    const stored = (
      await sql.query(
        `SELECT (SELECT count(*)::int FROM benefit.vouchers WHERE batch_id = $1) AS vouchers,
                (SELECT count(DISTINCT member_id)::int FROM benefit.vouchers WHERE batch_id = $1) AS owners,
                (SELECT sum(claimed)::int FROM benefit.voucher_batch_stripes WHERE batch_id = $1) AS claimed,
                (SELECT max(claimed) FROM benefit.voucher_member_claims WHERE batch_id = $1) AS most_per_member`,
        [batchId],
      )
    ).rows[0];
    expect(stored).toEqual({ vouchers: 50, owners: 50, claimed: 50, most_per_member: 1 });
    // Every claim that got a voucher asked the member directory for its member; claims in flight
    // together asked together, in fewer calls than there were lookups (one call each before).
    const directoryAfter = await memberFactsLookups();
    const [asked, sent] = [directoryAfter.asked - directoryBefore.asked, directoryAfter.calls - directoryBefore.calls];
    console.log(`member directory: ${asked} member-facts lookups in ${sent} calls`);
    expect(asked).toBeGreaterThanOrEqual(50);
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(asked);
    // Each claim sent at least one statement before (its claim, or once the pool was empty a read
    // of whether it still was); refusals in flight together now share that read.
    const statements = (await benefitStatements()) - statementsBefore;
    console.log(`benefit: ${statements} SQL statements for ${answers.length} claims`);
    expect(statements).toBeLessThan(answers.length);
    // /metrics tells how the claims went out: claims in flight together shared group statements.
    const groups = await claimGroupCounts();
    const delta = (key: keyof typeof groups) => groups[key] - groupsBefore[key];
    console.log(
      `claim groups: ${delta('groupStatements')} group statements carried ${delta('inGroup')} claims; ` +
        `${delta('aloneStatements')} claims alone (${delta('sendAlone')} left by their group, ${delta('groupRefused')} after a refused group)`,
    );
    expect(delta('groupStatements')).toBeGreaterThan(0);
    expect(delta('inGroup')).toBeGreaterThan(delta('groupStatements'));
    expect(delta('groupStatements') + delta('aloneStatements')).toBeLessThanOrEqual(statements);
    expect(delta('inGroup') + delta('aloneStatements')).toBeLessThanOrEqual(answers.length);
  });
});

describe('500 concurrent keyed claims: 250 members each sending its claim twice under one key (a retry racing the first) against 50', () => {
  it('exactly 50 vouchers, both sends of a member get the same answer, and the claims share group statements', async () => {
    const batchId = await createBatch(50);
    const groupsBefore = await claimGroupCounts();
    const CLAIM = `mutation ($b: ID!, $k: String) { claimVoucher(batchId: $b, idempotencyKey: $k) { id } }`;
    const answers = await Promise.all(
      [...memberTokens, ...memberTokens].map(({ token }) => gql<{ claimVoucher: { id: string } }>(system, token, CLAIM, { b: batchId, k: `rush-${batchId}` })),
    );
    for (const answer of answers) expect(answer.status).toBe(200);
    const answerOf = (answer: GraphQLResponse<{ claimVoucher: { id: string } }>) => answer.body.data?.claimVoucher?.id ?? `refused: ${errorCodes(answer)[0]}`;
    const [first, second] = [answers.slice(0, MEMBERS).map(answerOf), answers.slice(MEMBERS).map(answerOf)];
    expect(second).toEqual(first);
    expect(first.filter((answer) => answer === 'refused: SOLD_OUT')).toHaveLength(MEMBERS - 50);
    expect(new Set(first.filter((answer) => !answer.startsWith('refused')))).toHaveProperty('size', 50);

    const stored = (
      await sql.query(
        `SELECT (SELECT count(*)::int FROM benefit.vouchers WHERE batch_id = $1) AS vouchers,
                (SELECT count(DISTINCT member_id)::int FROM benefit.vouchers WHERE batch_id = $1) AS owners,
                (SELECT sum(claimed)::int FROM benefit.voucher_batch_stripes WHERE batch_id = $1) AS claimed,
                (SELECT count(*)::int FROM benefit.idempotent_requests WHERE idempotency_key = 'rush-' || $1) AS keys`,
        [batchId],
      )
    ).rows[0];
    expect(stored).toEqual({ vouchers: 50, owners: 50, claimed: 50, keys: MEMBERS });
    const groups = await claimGroupCounts();
    console.log(
      `keyed claim groups: ${groups.groupStatements - groupsBefore.groupStatements} group statements carried ${groups.inGroup - groupsBefore.inGroup} claims`,
    );
    expect(groups.groupStatements - groupsBefore.groupStatements).toBeGreaterThan(0);
    expect(groups.inGroup - groupsBefore.inGroup).toBeGreaterThan(groups.groupStatements - groupsBefore.groupStatements);
  });
});

/** The benefit subgraph's claim statements (groups, alone) and the claims they carried, from /metrics. */
async function claimGroupCounts() {
  const url = system.subgraphUrls.benefit;
  const sent = (how: string) => scrapeMetric(url, 'union_voucher_claims_sent_total', { sent: how });
  return {
    groupStatements: await scrapeMetric(url, 'union_voucher_claim_statements_total', { kind: 'group' }),
    aloneStatements: await scrapeMetric(url, 'union_voucher_claim_statements_total', { kind: 'alone' }),
    inGroup: await sent('group'),
    sendAlone: await sent('send_alone'),
    groupRefused: await sent('group_refused'),
  };
}

const benefitStatements = () => scrapeMetric(system.subgraphUrls.benefit, 'union_db_statements_total');

/** The benefit subgraph's member-facts lookups (asked by its requests) and the calls that carried them. */
async function memberFactsLookups(): Promise<{ asked: number; calls: number }> {
  const route = { route: 'member-facts' };
  const url = system.subgraphUrls.benefit;
  return {
    asked: await scrapeMetric(url, 'union_member_directory_lookups_total', route),
    calls: await scrapeMetric(url, 'union_member_directory_calls_total', route),
  };
}

describe('the same code redeemed concurrently by 20 orders', () => {
  it.each([1, 2, 3])('round %i: exactly one COMPLETED redemption, the others VOUCHER_ALREADY_REDEEMED', async (round) => {
    const owner = memberTokens[round];
    const claim = await gql(system, owner.token, `mutation ($b: ID!) { claimVoucher(batchId: $b) { id code } }`, { b: DEMO_VOUCHER_BATCHES.travelRide });
    expect(claim.body.errors).toBeUndefined();
    const { id, code } = claim.body.data!.claimVoucher;
    const partner = await partnerToken(system, 'travelPartner');
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        gql(system, partner, `mutation ($input: RedeemVoucherInput!) { redeemVoucher(input: $input) { id status } }`, {
          input: { code, partnerOrderId: `RACE-${round}-${i}-${Date.now()}`, orderAmountFen: 4_000 },
        }),
      ),
    );
    expect(answers.filter((a) => !a.body.errors)).toHaveLength(1);
    for (const a of answers.filter((x) => x.body.errors)) expect(errorCodes(a)).toEqual(['VOUCHER_ALREADY_REDEEMED']);
    const stored = await sql.query(`SELECT status, count(*)::int AS n FROM benefit.redemptions WHERE voucher_id = $1 GROUP BY status`, [id]);
    expect(stored.rows).toEqual([{ status: 'COMPLETED', n: 1 }]);
  });
});
