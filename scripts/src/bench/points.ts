import { Client } from 'pg';
import { demoPartnerAccessToken } from '../partner-token';
import { gatewayQuery, latencyColumns, outcomeOf, phase, type PhaseResult, runBench, withThrowawaySystem } from './load';

/**
 * Points benchmark through the gateway (not a test): `node scripts/dist/bench/points.js`.
 * Starts the whole system on a throw-away embedded PostgreSQL, then measures awardPoints
 * (ACTIVITY, PLATFORM token) in three shapes: spread over 100 members, all on one member (every
 * award waits for the same account row lock), and retries of awards already made (idempotent
 * replays). Prints awards/s and latency percentiles per phase, then checks the ledger.
 *
 * BENCH_CONCURRENCY (default 10) requests in flight; BENCH_AWARDS (default 3000) per phase.
 */

const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 10);
const awardsPerPhase = Number(process.env.BENCH_AWARDS ?? 3000);

const AWARD = `mutation ($input: AwardPointsInput!) { awardPoints(input: $input) { id balanceAfter } }`;

function print(result: PhaseResult): void {
  const f = (n: number) => n.toFixed(1);
  console.log(
    `${result.name.padEnd(34)} ${String(result.requests).padStart(6)} requests in ${f(result.seconds)} s = ${f(result.perSecond).padStart(7)}/s` +
      `  ${latencyColumns(result.latencies, [50, 95, 99])}  ${JSON.stringify(result.outcomes)}`,
  );
}

async function main(): Promise<void> {
  // Measures the service, not the per-partner budget: one PLATFORM token sends every award.
  await withThrowawaySystem('points', { env: { RATE_LIMIT_PER_MINUTE: '100000000' } }, async (system) => {
    const token = await demoPartnerAccessToken(system.credentials, 'platform');
    const cityOrg = system.credentials.partners.cityUnion.organizationId;
    const listed = await gatewayQuery(
      system,
      token,
      `query ($org: ID!) { organization(id: $org) { members(first: 100, filter: { status: ACTIVE }) { nodes { id } } } }`,
      { org: cityOrg },
    );
    const members: string[] = listed.data?.organization?.members?.nodes?.map((n: { id: string }) => n.id) ?? [];
    if (members.length === 0) throw new Error(`could not list members: ${JSON.stringify(listed.errors)}`);
    const runId = Date.now().toString(36);

    const award = async (memberId: string, sourceRef: string, amount: number) =>
      outcomeOf(await gatewayQuery(system, token, AWARD, { input: { memberId, rule: 'ACTIVITY', sourceRef, amount } }));

    console.log(`points bench: ${concurrency} in flight, ${awardsPerPhase} awards per phase, ${members.length} members, through ${system.gatewayUrl}`);
    await phase('warm-up', 200, concurrency, (i) => award(members[i % members.length], `bench-${runId}-warm-${i}`, 1));
    const results = [
      // The ceiling: a read that touches the points subgraph only, through the same gateway.
      await phase('baseline: rewards(first: 1) read', awardsPerPhase, concurrency, async () =>
        outcomeOf(await gatewayQuery(system, token, `{ rewards(first: 1) { nodes { id stock } } }`)),
      ),
      await phase(`spread over ${members.length} members`, awardsPerPhase, concurrency, (i) =>
        award(members[i % members.length], `bench-${runId}-spread-${i}`, 1 + (i % 10)),
      ),
      await phase('one hot member', awardsPerPhase, concurrency, (i) => award(members[0], `bench-${runId}-hot-${i}`, 1)),
      await phase('idempotent replays', awardsPerPhase, concurrency, (i) => award(members[i % members.length], `bench-${runId}-spread-${i}`, 1 + (i % 10))),
    ];
    for (const result of results) print(result);

    const sql = new Client({ connectionString: system.databaseUrl });
    await sql.connect();
    try {
      const { rows } = await sql.query(`
        SELECT count(*)::int AS accounts,
               count(*) FILTER (WHERE a.balance <> (SELECT coalesce(sum(amount), 0) FROM points.points_transactions t WHERE t.member_id = a.member_id))::int AS unexplained
          FROM points.points_accounts a`);
      const { rows: lines } = await sql.query(`SELECT count(*)::int AS n FROM points.points_transactions WHERE source_ref LIKE $1`, [`bench-${runId}-%`]);
      console.log(
        `ledger: ${rows[0].accounts} accounts, ${rows[0].unexplained} whose balance differs from the sum of its lines; ${lines[0].n} bench lines written (expected ${200 + 2 * awardsPerPhase})`,
      );
    } finally {
      await sql.end();
    }
  });
}

runBench(main);
