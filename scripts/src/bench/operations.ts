import { Client } from 'pg';
import { demoPartnerAccessToken } from '../partner-token';
import type { LaunchedSystem } from '../system';
import { addBenchMembers, memberTokenMinter, rushBatchInput } from './bench-members';
import { type GatewayAnswer, outcomeOf, runBench, withThrowawaySystem } from './load';
import { cpuPerRequest, type CpuReaders, sampleCpu, systemCpuReaders } from './process-cpu';

/**
 * What one partner operation costs the whole system (not a test): `node scripts/dist/bench/operations.js`.
 *
 * Starts the whole system on a throw-away embedded PostgreSQL, adds BENCH_MEMBERS (default 3,000)
 * members to the district union, then sends BENCH_REQUESTS (default = BENCH_MEMBERS) requests of
 * each operation through the gateway, BENCH_CONCURRENCY (default 10) in flight, each request for
 * another member (no cache or deduplication of identical requests helps), after BENCH_WARMUP
 * (default 1,000) untimed requests of the same operation for other members:
 *   member(id) with organization        a city union's token narrowed to member:read (masked, no access record)
 *   federated member read               member(id) + points { balance } + vouchers { totalCount }, the city union's token
 *   me { id displayName }               member tokens
 *   claimVoucher                        member tokens, one claim each on a batch as large as the phase: every claim succeeds
 * For each it prints requests/s, p50/p99, and per request: CPU milliseconds of every process
 * (gateway, member, benefit, points, events, PostgreSQL: read from /proc, Linux only), their sum, and the
 * SQL statements each subgraph sent (union_db_statements_total from its /metrics).
 */

const memberCount = Number(process.env.BENCH_MEMBERS ?? 3_000);
const requests = Number(process.env.BENCH_REQUESTS ?? memberCount);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 10);
const warmup = Number(process.env.BENCH_WARMUP ?? 1_000);
const only = process.env.BENCH_ONLY?.split(',');

const MEMBER = `query MemberById($id: ID!) { member(id: $id) { id displayName cardNumber status organization { id name } } }`;
const FEDERATED = `query MemberWithBenefits($id: ID!) { member(id: $id) { id displayName status points { balance } vouchers { totalCount } } }`;
const ME = `query Me { me { id displayName } }`;
const CLAIM = `mutation Claim($b: ID!) { claimVoucher(batchId: $b) { id } }`;

type Subgraph = 'member' | 'benefit' | 'points';
const SUBGRAPHS: Subgraph[] = ['member', 'benefit', 'points'];

/** One request through the gateway: whose token, and the GraphQL body. */
interface GatewayRequest {
  token: string;
  query: string;
  variables: Record<string, unknown>;
}

async function post(system: LaunchedSystem, token: string, query: string, variables: Record<string, unknown>): Promise<GatewayAnswer> {
  const response = await fetch(system.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GatewayAnswer;
}

// autocannon ships no type declarations; this is the part of its API used here.
interface AutocannonResult {
  duration: number;
  latency: { p50: number; p99: number; max: number };
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

/**
 * `count` requests with `concurrency` in flight, sent by autocannon: a load generator that costs
 * far less CPU per request than fetch, so it takes less of the 2 cores from the processes measured.
 * Each request is built as it is sent (another member, another token); outcomes are read from the answers.
 */
async function drive(system: LaunchedSystem, count: number, build: (i: number) => GatewayRequest) {
  let next = 0;
  const outcomes: Record<string, number> = {};
  const url = new URL(system.gatewayUrl);
  const result = await autocannon({
    url: url.origin,
    connections: concurrency,
    amount: count,
    requests: [
      {
        method: 'POST',
        path: url.pathname,
        setupRequest: (request: Record<string, unknown>) => {
          const { token, query, variables } = build(next++);
          return {
            ...request,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ query, variables }),
          };
        },
        onResponse: (status: number, body: string) => {
          let outcome = `HTTP ${status}`;
          try {
            outcome = outcomeOf(JSON.parse(body) as GatewayAnswer);
          } catch {
            // not JSON: the status says it
          }
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        },
      },
    ],
  });
  return { outcomes, seconds: result.duration, latency: result.latency };
}

/** union_db_statements_total of each subgraph, from its /metrics. */
async function statements(system: LaunchedSystem): Promise<Record<Subgraph, number>> {
  const counts = await Promise.all(
    SUBGRAPHS.map(async (name) => {
      const text = await (await fetch(new URL('/metrics', system.subgraphUrls[name]))).text();
      return Number(/^union_db_statements_total\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? NaN);
    }),
  );
  return Object.fromEntries(SUBGRAPHS.map((name, i) => [name, counts[i]])) as Record<Subgraph, number>;
}

