import { execFileSync } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { totalmem } from 'node:os';
import { gatewayDataSource, PartnerRegistry } from '@union/gateway';
import { Client } from 'pg';
import { CardTokenCodec } from '@union/member-subgraph/dist/modules/verification/card-token';
import { demoPartnerAccessToken, requestToken } from '../partner-token';
import { SCALE_ROOT_ID, seedScale } from '../seed-scale';
import type { LaunchedSystem } from '../system';
import { cpuPerRequest, pidServing, rssKiB, sampleCpu, systemCpuReaders } from './process-cpu';
import { bounded, type GatewayAnswer, gatewayQuery, latencyColumns, percentile, phase, runBench, withThrowawaySystem } from './load';

/**
 * Local-union reads at province scale (not a test): `node scripts/dist/bench/unions.js`.
 * Starts the whole system on a throw-away embedded PostgreSQL (max_wal_size raised for the bulk
 * load: a throw-away database; shared_buffers a quarter of the memory, BENCH_SHARED_BUFFERS),
 * loads BENCH_MEMBERS scale members (default 1,000,000; issue 12 goal 5 runs 15,000,000) with
 * seed:scale into ~131,000 organizations, prints the load's rows/s and the size on disk, registers
 * a UNION partner for the scale root, then measures through the gateway, one request at a time
 * (latency, not throughput), BENCH_REPEAT times each (default 300):
 *   organization(root).stats                   maintained counters, one row
 *   organization(root|city).members page 1     first: 20 (city: the one with the most members)
 *   organization(root|city).members page 500   the same, after walking 499 keyset cursors
 *   members totalCount with filters            counters where they answer, else the bounded count
 *                                              (totalCountIsExact says which), at the root and the city
 *   verifyMemberCard                           the hospital bench's flow over 100 scale members,
 *                                              BENCH_CONCURRENCY (10) in flight, BENCH_VERIFY_REQUESTS (2000)
 * and one CSV and one NDJSON export (GET /exports/members; BENCH_EXPORT_FORMATS) of BENCH_EXPORT
 * (root | city, default city from 5,000,000 members on, else root): rows/s and the peak resident
 * memory of the member subgraph and the gateway processes while they stream
 * (BENCH_SERVICE_HEAP_MIB=96 caps the services' heaps below the size of the file, to show it
 * streams).
 */

const memberCount = Number(process.env.BENCH_MEMBERS ?? 1_000_000);
const repeat = Number(process.env.BENCH_REPEAT ?? 300);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 10);
const verifyRequests = Number(process.env.BENCH_VERIFY_REQUESTS ?? 2000);
const exportScope = process.env.BENCH_EXPORT ?? (memberCount >= 5_000_000 ? 'city' : 'root');
/** Which measurements run (a comma list of stats, pages, totals, verify, export; default all). */
const phases = new Set((process.env.BENCH_PHASES ?? 'stats,pages,totals,verify,export').split(','));
/**
 * PostgreSQL's own cache (shared_buffers), by default a quarter of the machine's memory as a
 * database server would be set up (PostgreSQL's default, 128MB, suits a laptop's demo): at 15
 * million members an export reads the heap in subtree order, one page per member, and with 128MB
 * most of those pages came from the kernel's cache through a read() each.
 */
const sharedBuffers = process.env.BENCH_SHARED_BUFFERS ?? `${Math.floor(totalmem() / 4 / 1024 / 1024)}MB`;
/**
 * The exports to run, in order (BENCH_EXPORT_FORMATS, default csv,ndjson). The first after a start
 * meets PostgreSQL's cache empty; `csv,ndjson,csv` shows the CSV warm too.
 */
const exportFormats = (process.env.BENCH_EXPORT_FORMATS ?? 'csv,ndjson').split(',').map((format) => {
  if (format !== 'csv' && format !== 'ndjson') throw new Error(`BENCH_EXPORT_FORMATS: unknown format ${format}`);
  return format;
});
/** Caps every service's V8 heap (MiB): an export that built its file in memory would die, a streamed one does not. */
const serviceHeapMiB = process.env.BENCH_SERVICE_HEAP_MIB;

const STATS = `query ($id: ID!) { organization(id: $id) { stats { memberCount activeMemberCount realNameVerifiedCount realNameVerificationRate newEmploymentFormCount } } }`;
const PAGE = `query ($id: ID!, $after: String, $filter: MemberFilter) { organization(id: $id) { members(first: 20, after: $after, filter: $filter) {
  nodes { id cardNumber displayName status realNameVerified joinedAt organization { id name } } pageInfo { hasNextPage endCursor } } } }`;
