import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { INTERNAL_TOKEN_HEADER, signInternalToken, type Principal } from '@union/common';
import { Client } from 'pg';
import { demoPartnerAccessToken } from '../partner-token';
import { addBenchMembers } from './bench-members';
import { bounded, type GatewayAnswer, latencyColumns, outcomeOf, runBench, withThrowawaySystem } from './load';
import { cpuMs, pidListeningOn, pidServing } from './process-cpu';

/**
 * Our gateway against Hive Gateway (not a test): `node scripts/dist/bench/hive.js`.
 *
 * Installs `@graphql-hive/gateway` (HIVE_GATEWAY_VERSION, default 2.15.1) into a cache folder
 * (HIVE_GATEWAY_DIR, default ~/.cache/union-bench/hive-gateway) on first use, with
 * `npm install --prefix`: a peer to measure against, not a dependency of the project. Then starts
 * the whole system on a throw-away embedded PostgreSQL, and Hive Gateway in front of the same
 * running subgraphs, serving the committed schema/supergraph.graphql with its subgraph URLs
 * rewritten to theirs. Hive Gateway does no authentication of ours: the bench sends it a valid
 * internal token (the principal our gateway would derive from the partner token) and Hive
 * forwards it to every subgraph (propagateHeaders.fromClientToSubgraphs). Our gateway gets the
 * partner's bearer token and does all it always does (token, partner status, limits, budget,
 * scopes, access records).
 *
 * Two operations, each request for another member (Hive deduplicates identical in-flight
 * subgraph requests; identical requests would measure that, not the gateway), the two gateways
 * alternating phase by phase in the same run after an untimed warm-up round of both (BENCH_ROUNDS
 * timed rounds, default 2; BENCH_REQUESTS per
 * phase, default 1,500; BENCH_CONCURRENCY in flight, default 10):
 *   member(id) with organization     a city union's token narrowed to member:read (masked)
 *   federated member read            member(id) + points { balance } + vouchers { totalCount }
 * Prints requests/s and p50/p99 of each, the ratio ours / Hive, and the CPU milliseconds per
 * request of each gateway process (and of the subgraphs behind it).
 */

const HIVE_VERSION = process.env.HIVE_GATEWAY_VERSION ?? '2.15.1';
const HIVE_DIR = process.env.HIVE_GATEWAY_DIR ?? join(homedir(), '.cache', 'union-bench', 'hive-gateway');
const requests = Number(process.env.BENCH_REQUESTS ?? 1_500);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);

const MEMBER = `query MemberById($id: ID!) { member(id: $id) { id displayName cardNumber status organization { id name } } }`;
const FEDERATED = `query MemberWithBenefits($id: ID!) { member(id: $id) { id displayName status points { balance } vouchers { totalCount } } }`;

/** The Hive Gateway CLI in the cache folder, installed there first when it is not. */
function hiveGatewayBin(): string {
  const bin = join(HIVE_DIR, 'node_modules', '@graphql-hive', 'gateway', 'dist', 'bin.js');
  const installed = join(HIVE_DIR, 'node_modules', '@graphql-hive', 'gateway', 'package.json');
  if (existsSync(bin) && (JSON.parse(readFileSync(installed, 'utf8')) as { version: string }).version === HIVE_VERSION) {
    console.log(`Hive Gateway ${HIVE_VERSION} from ${HIVE_DIR}`);
    return bin;
  }
  console.log(
    `installing @graphql-hive/gateway@${HIVE_VERSION} into ${HIVE_DIR} (npm install --prefix; a benchmark peer, not a project dependency; about 100 s) ...`,
  );
  mkdirSync(HIVE_DIR, { recursive: true });
  const npm = spawnSync('npm', ['install', '--prefix', HIVE_DIR, '--no-audit', '--no-fund', '--no-save', `@graphql-hive/gateway@${HIVE_VERSION}`], {
    stdio: 'inherit',
  });
  if (npm.status !== 0 || !existsSync(bin)) throw new Error(`npm install of @graphql-hive/gateway@${HIVE_VERSION} into ${HIVE_DIR} failed`);
  return bin;
}

