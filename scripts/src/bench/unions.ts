import { execFileSync } from 'node:child_process';
import { gatewayDataSource, PartnerRegistry } from '@union/gateway';
import { Client } from 'pg';
import { requestToken } from '../partner-token';
import { SCALE_ROOT_ID, seedScale } from '../seed-scale';
import type { LaunchedSystem } from '../system';
import { bounded, type GatewayAnswer, gatewayQuery, latencyColumns, percentile, runBench, withThrowawaySystem } from './load';

/**
 * Local-union reads at province scale (not a test): `node scripts/dist/bench/unions.js`.
 * Starts the whole system on a throw-away embedded PostgreSQL, loads BENCH_MEMBERS scale members
 * (default 1,000,000) with seed:scale, registers a UNION partner for the scale root, then measures
 * through the gateway, one request at a time (latency, not throughput), BENCH_REPEAT times each
 * (default 300):
 *   organization(root).stats                   maintained counters, one row
 *   organization(root).members page 1          first: 20
 *   organization(root).members page 500        the same, after walking 499 keyset cursors
 *   members totalCount with a filter           counted (no counter for arbitrary filters): once
 * and one full CSV and one NDJSON export of the root subtree through GET /exports/members: rows/s
 * and the peak resident memory of the member subgraph and the gateway processes while they stream
 * (BENCH_SERVICE_HEAP_MIB=96 caps the services' heaps below the size of the file, to show it streams).
 */

const memberCount = Number(process.env.BENCH_MEMBERS ?? 1_000_000);
const repeat = Number(process.env.BENCH_REPEAT ?? 300);
/** Caps every service's V8 heap (MiB): an export that built its file in memory would die, a streamed one does not. */
const serviceHeapMiB = process.env.BENCH_SERVICE_HEAP_MIB;

const STATS = `query ($id: ID!) { organization(id: $id) { stats { memberCount activeMemberCount realNameVerifiedCount realNameVerificationRate newEmploymentFormCount } } }`;
const PAGE = `query ($id: ID!, $after: String, $filter: MemberFilter) { organization(id: $id) { members(first: 20, after: $after, filter: $filter) {
  nodes { id cardNumber displayName status realNameVerified joinedAt organization { id name } } pageInfo { hasNextPage endCursor } } } }`;
const COUNT = `query ($id: ID!, $filter: MemberFilter) { organization(id: $id) { members(first: 0, filter: $filter) { totalCount } } }`;

/** A gateway request whose errors throw. */
async function graphql(system: LaunchedSystem, token: string, query: string, variables: Record<string, unknown>): Promise<GatewayAnswer> {
  const answer = await gatewayQuery(system, token, query, variables);
  if (answer.errors?.length) throw new Error(`${answer.errors[0]!.extensions?.code}: ${answer.errors[0]!.message}`);
  return answer;
}

/** `send` one request at a time, `times` times after a warm-up; prints and returns the latency percentiles. */
async function latency(name: string, times: number, send: () => Promise<unknown>): Promise<{ name: string; p50: number; p99: number; max: number }> {
  for (let i = 0; i < Math.min(20, times); i++) await send(); // warm-up: JIT, plan caches, buffer cache
  const samples = (await bounded(times, 1, send)).latencies.sort((a, b) => a - b);
  const result = { name, p50: percentile(samples, 50), p99: percentile(samples, 99), max: samples[samples.length - 1]! };
  console.log(`${name.padEnd(46)} ${String(times).padStart(5)} x  ${latencyColumns(samples, [50, 99], 7)}`);
  return result;
}

