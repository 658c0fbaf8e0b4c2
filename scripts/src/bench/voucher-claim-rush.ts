import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { memberTokenExchange, requestDemoPartnerToken } from '../partner-token';
import type { LaunchedSystem } from '../system';
import { addBenchMembers, memberTokenMinter, rushBatchInput } from './bench-members';
import { latencyColumns, phase, type PhaseResult, postJson, runBench, withThrowawaySystem } from './load';
import { cpuPerRequest, type CpuReaders, sampleCpu, systemCpuReaders } from './process-cpu';

/**
 * Voucher claim rush through the gateway (not a test): `node scripts/dist/bench/voucher-claim-rush.js`.
 *
 * Starts the whole system on a throw-away embedded PostgreSQL, adds BENCH_MEMBERS (default 10,000)
 * ACTIVE members straight into the member schema (the demo world has too few in one subtree;
 * this is the only place anything writes another service's schema), mints a MEMBER token for each
 * with the gateway's own signing key (exactly what the token exchange issues; the exchange itself
 * verifies the platform's hashed secret per call, ~30/s, and is not what this measures), lets the
 * city union create a batch of BENCH_QUANTITY (default 5,000, one per member),
 * and fires one claimVoucher per member with BENCH_CONCURRENCY (default 100) requests in flight.
 * Prints claims/s, latency percentiles and outcomes, and the percentiles of each outcome (the claims
 * that get a voucher cost more than the refusals once the pool is empty, and make the tail), then
 * counts what the database holds: the count must be exactly the batch size, with as many distinct
 * owners. BENCH_RUSHES (default 2) rushes, each on a new batch with the same members: the first
 * meets the claim path JIT-cold (the services' first claims since they started; its first seconds
 * cost the benefit subgraph about twice the CPU per claim), the second as a running system meets a
 * rush.
 *
 * Before the rush, the same members read `me { id displayName }` once each at the same concurrency
 * (BENCH_ME_READS, default one per member): claims/s is printed as a ratio of those reads/s, since
 * absolute figures drift on a shared machine. For both phases the CPU milliseconds each process
 * spent per request are read from /proc (gateway, every subgraph, PostgreSQL) with this load
 * generator's own; for the rush also per voucher issued. Requests go over node:http with kept-alive
 * connections (global fetch took about three times the generator's CPU).
 */

const memberCount = Number(process.env.BENCH_MEMBERS ?? 10_000);
const quantity = Number(process.env.BENCH_QUANTITY ?? 5_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 100);
const meReads = Number(process.env.BENCH_ME_READS ?? memberCount);
const rushes = Number(process.env.BENCH_RUSHES ?? 2);
/** BENCH_IDEMPOTENCY_KEYS=1: every claim carries an idempotencyKey, as a member app that retries sends it. */
const keyed = process.env.BENCH_IDEMPOTENCY_KEYS === '1';

/**
 * Runs a phase and answers it with the CPU milliseconds each process spent on it, this load
 * generator's own included (it shares the machine's two cores with the system it measures).
 */
async function measured(readers: CpuReaders, run: () => Promise<PhaseResult>) {
  const before = sampleCpu(readers);
  const generatorBefore = process.cpuUsage();
  const result = await run();
  const generator = process.cpuUsage(generatorBefore);
  const cpu = cpuPerRequest(before, sampleCpu(readers), 1);
  return { result, cpu, generatorMs: (generator.user + generator.system) / 1000 };
}

/** `gateway 1.20, member 0.70, ... = total 9.70 CPU ms per <unit>`. */
function cpuColumns(cpu: Record<string, number>, per: number, unit: string): string {
  const entries = Object.entries(cpu);
  if (entries.length === 0) return 'CPU per process: not readable here (no /proc)';
  const total = entries.reduce((sum, [, ms]) => sum + ms, 0);
  return `CPU ms per ${unit}: ${entries.map(([label, ms]) => `${label} ${(ms / per).toFixed(2)}`).join(', ')} = total ${(total / per).toFixed(2)}`;
}