const COUNT = `query ($id: ID!, $filter: MemberFilter) { organization(id: $id) { members(first: 0, filter: $filter) { totalCount totalCountIsExact } } }`;
const VERIFY = `mutation ($token: String!) { verifyMemberCard(token: $token, purpose: HOSPITAL_DISCOUNT) { valid reason verificationId } }`;

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

/**
 * Resident set sizes (KiB) of the member subgraph and the gateway, read from /proc: sampled every
 * 100 ms while an export streams, so it must not stall the reader (running ps did, for tens of ms
 * each time, and cost the download a third of its rate).
 */
function serviceMemoryReader(system: LaunchedSystem): () => Record<string, number> {
  const pids = { member: pidServing(system.subgraphUrls.member), gateway: pidServing(system.gatewayUrl) };
  return () => {
    const rss: Record<string, number> = {};
    for (const [name, pid] of Object.entries(pids)) {
      const kib = rssKiB(pid);
      if (kib !== null) rss[name] = kib;
    }
    return rss;
  };
}

/** Walks 499 pages of an organization's members, then measures page 500 and page 1. */
async function pages(system: LaunchedSystem, token: string, label: string, id: string): Promise<void> {
  await latency(`${label} members first page (20)`, repeat, () => graphql(system, token, PAGE, { id }));
  let after: string | null = null;
  const walkStarted = performance.now();
  for (let page = 1; page < 500; page++) {
    const answer: GatewayAnswer = await graphql(system, token, PAGE, { id, after });
    after = answer.data!.organization.members.pageInfo.endCursor;
  }
  const walked = performance.now() - walkStarted;
  console.log(`${label}: walked pages 1..499 in ${(walked / 1000).toFixed(1)} s (${(walked / 499).toFixed(1)} ms a page)`);
  await latency(`${label} members page 500 (20)`, repeat, () => graphql(system, token, PAGE, { id, after }));
}

/** totalCount under a filter: the answer, whether it is exact, and its latency. */
async function totals(system: LaunchedSystem, token: string, label: string, id: string): Promise<void> {
  const filters: Array<[string, Record<string, unknown>]> = [
    ['no filter', {}],
    ['status ACTIVE', { status: 'ACTIVE' }],
    ['realNameVerified false', { realNameVerified: false }],
    ['status SUSPENDED', { status: 'SUSPENDED' }],
    ['status TRANSFERRED_OUT', { status: 'TRANSFERRED_OUT' }],
    ['SUSPENDED + newEmploymentForm', { status: 'SUSPENDED', newEmploymentForm: true }],
    ['joined in 2024', { joinedFrom: '2024-01-01', joinedTo: '2024-12-31' }],
    ['joined on 2015-01-01 + LAPSED', { joinedFrom: '2015-01-01', joinedTo: '2015-01-01', status: 'LAPSED' }],
  ];
  for (const [name, filter] of filters) {
    // Every answer is kept: a count cut off by the statement timeout answers 0, not exact.
    const answers = new Map<string, number>();
    const r = await latency(`${label} totalCount, ${name}`, Math.min(repeat, 50), async () => {
      const answer = (await graphql(system, token, COUNT, { id, filter })).data!.organization.members;
      const key = `${answer.totalCount.toLocaleString('en')} (${answer.totalCountIsExact ? 'exact' : 'lower bound'})`;
      answers.set(key, (answers.get(key) ?? 0) + 1);
    });
    const seen = [...answers].map(([key, n]) => `${key} x${n}`).join(', ');
    console.log(`${''.padEnd(48)} = ${seen}${r.max > 200 ? '  OVER 200 ms' : ''}`);
  }
}

async function verifyCards(system: LaunchedSystem, sql: Client): Promise<void> {
  // verifyMemberCard: the hospital bench's phase (fresh codes made with the platform's key, 100
  // members, BENCH_CONCURRENCY in flight), here over active scale members spread over the province.
  const hospital = await demoPartnerAccessToken(system.credentials, 'hospital');
  const sampled = (
    await sql.query(
      `SELECT id FROM member.members TABLESAMPLE SYSTEM (1) REPEATABLE (7) WHERE status = 'ACTIVE' AND org_path >= (SELECT path FROM member.organizations WHERE id = $1) LIMIT 100`,
      [SCALE_ROOT_ID],
    )
  ).rows.map((r) => r.id as string);
  const codec = new CardTokenCodec(system.secrets.CARD_TOKEN_SECRET);
  const scan = async (i: number, codes: string[]) => {
    const answer = await gatewayQuery(system, hospital, VERIFY, { token: codes[i] });
    const v = answer.data?.verifyMemberCard;
    return v ? (v.valid ? 'valid' : v.reason) : (answer.errors?.[0]?.extensions?.code ?? 'error');
  };
  const warmCodes = Array.from({ length: 200 }, (_, i) => codec.issue(sampled[i % sampled.length]!).token);
  await phase('warm-up', 200, concurrency, (i) => scan(i, warmCodes));
  const codes = Array.from({ length: verifyRequests }, (_, i) => codec.issue(sampled[i % sampled.length]!).token);
  const verified = await phase('verifyMemberCard', verifyRequests, concurrency, (i) => scan(i, codes));
  console.log(
    `\nverifyMemberCard (fresh codes, ${sampled.length} scale members, ${concurrency} in flight): ${verifyRequests} in ${verified.seconds.toFixed(1)} s = ` +
      `${verified.perSecond.toFixed(0)} req/s  ${latencyColumns(verified.latencies, [50, 99], 6)}  ${JSON.stringify(verified.outcomes)}`,
  );
}