/** Resident set sizes (KiB) of this process's child services, by the script they run. */
function serviceMemory(): Record<string, number> {
  const out = execFileSync('ps', ['-o', 'pid=,rss=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  const rss: Record<string, number> = {};
  for (const line of out.trim().split('\n')) {
    const match = /^\s*\d+\s+(\d+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const name = /subgraphs\/(\w+)\/dist/.exec(match[2]!)?.[1] ?? (/gateway\/dist/.test(match[2]!) ? 'gateway' : null);
    if (name) rss[name] = Number(match[1]);
  }
  return rss;
}

async function main(): Promise<void> {
  const env = { RATE_LIMIT_PER_MINUTE: '100000000', ...(serviceHeapMiB ? { NODE_OPTIONS: `--max-old-space-size=${serviceHeapMiB}` } : {}) };
  await withThrowawaySystem('unions', { env }, async (system) => {
    if (serviceHeapMiB) console.log(`services run with --max-old-space-size=${serviceHeapMiB}`);
    console.log(`unions bench: loading ${memberCount.toLocaleString('en')} scale members ...`);
    const loaded = await seedScale(system.databaseUrl, { members: memberCount, log: (line) => console.log(`  ${line}`) });
    console.log(
      `loaded in ${loaded.seconds.total} s (organizations ${loaded.seconds.organizations} s, members ${loaded.seconds.members} s, ` +
        `counters ${loaded.seconds.counters} s, analyze ${loaded.seconds.analyze} s): ${Math.round(memberCount / loaded.seconds.members).toLocaleString('en')} members/s`,
    );
    const sql = new Client({ connectionString: system.databaseUrl });
    await sql.connect();
    const size = await sql.query(
      `SELECT pg_size_pretty(pg_total_relation_size('member.members')) AS members, pg_size_pretty(pg_database_size(current_database())) AS db`,
    );
    console.log(`members table with indexes: ${size.rows[0].members}; database: ${size.rows[0].db}`);

    // A UNION partner over the scale root, with an unlimited budget: the bench measures the service.
    const gatewayDb = gatewayDataSource({ databaseUrl: system.databaseUrl, dbSchema: 'gateway', poolSize: 1 });
    await gatewayDb.initialize();
    const { partner, clientSecret } = await new PartnerRegistry(gatewayDb).create({
      name: '规模测试省总工会',
      kind: 'UNION',
      organizationId: SCALE_ROOT_ID,
      rateLimitPerMinute: 100_000_000,
    });
    await gatewayDb.destroy();
    const token = (await requestToken(system.credentials.tokenUrl, { clientId: partner.clientId, clientSecret })).body.access_token;
    const root = { id: SCALE_ROOT_ID };

    console.log(`\nthrough ${system.gatewayUrl}, one request at a time:`);
    const stats = (await graphql(system, token, STATS, root)).data!.organization.stats;
    console.log(`root stats: ${JSON.stringify(stats)}`);
    await latency('organization(root).stats', repeat, () => graphql(system, token, STATS, root));
    await latency('organization(root).members first page (20)', repeat, () => graphql(system, token, PAGE, root));

    let after: string | null = null;
    const walkStarted = performance.now();
    for (let page = 1; page < 500; page++) {
      const answer: GatewayAnswer = await graphql(system, token, PAGE, { ...root, after });
      after = answer.data!.organization.members.pageInfo.endCursor;
    }
    console.log(
      `walked pages 1..499 in ${((performance.now() - walkStarted) / 1000).toFixed(1)} s (${((performance.now() - walkStarted) / 499).toFixed(1)} ms a page)`,
    );
    await latency('organization(root).members page 500 (20)', repeat, () => graphql(system, token, PAGE, { ...root, after }));
    await latency('members page 1, filter status SUSPENDED', Math.min(repeat, 100), () =>
      graphql(system, token, PAGE, { ...root, filter: { status: 'SUSPENDED' } }),
    );
    await latency('members totalCount, no filter (counters)', repeat, () => graphql(system, token, COUNT, root));
    await latency('members totalCount, filter SUSPENDED (counted)', 5, () => graphql(system, token, COUNT, { ...root, filter: { status: 'SUSPENDED' } }));

    for (const format of ['csv', 'ndjson'] as const) {
      const before = serviceMemory();
      const peak = { ...before };
      const sampler = setInterval(() => {
        for (const [name, kib] of Object.entries(serviceMemory())) peak[name] = Math.max(peak[name] ?? 0, kib);
      }, 100);
      const started = performance.now();
      const response = await fetch(`${system.baseUrl}/exports/members?organizationId=${SCALE_ROOT_ID}&format=${format}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (response.status !== 200) throw new Error(`export answered ${response.status}: ${await response.text()}`);
      let bytes = 0;
      let newlines = 0;
      let firstByteMs = 0;
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        if (bytes === 0) firstByteMs = performance.now() - started;
        bytes += chunk.length;
        for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) newlines++;
      }
      clearInterval(sampler);
      const seconds = (performance.now() - started) / 1000;
      const rows = format === 'csv' ? newlines - 1 : newlines;
      const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;
      console.log(
        `\nexport ${format}: ${rows.toLocaleString('en')} rows, ${(bytes / 1024 / 1024).toFixed(0)} MiB in ${seconds.toFixed(1)} s = ` +
          `${Math.round(rows / seconds).toLocaleString('en')} rows/s (first byte after ${firstByteMs.toFixed(0)} ms)`,
      );
      for (const name of ['member', 'gateway']) {
        console.log(`  ${name.padEnd(8)} RSS before ${mib(before[name] ?? 0).padStart(8)}, peak while streaming ${mib(peak[name] ?? 0).padStart(8)}`);
      }
    }
    const audits = await sql.query(`SELECT format, status, row_count FROM member.member_exports ORDER BY started_at`);
    console.log(`\naudit trail: ${audits.rows.map((r) => `${r.format} ${r.status} ${r.row_count}`).join('; ')}`);
    await sql.end();
  });
}

runBench(main);