/** The committed supergraph with each subgraph's URL replaced by the running one's. */
function rewrittenSupergraph(urls: Record<string, string>): string {
  const sdl = readFileSync(join(__dirname, '..', '..', '..', 'schema', 'supergraph.graphql'), 'utf8');
  return sdl.replace(/@join__graph\(name: "([^"]+)", url: "[^"]*"\)/g, (whole, name: string) => {
    const url = urls[name];
    if (!url) throw new Error(`no running subgraph for ${name} of the supergraph`);
    return `@join__graph(name: "${name}", url: "${url}")`;
  });
}

async function waitForHive(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Hive Gateway exited with ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`Hive Gateway did not answer within 120 s:\n${output()}`);
}

/** Starts Hive Gateway on a free loopback port in a throw-away folder; resolves to its URL and a stop function. */
async function startHive(bin: string, urls: Record<string, string>): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'union-bench-hive-'));
  writeFileSync(join(dir, 'supergraph.graphql'), rewrittenSupergraph(urls));
  // The internal token the bench sends goes to every subgraph, as our gateway's own does.
  writeFileSync(
    join(dir, 'gateway.config.mjs'),
    `export const gatewayConfig = {
  logging: 'error',
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({ '${INTERNAL_TOKEN_HEADER}': request.headers.get('${INTERNAL_TOKEN_HEADER}') ?? undefined }),
  },
};
`,
  );
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  let output = '';
  const child = spawn(process.execPath, [bin, 'supergraph', 'supergraph.graphql', '--host', '127.0.0.1', '--port', String(port), '--fork', '1'], {
    cwd: dir,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}/graphql`;
  await waitForHive(url, child, () => output);
  return {
    url,
    pid: pidListeningOn(port) ?? child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The principal our gateway derives from one of its own access tokens (read, not verified: the bench issued it). */
function principalOfToken(token: string): Principal {
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as {
    sub: string;
    kind: string;
    name: string;
    scope: string;
    org?: string;
  };
  return {
    kind: claims.kind as Principal['kind'],
    id: claims.sub,
    name: claims.name,
    scopes: claims.scope.split(' ').filter(Boolean),
    organizationId: claims.org ?? null,
    actingPartnerId: null,
  };
}

interface Phase {
  perSecond: number;
  outcomes: Record<string, number>;
  /** CPU milliseconds per request by process. */
  cpu: Record<string, number>;
}

async function main(): Promise<void> {
  // Installed before the system starts: an install's failure costs no start-up.
  const bin = hiveGatewayBin();
  await withThrowawaySystem('hive', { env: { RATE_LIMIT_PER_MINUTE: '100000000' } }, async (system) => {
    const sql = new Client({ connectionString: system.databaseUrl, options: '-c search_path=member' });
    await sql.connect();
    let memberIds: string[];
    try {
      // Each request of every phase asks for another member: rounds x 2 gateways x requests, plus a warm-up.
      memberIds = await addBenchMembers(sql, system.credentials.partners.districtUnion.organizationId!, requests + 200);
    } finally {
      await sql.end();
    }
    const maskedToken = await demoPartnerAccessToken(system.credentials, 'cityUnion', { scope: 'member:read' });
    const unionToken = await demoPartnerAccessToken(system.credentials, 'cityUnion');
    // Valid for the whole run: Hive forwards it as it is.
    const ttl = 3_600;
    const maskedInternal = await signInternalToken(principalOfToken(maskedToken), system.secrets.INTERNAL_SECRET, ttl);
    const unionInternal = await signInternalToken(principalOfToken(unionToken), system.secrets.INTERNAL_SECRET, ttl);

    const subgraphUrls = system.subgraphUrls as Record<string, string>;
    const hive = await startHive(bin, subgraphUrls);
    try {
      const pids: Record<string, number | null> = {
        member: pidServing(subgraphUrls.member),
        benefit: pidServing(subgraphUrls.benefit),
        points: pidServing(subgraphUrls.points),
      };
      const gateways = {
        ours: { url: system.gatewayUrl, pid: pidServing(system.gatewayUrl) },
        hive: { url: hive.url, pid: hive.pid },
      };
      const post = async (url: string, headers: Record<string, string>, query: string, id: string): Promise<GatewayAnswer> => {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ query, variables: { id } }),
        });
        return (await response.json()) as GatewayAnswer;
      };
      const operations = [
        {
          name: 'member(id) with organization',
          query: MEMBER,
          ours: { authorization: `Bearer ${maskedToken}` },
          hive: { [INTERNAL_TOKEN_HEADER]: maskedInternal },
        },
        {
          name: 'member(id) + points + vouchers',
          query: FEDERATED,
          ours: { authorization: `Bearer ${unionToken}` },
          hive: { [INTERNAL_TOKEN_HEADER]: unionInternal },
        },
      ];

      // Both gateways answer the same before anything is timed.
      for (const operation of operations) {
        const [a, b] = await Promise.all([
          post(gateways.ours.url, operation.ours, operation.query, memberIds[0]),
          post(gateways.hive.url, operation.hive, operation.query, memberIds[0]),
        ]);
        if (JSON.stringify(a.data) !== JSON.stringify(b.data) || !a.data?.member) {
          throw new Error(`${operation.name}: the gateways answer differently:\nours ${JSON.stringify(a)}\nhive ${JSON.stringify(b)}`);
        }
      }

      console.log(`hive bench: ${requests} requests per phase, ${concurrency} in flight, each for another member, ${rounds} rounds`);
      for (const operation of operations) {
        const phases: Record<'ours' | 'hive', Phase[]> = { ours: [], hive: [] };
        // Round 0 is a warm-up of both, untimed: whichever went first would otherwise pay for the
        // JIT (and for PostgreSQL's first reads of the members) alone.
        for (let round = 0; round <= rounds; round++) {
          for (const which of ['ours', 'hive'] as const) {
            const gateway = gateways[which];
            const headers = which === 'ours' ? operation.ours : operation.hive;
            const send = async (i: number) => outcomeOf(await post(gateway.url, headers, operation.query, memberIds[i % memberIds.length]));
            if (round === 0) {
              await bounded(requests, concurrency, send);
              continue;
            }
            await bounded(100, concurrency, (i) => send(requests + i));
            const processes: Record<string, number | null> = { gateway: gateway.pid, ...pids };
            const before = Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, cpuMs(pid)]));
            const run = await bounded(requests, concurrency, (i) => send(i).catch((error: unknown) => `network: ${(error as Error).message}`));
            const cpu: Record<string, number> = {};
            for (const [name, pid] of Object.entries(processes)) {
              const after = cpuMs(pid);
              if (after !== null && before[name] !== null) cpu[name] = (after - (before[name] as number)) / requests;
            }
            const outcomes: Record<string, number> = {};
            for (const outcome of run.results) outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
            const sorted = run.latencies.sort((a, b) => a - b);
            phases[which].push({ perSecond: requests / run.seconds, outcomes, cpu });
            console.log(
              `  ${operation.name.padEnd(32)} ${which.padEnd(4)} round ${round}: ${(requests / run.seconds).toFixed(0).padStart(5)} req/s  ${latencyColumns(sorted, [50, 99])}  outcomes ${JSON.stringify(outcomes)}  CPU ms/request ${Object.entries(
                cpu,
              )
                .map(([name, ms]) => `${name} ${ms.toFixed(2)}`)
                .join(', ')}`,
            );
          }
        }
        const mean = (list: Phase[], pick: (p: Phase) => number) => list.reduce((sum, p) => sum + pick(p), 0) / list.length;
        const ours = mean(phases.ours, (p) => p.perSecond);
        const theirs = mean(phases.hive, (p) => p.perSecond);
        const gatewayCpu = (which: 'ours' | 'hive') => mean(phases[which], (p) => p.cpu.gateway ?? NaN);
        const totalCpu = (which: 'ours' | 'hive') => mean(phases[which], (p) => Object.values(p.cpu).reduce((a, b) => a + b, 0));
        console.log(
          `${operation.name}: ours ${ours.toFixed(0)} req/s, Hive Gateway ${theirs.toFixed(0)} req/s: ours is ${(ours / theirs).toFixed(2)}x Hive's throughput; ` +
            `gateway process CPU ms per request: ours ${gatewayCpu('ours').toFixed(2)}, Hive ${gatewayCpu('hive').toFixed(2)}; ` +
            `gateway + subgraphs: ours ${totalCpu('ours').toFixed(2)}, Hive ${totalCpu('hive').toFixed(2)}`,
        );
      }
    } finally {
      await hive.stop();
    }
  });
}

runBench(main);