/** The city union creates a batch of `quantity` vouchers, one per member, open now. */
async function createRushBatch(system: LaunchedSystem, unionToken: string): Promise<string> {
  const created = await graphql(
    system,
    unionToken,
    `
      mutation ($input: CreateVoucherBatchInput!) {
        createVoucherBatch(input: $input) {
          id
        }
      }
    `,
    {
      input: rushBatchInput(quantity),
    },
  );
  const batchId: string | undefined = created.body.data?.createVoucherBatch?.id;
  if (!batchId) throw new Error(`createVoucherBatch failed: ${JSON.stringify(created.body.errors)}`);
  return batchId;
}

/** A gateway request; the HTTP status comes with the answer. */
async function graphql(system: LaunchedSystem, token: string, query: string, variables: Record<string, unknown>) {
  const response = await postJson(system.gatewayUrl, { authorization: `Bearer ${token}` }, JSON.stringify({ query, variables }));
  return { status: response.status, body: JSON.parse(response.text) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function main(): Promise<void> {
  await withThrowawaySystem('vouchers', {}, async (system, dataDir) => {
    // The member schema's triggers name its tables unqualified.
    const sql = new Client({ connectionString: system.databaseUrl, options: '-c search_path=member' });
    await sql.connect();
    try {
      const memberIds = await addBenchMembers(sql, system.credentials.partners.districtUnion.organizationId!, memberCount);
      console.log(
        `voucher claim rush: ${memberIds.length} members, batch of ${quantity} (1 per member), ${concurrency} claims in flight, through ${system.gatewayUrl}`,
      );

      const mint = await memberTokenMinter(dataDir, system);
      const tokens = await Promise.all(memberIds.map(mint));
      // One real exchange proves the minted tokens are what the gateway issues.
      const exchanged = await requestDemoPartnerToken(system.credentials, 'platform', memberTokenExchange(memberIds[0]));
      if (exchanged.status !== 200) throw new Error(`member token exchange failed: ${exchanged.status} ${JSON.stringify(exchanged.body)}`);

      const union = await requestDemoPartnerToken(system.credentials, 'cityUnion');
      const readers = systemCpuReaders(system);
      // The same members, the same concurrency: what the stack does on a plain member read.
      const ME = `query { me { id displayName } }`;
      const me = await measured(readers, () =>
        phase('me', meReads, concurrency, async (i) => {
          const { status, body } = await graphql(system, tokens[i % tokens.length], ME, {});
          return body.errors?.length ? String(body.errors[0].extensions?.code ?? `HTTP ${status}`) : body.data?.me?.id ? 'OK' : 'EMPTY';
        }),
      );
      console.log(
        `me reads: ${me.result.requests} in ${me.result.seconds.toFixed(1)} s = ${me.result.perSecond.toFixed(1)}/s  ${latencyColumns(me.result.latencies, [50, 95, 99])}  ${JSON.stringify(me.result.outcomes)}`,
      );
      console.log(`  ${cpuColumns(me.cpu, me.result.requests, 'read')}; load generator ${(me.generatorMs / me.result.requests).toFixed(2)}`);

      for (let round = 1; round <= rushes; round += 1) {
        const batchId = await createRushBatch(system, union.body.access_token);
        console.log(
          (round === 1
            ? `rush 1: the claim path's first requests since the services started (their JIT is cold)`
            : `rush ${round}: the same members on a new batch of ${quantity}, the claim path warm`) + (keyed ? ', every claim with an idempotencyKey' : ''),
        );
        const CLAIM = keyed
          ? `mutation ($b: ID!, $k: String) { claimVoucher(batchId: $b, idempotencyKey: $k) { id } }`
          : `mutation ($b: ID!) { claimVoucher(batchId: $b) { id } }`;
        const groupsBefore = await claimStatements(system);
        // A claim that throws counts as `network: <message>`.
        const {
          result: rush,
          cpu,
          generatorMs,
        } = await measured(readers, () =>
          phase('claims', tokens.length, concurrency, async (i) => {
            const { status, body } = await graphql(system, tokens[i], CLAIM, keyed ? { b: batchId, k: randomUUID() } : { b: batchId });
            return body.errors?.length ? String(body.errors[0].extensions?.code ?? `HTTP ${status}`) : 'CLAIMED';
          }),
        );
        console.log(
          `  claims: ${rush.requests} in ${rush.seconds.toFixed(1)} s = ${rush.perSecond.toFixed(1)}/s  ${latencyColumns(rush.latencies, [50, 95, 99])}`,
        );
        console.log(`  outcomes: ${JSON.stringify(rush.outcomes)}`);
        for (const [outcome, { latencies, seconds }] of Object.entries(rush.byOutcome)) {
          const rate = seconds > 0 ? `, ${(latencies.length / seconds).toFixed(0)}/s while they came` : '';
          console.log(`    ${outcome}: ${latencyColumns(latencies, [50, 95, 99])} (${latencies.length}${rate})`);
        }
        console.log(`  ${cpuColumns(cpu, rush.requests, 'claim request')}; load generator ${(generatorMs / rush.requests).toFixed(2)}`);
        const issued = rush.outcomes.CLAIMED ?? 0;
        if (issued > 0) console.log(`  ${cpuColumns(cpu, issued, 'voucher issued')}`);
        console.log(`  claims/s : me reads/s = ${(rush.perSecond / me.result.perSecond).toFixed(2)} (target >= 0.6)`);
        const groups = await claimStatements(system);
        const sent = (key: string) => (groups[key] ?? 0) - (groupsBefore[key] ?? 0);
        console.log(
          `  claim statements at benefit: ${sent('kind=group')} groups carried ${sent('sent=group')} claims ` +
            `(${(sent('sent=group') / Math.max(1, sent('kind=group'))).toFixed(1)} a group); ${sent('kind=alone')} claims went alone ` +
            `(${sent('sent=send_alone')} left by their group, ${sent('sent=group_refused')} after a refused group); the other requests were answered without a claim statement`,
        );

        const { rows } = await sql.query(
          `SELECT (SELECT count(*)::int FROM benefit.vouchers WHERE batch_id = $1) AS vouchers,
                  (SELECT count(DISTINCT member_id)::int FROM benefit.vouchers WHERE batch_id = $1) AS owners,
                  (SELECT sum(claimed)::int FROM benefit.voucher_batch_stripes WHERE batch_id = $1) AS claimed`,
          [batchId],
        );
        const exact = rows[0].vouchers === quantity && rows[0].owners === quantity && rows[0].claimed === quantity;
        console.log(
          `  final count: ${rows[0].vouchers} vouchers, ${rows[0].owners} distinct owners, pool counters (sum of the stripes) ${rows[0].claimed} (expected exactly ${quantity}): ${exact ? 'OK' : 'WRONG'}`,
        );
        if (!exact) process.exitCode = 1;
      }
    } finally {
      await sql.end();
    }
  });
}

/** The benefit subgraph's claim statements by kind and claims by how they were sent (`kind=group`, `sent=send_alone` ...), from /metrics. */
async function claimStatements(system: LaunchedSystem): Promise<Record<string, number>> {
  const text = await (await fetch(new URL('/metrics', system.subgraphUrls.benefit))).text();
  const counts: Record<string, number> = {};
  for (const [, label, value] of text.matchAll(/^union_voucher_claim(?:_statements|s_sent)_total\{[^}]*?\b(kind="\w+"|sent="\w+")[^}]*\} (\d+)$/gm)) {
    counts[label.replace(/"/g, '')] = Number(value);
  }
  return counts;
}

runBench(main);
