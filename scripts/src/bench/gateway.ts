import { INTERNAL_TOKEN_HEADER, signInternalToken, type Principal } from '@union/common';
import { demoPartnerAccessToken } from '../partner-token';
import { runBench, withThrowawaySystem } from './load';
import { cpuMs, pidServing } from './process-cpu';

/**
 * Gateway overhead benchmark (not a test): `node scripts/dist/bench/gateway.js`.
 *
 * Starts the whole system on a throw-away embedded PostgreSQL, then drives the same member-by-id
 * query with autocannon (BENCH_CONNECTIONS connections, default 10, BENCH_SECONDS per phase,
 * default 10) in BENCH_ROUNDS alternating rounds (default 3) of two phases: through the gateway
 * with a partner's bearer token (JWT check, partner status, limits, rate limit, scope check,
 * query plan, internal token, subgraph fetch), and straight to the member subgraph with an
 * internal token. Prints requests/s, p50/p99 and the ratio of each round, then the median ratio.
 * The caller is a city union whose token is narrowed to member:read, so the answer is
 * masked and no access record is written: the number measures the gateway, not the audit trail.
 *
 * On a shared machine throughput moves with whatever else runs; the CPU milliseconds each
 * process spent per request (read from /proc, Linux only) move much less, so they are printed too.
 */

// autocannon ships no type declarations; this is the part of its API used here.
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
/** Rounds of the two phases, alternating (BENCH_ROUNDS, default 3). */
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

const QUERY = `query MemberById($id: ID!) { member(id: $id) { id displayName cardNumber status organization { id name } } }`;

interface Phase {
  name: string;
  perSecond: number;
  p50: number;
  p99: number;
  total: number;
  failures: number;
  /** CPU milliseconds per request, by process name. */
  cpuPerRequest: Record<string, number>;
}

async function run(
  name: string,
  url: string,
  headers: Record<string, string>,
  body: string,
  duration: number,
  processes: Record<string, number | null> = {},
): Promise<Phase> {
  const before = Object.fromEntries(Object.entries(processes).map(([label, pid]) => [label, cpuMs(pid)]));
  const result = await autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, connections, duration });
  const cpuPerRequest: Record<string, number> = {};
  for (const [label, pid] of Object.entries(processes)) {
    const after = cpuMs(pid);
    if (after !== null && before[label] !== null) cpuPerRequest[label] = (after - (before[label] as number)) / Math.max(1, result.requests.total);
  }
  return {
    name,
    perSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    failures: result.non2xx + result.errors,
    cpuPerRequest,
  };
}

function print(phase: Phase): void {
  const cpu = Object.entries(phase.cpuPerRequest)
    .map(([label, ms]) => `${label} ${ms.toFixed(3)} ms`)
    .join(', ');
  console.log(
    `${phase.name.padEnd(34)} ${phase.perSecond.toFixed(0).padStart(6)} req/s  p50 ${phase.p50.toFixed(1).padStart(5)} ms  p99 ${phase.p99.toFixed(1).padStart(5)} ms  (${phase.total} requests, ${phase.failures} failed)${cpu ? `  CPU per request: ${cpu}` : ''}`,
  );
}

async function main(): Promise<void> {
  // Measures the gateway, not the per-partner budget: one token sends every request.
  await withThrowawaySystem('gateway', { env: { RATE_LIMIT_PER_MINUTE: '100000000' } }, async (system) => {
    const token = await demoPartnerAccessToken(system.credentials, 'cityUnion', { scope: 'member:read' });
    const member = system.credentials.members[0];
    const body = JSON.stringify({ query: QUERY, variables: { id: member.id }, operationName: 'MemberById' });

    // Check both paths answer the same before timing anything.
    const viaGateway = await fetch(system.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    });
    const gatewayAnswer = (await viaGateway.json()) as { data?: { member?: { id: string } } };
    if (gatewayAnswer.data?.member?.id !== member.id) throw new Error(`gateway answered ${JSON.stringify(gatewayAnswer)}`);
    const principal: Principal = {
      kind: 'UNION',
      id: system.credentials.partners.cityUnion.id,
      name: 'bench',
      scopes: ['member:read'],
      organizationId: system.credentials.partners.cityUnion.organizationId,
      actingPartnerId: null,
    };
    const internalToken = await signInternalToken(principal, system.secrets.INTERNAL_SECRET, seconds * 4 + 120);
    const direct = await fetch(system.subgraphUrls.member, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: internalToken },
      body,
    });
    const directAnswer = (await direct.json()) as { data?: { member?: { id: string } } };
    if (directAnswer.data?.member?.id !== member.id) throw new Error(`member subgraph answered ${JSON.stringify(directAnswer)}`);

    console.log(`gateway bench: member by id, ${connections} connections, ${seconds} s per phase`);
    await run('warm-up', system.gatewayUrl, { authorization: `Bearer ${token}` }, body, 2);
    await run('warm-up', system.subgraphUrls.member, { [INTERNAL_TOKEN_HEADER]: internalToken }, body, 2);
    const processes = {
      gateway: pidServing(system.gatewayUrl),
      member: pidServing(system.subgraphUrls.member),
    };
    // Side by side in alternating rounds: on a shared machine one pair of phases can land on a
    // slow moment for either side, so each round's ratio is printed and the median is the figure.
    const ratios: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      const subgraph = await run(
        `round ${round}: member subgraph, internal token`,
        system.subgraphUrls.member,
        { [INTERNAL_TOKEN_HEADER]: internalToken },
        body,
        seconds,
        processes,
      );
      const gateway = await run(
        `round ${round}: gateway, partner bearer token`,
        system.gatewayUrl,
        { authorization: `Bearer ${token}` },
        body,
        seconds,
        processes,
      );
      print(subgraph);
      print(gateway);
      ratios.push(gateway.perSecond / subgraph.perSecond);
      console.log(
        `round ${round}: the gateway's throughput is ${ratios[ratios.length - 1]!.toFixed(2)}x the subgraph's alone (p50 ${(gateway.p50 / Math.max(subgraph.p50, 0.1)).toFixed(1)}x the subgraph's)` +
          (gateway.cpuPerRequest.gateway !== undefined && gateway.cpuPerRequest.member !== undefined
            ? `; gateway process ${gateway.cpuPerRequest.gateway.toFixed(3)} CPU ms per request, the member subgraph behind it ${gateway.cpuPerRequest.member.toFixed(3)}`
            : ''),
      );
    }
    const sorted = [...ratios].sort((a, b) => a - b);
    console.log(
      `the gateway's throughput over ${rounds} rounds: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)}x the subgraph's alone (${ratios.map((r) => r.toFixed(2)).join(', ')})`,
    );
  });
}

runBench(main);
