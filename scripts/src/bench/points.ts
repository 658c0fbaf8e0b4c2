import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { launchSystem, type LaunchedSystem } from '../system';

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

async function platformToken(system: LaunchedSystem): Promise<string> {
  const { clientId, clientSecret } = system.credentials.partners.platform;
  const response = await fetch(system.credentials.tokenUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`token request failed: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

async function graphql(system: LaunchedSystem, token: string, query: string, variables: Record<string, unknown>) {
  const response = await fetch(system.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: Record<string, any> | null; errors?: Array<{ extensions?: { code?: string } }> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

interface PhaseResult {
  name: string;
  requests: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  outcomes: Record<string, number>;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/** Runs `count` requests with `concurrency` in flight; latency per request in milliseconds. */
async function phase(name: string, count: number, send: (i: number) => Promise<string>): Promise<PhaseResult> {
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t0 = performance.now();
        const outcome = await send(i).catch((error: unknown) => `network: ${(error as Error).message}`);
        latencies.push(performance.now() - t0);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    name,
    requests: count,
    seconds,
    perSecond: count / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1],
    outcomes,
  };
}

function print(result: PhaseResult): void {
  const f = (n: number) => n.toFixed(1);
  console.log(
    `${result.name.padEnd(34)} ${String(result.requests).padStart(6)} requests in ${f(result.seconds)} s = ${f(result.perSecond).padStart(7)}/s` +
      `  p50 ${f(result.p50)} ms  p95 ${f(result.p95)} ms  p99 ${f(result.p99)} ms  max ${f(result.max)} ms  ${JSON.stringify(result.outcomes)}`,
  );
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'union-bench-points-'));
  // Run as root, embedded PostgreSQL runs as its own user, which must reach its data directory.
  chmodSync(dataDir, 0o755);
  // Measures the service, not the per-partner budget: one PLATFORM token sends every award.
  const system = await launchSystem({ dataDir, persist: true, log: () => {}, env: { RATE_LIMIT_PER_MINUTE: '100000000' } });
  try {
    const token = await platformToken(system);
    const cityOrg = system.credentials.partners.cityUnion.organizationId;
    const listed = await graphql(system, token, `query ($org: ID!) { organization(id: $org) { members(first: 100, filter: { status: ACTIVE }) { nodes { id } } } }`, { org: cityOrg });
    const members: string[] = listed.data?.organization?.members?.nodes?.map((n: { id: string }) => n.id) ?? [];
    if (members.length === 0) throw new Error(`could not list members: ${JSON.stringify(listed.errors)}`);
    const runId = Date.now().toString(36);

    const award = async (memberId: string, sourceRef: string, amount: number) => {
      const body = await graphql(system, token, AWARD, { input: { memberId, rule: 'ACTIVITY', sourceRef, amount } });
      return body.errors?.length ? (body.errors[0].extensions?.code ?? 'error') : 'ok';
    };

    console.log(`points bench: ${concurrency} in flight, ${awardsPerPhase} awards per phase, ${members.length} members, through ${system.gatewayUrl}`);
    await phase('warm-up', 200, (i) => award(members[i % members.length], `bench-${runId}-warm-${i}`, 1));
    const results = [
      // The ceiling: a read that touches the points subgraph only, through the same gateway.
      await phase('baseline: rewards(first: 1) read', awardsPerPhase, async () => {
        const body = await graphql(system, token, `{ rewards(first: 1) { nodes { id stock } } }`, {});
        return body.errors?.length ? (body.errors[0].extensions?.code ?? 'error') : 'ok';
      }),
      await phase(`spread over ${members.length} members`, awardsPerPhase, (i) => award(members[i % members.length], `bench-${runId}-spread-${i}`, 1 + (i % 10))),
      await phase('one hot member', awardsPerPhase, (i) => award(members[0], `bench-${runId}-hot-${i}`, 1)),
      await phase('idempotent replays', awardsPerPhase, (i) => award(members[i % members.length], `bench-${runId}-spread-${i}`, 1 + (i % 10))),
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
      console.log(`ledger: ${rows[0].accounts} accounts, ${rows[0].unexplained} whose balance differs from the sum of its lines; ${lines[0].n} bench lines written (expected ${200 + 2 * awardsPerPhase})`);
    } finally {
      await sql.end();
    }
  } finally {
    await system.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error((error as Error).stack ?? String(error));
  process.exit(1);
});