/**
 * Reads an export over node:http and counts its line feeds with memchr: the reader shares the two
 * cores with what it measures (fetch's web stream cost it about twice the CPU per row).
 */
function download(url: string, token: string): Promise<{ bytes: number; newlines: number; chunks: number; firstByteMs: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    httpGet(url, { headers: { authorization: `Bearer ${token}` } }, (response) => {
      if (response.statusCode !== 200) {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk));
        response.on('end', () => reject(new Error(`export answered ${response.statusCode}: ${body}`)));
        return;
      }
      let bytes = 0;
      let newlines = 0;
      let chunks = 0;
      let firstByteMs = 0;
      response.on('data', (chunk: Buffer) => {
        if (bytes === 0) firstByteMs = performance.now() - started;
        bytes += chunk.length;
        chunks += 1;
        for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) newlines++;
      });
      response.on('end', () => resolve({ bytes, newlines, chunks, firstByteMs }));
      response.on('error', reject);
    }).on('error', reject);
  });
}

async function main(): Promise<void> {
  const env = { RATE_LIMIT_PER_MINUTE: '100000000', ...(serviceHeapMiB ? { NODE_OPTIONS: `--max-old-space-size=${serviceHeapMiB}` } : {}) };
  await withThrowawaySystem('unions', { env, postgresSettings: { shared_buffers: sharedBuffers } }, async (system, dataDir) => {
    if (serviceHeapMiB) console.log(`services run with --max-old-space-size=${serviceHeapMiB}`);
    const sql = new Client({ connectionString: system.databaseUrl });
    // When a phase fails, the system stops before the failure is printed: this connection's end must not hide it.
    sql.on('error', () => undefined);
    await sql.connect();
    // A throw-away database: checkpoints far apart during the bulk load (its WAL is written anyway).
    await sql.query(`ALTER SYSTEM SET max_wal_size = '16GB'`);
    await sql.query(`ALTER SYSTEM SET checkpoint_timeout = '30min'`);
    await sql.query('SELECT pg_reload_conf()');
    const settings = await sql.query(
      `SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'max_wal_size', 'work_mem', 'max_parallel_maintenance_workers') ORDER BY name`,
    );
    console.log(`postgres: ${settings.rows.map((r) => `${r.name}=${r.setting}${r.unit ?? ''}`).join(', ')}; maintenance_work_mem 1GB for the load`);

    const already = await sql.query(`SELECT s.member_count FROM member.organization_stats s WHERE s.organization_id = $1`, [SCALE_ROOT_ID]);
    if (already.rowCount) {
      console.log(`unions bench: ${Number(already.rows[0].member_count).toLocaleString('en')} scale members already loaded in ${dataDir} (BENCH_DATA_DIR)`);
    } else {
      console.log(`unions bench: loading ${memberCount.toLocaleString('en')} scale members ...`);
      const loaded = await seedScale(system.databaseUrl, { members: memberCount, log: (line) => console.log(`  ${line}`) });
      const s = loaded.seconds;
      console.log(
        `loaded ${loaded.organizations.toLocaleString('en')} organizations and ${memberCount.toLocaleString('en')} members in ${s.total} s ` +
          `(organizations ${s.organizations} s, member rows ${s.members} s = ${Math.round(memberCount / s.members).toLocaleString('en')} rows/s, ` +
          `counters ${s.counters} s, indexes and keys ${s.indexes} s, vacuum + analyze ${s.analyze} s): ` +
          `${Math.round(memberCount / s.total).toLocaleString('en')} members/s overall`,
      );
    }
    const size = await sql.query(
      `SELECT pg_size_pretty(pg_relation_size('member.members')) AS heap, pg_size_pretty(pg_indexes_size('member.members')) AS indexes,
              pg_size_pretty(pg_total_relation_size('member.members')) AS members, pg_size_pretty(pg_database_size(current_database())) AS db`,
    );
    const indexSizes = await sql.query(
      `SELECT indexrelid::regclass AS name, pg_size_pretty(pg_relation_size(indexrelid)) AS size FROM pg_index WHERE indrelid = 'member.members'::regclass ORDER BY 1`,
    );
    const du = execFileSync('du', ['-sh', dataDir], { encoding: 'utf8' }).split('\t')[0];
    console.log(
      `members: heap ${size.rows[0].heap}, indexes ${size.rows[0].indexes} (${indexSizes.rows.map((r) => `${r.name} ${r.size}`).join(', ')}), ` +
        `total ${size.rows[0].members}; database ${size.rows[0].db}; data directory on disk (with WAL) ${du}`,
    );

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
    // Access tokens expire within the bench's run at 15 million members: each phase takes a fresh one.
    const freshToken = async () => (await requestToken(system.credentials.tokenUrl, { clientId: partner.clientId, clientSecret })).body.access_token as string;
    let token = await freshToken();
    const root = { id: SCALE_ROOT_ID };
    const city = (
      await sql.query(
        `SELECT o.id, o.name, s.member_count FROM member.organizations o JOIN member.organization_stats s ON s.organization_id = o.id
          WHERE o.parent_id = $1 ORDER BY s.member_count DESC LIMIT 1`,
        [SCALE_ROOT_ID],
      )
    ).rows[0] as { id: string; name: string; member_count: string };
    console.log(`city: ${city.name} (${Number(city.member_count).toLocaleString('en')} members)`);

    console.log(`\nthrough ${system.gatewayUrl}, one request at a time:`);
    const stats = (await graphql(system, token, STATS, root)).data!.organization.stats;
    console.log(`root stats: ${JSON.stringify(stats)}`);
    if (phases.has('stats')) await latency('organization(root).stats', repeat, () => graphql(system, token, STATS, root));
    if (phases.has('stats')) await latency('organization(city).stats', repeat, () => graphql(system, token, STATS, { id: city.id }));
    token = await freshToken();
    if (phases.has('pages')) await pages(system, token, 'root', SCALE_ROOT_ID);
    token = await freshToken();
    if (phases.has('pages')) await pages(system, token, 'city', city.id);
    if (phases.has('pages'))
      await latency('city members page 1, filter status SUSPENDED', Math.min(repeat, 100), () =>
        graphql(system, token, PAGE, { id: city.id, filter: { status: 'SUSPENDED' } }),
      );
    token = await freshToken();
    if (phases.has('totals')) await totals(system, token, 'root', SCALE_ROOT_ID);
    token = await freshToken();
    if (phases.has('totals')) await totals(system, token, 'city', city.id);

    if (phases.has('verify')) await verifyCards(system, sql);

    token = await freshToken();
    const exported = exportScope === 'city' ? city.id : SCALE_ROOT_ID;
    const cpuReaders = systemCpuReaders(system);
    const serviceMemory = serviceMemoryReader(system);
    for (const format of phases.has('export') ? exportFormats : []) {
      const cpuBefore = sampleCpu(cpuReaders);
      const before = serviceMemory();
      const peak = { ...before };
      const sampler = setInterval(() => {
        for (const [name, kib] of Object.entries(serviceMemory())) peak[name] = Math.max(peak[name] ?? 0, kib);
      }, 100);
      const loadGeneratorCpu = process.cpuUsage();
      const started = performance.now();
      const { bytes, newlines, chunks, firstByteMs } = await download(`${system.baseUrl}/exports/members?organizationId=${exported}&format=${format}`, token);
      clearInterval(sampler);
      const seconds = (performance.now() - started) / 1000;
      const rows = format === 'csv' ? newlines - 1 : newlines;
      const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;
      console.log(
        `\nexport ${format} of ${exportScope === 'city' ? city.name : 'the root'}: ${rows.toLocaleString('en')} rows, ${(bytes / 1024 / 1024).toFixed(0)} MiB in ${seconds.toFixed(1)} s = ` +
          `${Math.round(rows / seconds).toLocaleString('en')} rows/s (first byte after ${firstByteMs.toFixed(0)} ms; ${chunks.toLocaleString('en')} reads of ${(bytes / chunks / 1024).toFixed(1)} KiB on average)`,
      );
      const cpu = cpuPerRequest(cpuBefore, sampleCpu(cpuReaders), 1);
      const generator = process.cpuUsage(loadGeneratorCpu);
      console.log(
        `  CPU while streaming (share of one core): ${Object.entries(cpu)
          .filter(([, ms]) => ms > 0)
          .map(([name, ms]) => `${name} ${((ms / 1000 / seconds) * 100).toFixed(0)} %`)
          .join(', ')}; this load generator ${(((generator.user + generator.system) / 1e6 / seconds) * 100).toFixed(0)} %`,
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
