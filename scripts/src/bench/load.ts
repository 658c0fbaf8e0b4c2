// What the benchmarks in this folder share: a throw-away system, gateway calls, a bounded-concurrency
// runner, percentiles and their columns. Token requests are in ../partner-token.ts.
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { postBody } from '@union/common';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchSystem, type LaunchedSystem, type LaunchOptions } from '../system';

/**
 * Starts the whole system on a throw-away embedded PostgreSQL under a fresh temporary directory
 * (`union-bench-<name>-…`, quiet logs), runs `body`, then stops the system and removes the directory.
 * BENCH_DATA_DIR names a directory to use and keep instead (a bench whose load takes long can then
 * measure again without loading again; remove it yourself afterwards).
 */
export async function withThrowawaySystem<T>(
  name: string,
  options: Omit<LaunchOptions, 'dataDir' | 'persist' | 'log'>,
  body: (system: LaunchedSystem, dataDir: string) => Promise<T>,
): Promise<T> {
  const kept = process.env.BENCH_DATA_DIR;
  if (kept) mkdirSync(kept, { recursive: true });
  const dataDir = kept ?? mkdtempSync(join(tmpdir(), `union-bench-${name}-`));
  // Run as root, embedded PostgreSQL runs as its own user, which must reach its data directory.
  chmodSync(dataDir, 0o755);
  const system = await launchSystem({ ...options, dataDir, persist: true, log: () => {} });
  try {
    return await body(system, dataDir);
  } finally {
    await system.stop();
    if (!kept) rmSync(dataDir, { recursive: true, force: true });
  }
}

const generatorAgent = new Agent({ keepAlive: true, maxSockets: 1024, maxFreeSockets: 1024 });

/**
 * POSTs a JSON body over node:http with kept-alive connections. On a 2-core machine the load
 * generator takes CPU from the system it measures; global fetch spent about three times as much
 * of it per request.
 */
export const postJson = (url: string, headers: Record<string, string>, body: string) =>
  postBody(url, { ...headers, 'content-type': 'application/json' }, body, { agent: generatorAgent });

/** Runs a benchmark's main: a failure prints its stack and exits with 1. */
export function runBench(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error((error as Error).stack ?? String(error));
    process.exit(1);
  });
}

export type GatewayAnswer = { data?: Record<string, any> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> }; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One GraphQL request through the gateway with a bearer token. */
export async function gatewayQuery(system: LaunchedSystem, token: string, query: string, variables: Record<string, unknown> = {}): Promise<GatewayAnswer> {
  const response = await fetch(system.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GatewayAnswer;
}

/** 'ok', or the first error's code ('error' when it has none). */
export const outcomeOf = (answer: GatewayAnswer): string => (answer.errors?.length ? (answer.errors[0].extensions?.code ?? 'error') : 'ok');

/** `count` tasks with `limit` in flight: each task's result and latency (milliseconds) by index, and the wall time. */
export async function bounded<T>(
  count: number,
  limit: number,
  task: (i: number) => Promise<T>,
): Promise<{ results: T[]; latencies: number[]; finishedAt: number[]; seconds: number }> {
  const results = new Array<T>(count);
  const latencies = new Array<number>(count);
  /** Milliseconds from the start of the run to each task's end. */
  const finishedAt = new Array<number>(count);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t0 = performance.now();
        results[i] = await task(i);
        const t1 = performance.now();
        latencies[i] = t1 - t0;
        finishedAt[i] = t1 - started;
      }
    }),
  );
  return { results, latencies, finishedAt, seconds: (performance.now() - started) / 1000 };
}

/** The nearest-rank p-th percentile of ascending samples. */
export const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

export interface PhaseResult {
  name: string;
  requests: number;
  seconds: number;
  perSecond: number;
  /** Milliseconds, ascending. */
  latencies: number[];
  /** How many requests ended with each outcome. */
  outcomes: Record<string, number>;
  /**
   * Per outcome: its latencies (ascending) and the seconds from its first request's end to its
   * last's. A rush has two halves (vouchers issued, then refusals) that cost the system different
   * amounts, and the tail of the whole is the tail of the dearer half.
   */
  byOutcome: Record<string, { latencies: number[]; seconds: number }>;
}

/**
 * Sends `count` requests with `concurrency` in flight; `send` names each one's outcome (a request
 * that throws counts as `network: <message>`).
 */
export async function phase(name: string, count: number, concurrency: number, send: (i: number) => Promise<string>): Promise<PhaseResult> {
  const run = await bounded(count, concurrency, (i) => send(i).catch((error: unknown) => `network: ${(error as Error).message}`));
  const outcomes: Record<string, number> = {};
  const byOutcome: PhaseResult['byOutcome'] = {};
  const span: Record<string, { first: number; last: number }> = {};
  run.results.forEach((outcome, i) => {
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    (byOutcome[outcome] ??= { latencies: [], seconds: 0 }).latencies.push(run.latencies[i]);
    const ended = run.finishedAt[i];
    const seen = (span[outcome] ??= { first: ended, last: ended });
    seen.first = Math.min(seen.first, ended);
    seen.last = Math.max(seen.last, ended);
  });
  for (const [outcome, entry] of Object.entries(byOutcome)) {
    entry.latencies.sort((a, b) => a - b);
    entry.seconds = (span[outcome].last - span[outcome].first) / 1000;
  }
  return { name, requests: count, seconds: run.seconds, perSecond: count / run.seconds, latencies: run.latencies.sort((a, b) => a - b), outcomes, byOutcome };
}

/** `p50 1.2 ms  p99 3.4 ms  max 5.6 ms`: the given percentiles and the maximum of ascending latencies, each number padded to `width`. */
export function latencyColumns(sorted: number[], percentiles: number[], width = 0): string {
  const column = (label: string, ms: number) => `${label} ${ms.toFixed(1).padStart(width)} ms`;
  return [...percentiles.map((p) => column(`p${p}`, percentile(sorted, p))), column('max', sorted[sorted.length - 1])].join('  ');
}