interface Operation {
  name: string;
  /** Request i: another member (and token) for each i. */
  request(i: number): GatewayRequest;
}

async function measure(system: LaunchedSystem, readers: CpuReaders, operation: Operation): Promise<void> {
  // A warm-up outside the figures (JIT, pools, plans), for other members than the measured ones:
  // with 100 requests the first operation of a run still paid its processes' JIT in its figures.
  await drive(system, warmup, (i) => operation.request(requests + i));
  const cpuBefore = sampleCpu(readers);
  const statementsBefore = await statements(system);
  const run = await drive(system, requests, (i) => operation.request(i));
  const cpuAfter = sampleCpu(readers);
  const statementsAfter = await statements(system);
  const cpu = cpuPerRequest(cpuBefore, cpuAfter, requests);
  const total = Object.values(cpu).reduce((a, b) => a + b, 0);
  // The /metrics reads themselves are not SQL; the warm-up ended before the first read.
  const sql = SUBGRAPHS.map((name) => `${name} ${((statementsAfter[name] - statementsBefore[name]) / requests).toFixed(2)}`).join(', ');
  console.log(`${operation.name}`);
  console.log(
    `  ${(requests / run.seconds).toFixed(0)} req/s  p50 ${run.latency.p50.toFixed(1)} ms  p99 ${run.latency.p99.toFixed(1)} ms  max ${run.latency.max.toFixed(1)} ms  outcomes ${JSON.stringify(run.outcomes)}`,
  );
  console.log(
    `  CPU ms per request: ${Object.entries(cpu)
      .map(([name, ms]) => `${name} ${ms.toFixed(2)}`)
      .join(', ')}  = ${total.toFixed(2)} total`,
  );
  console.log(`  SQL statements per request: ${sql}`);
}

async function main(): Promise<void> {
  await withThrowawaySystem('operations', { env: { RATE_LIMIT_PER_MINUTE: '100000000' } }, async (system, dataDir) => {
    const sql = new Client({ connectionString: system.databaseUrl, options: '-c search_path=member' });
    await sql.connect();
    try {
      // The warm-up asks for other members than the measured requests.
      const memberIds = await addBenchMembers(sql, system.credentials.partners.districtUnion.organizationId!, requests + warmup);
      const memberOf = (i: number) => memberIds[i % memberIds.length];
      const mint = await memberTokenMinter(dataDir, system);
      const memberTokens = await Promise.all(memberIds.map(mint));
      const maskedToken = await demoPartnerAccessToken(system.credentials, 'cityUnion', { scope: 'member:read' });
      const unionToken = await demoPartnerAccessToken(system.credentials, 'cityUnion');

      const readers = systemCpuReaders(system);

      const batch = await post(system, unionToken, `mutation ($input: CreateVoucherBatchInput!) { createVoucherBatch(input: $input) { id } }`, {
        input: rushBatchInput(memberIds.length),
      });
      const batchId = batch.data?.createVoucherBatch?.id as string | undefined;
      if (!batchId) throw new Error(`createVoucherBatch failed: ${JSON.stringify(batch.errors)}`);

      const memberToken = (i: number) => memberTokens[i % memberTokens.length];
      const operations: Operation[] = [
        { name: 'member(id) with organization, partner token', request: (i) => ({ token: maskedToken, query: MEMBER, variables: { id: memberOf(i) } }) },
        {
          name: 'member(id) + points { balance } + vouchers { totalCount }',
          request: (i) => ({ token: unionToken, query: FEDERATED, variables: { id: memberOf(i) } }),
        },
        { name: 'me { id displayName }, member tokens', request: (i) => ({ token: memberToken(i), query: ME, variables: {} }) },
        { name: 'claimVoucher, member tokens, every claim succeeds', request: (i) => ({ token: memberToken(i), query: CLAIM, variables: { b: batchId } }) },
      ];
      // Every read answers before anything is timed (a claim would take a voucher).
      for (const operation of operations.slice(0, 3)) {
        const { token, query, variables } = operation.request(0);
        const outcome = outcomeOf(await post(system, token, query, variables));
        if (outcome !== 'ok') throw new Error(`${operation.name}: ${outcome}`);
      }
      console.log(`operations bench: ${requests} requests per operation, ${concurrency} in flight, each for another member, through ${system.gatewayUrl}`);
      for (const [index, operation] of operations.entries()) {
        if (only && !only.includes(String(index + 1))) continue;
        await measure(system, readers, operation);
      }
    } finally {
      await sql.end();
    }
  });
}

runBench(main);
