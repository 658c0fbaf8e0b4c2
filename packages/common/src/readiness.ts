import type { ServerResponse } from 'node:http';
import type { DataSource } from 'typeorm';
import { RETRY_AFTER_SECONDS } from './availability';
import { sendJson } from './http';

/**
 * Readiness (GET /ready), as opposed to liveness (GET /health): /health says the process runs;
 * /ready says it can serve now, i.e. everything it depends on answers. A load balancer or
 * orchestrator routes traffic by /ready and restarts by /health.
 */
export interface ReadinessCheck {
  /** What is checked, as named in the answer: `database`, `subgraph:points` ... */
  name: string;
  /** Resolves when the dependency answers; rejects (or outlasts the timeout) when it does not. */
  check(): Promise<unknown>;
}

export interface ReadinessReport {
  status: 'ready' | 'unavailable';
  service: string;
  /** Each check: `up`, or `down` with the reason. */
  checks: Record<string, { status: 'up' | 'down'; reason?: string; ms: number }>;
  /** The names of the checks that failed (empty when ready). */
  down: string[];
}

const DEFAULT_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs every check at once, each bounded by `timeoutMs`, and says which failed. */
export async function checkReadiness(service: string, checks: ReadinessCheck[], timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      const started = Date.now();
      try {
        await withTimeout(Promise.resolve().then(check), timeoutMs);
        return [name, { status: 'up' as const, ms: Date.now() - started }] as const;
      } catch (error) {
        // /ready is reachable from outside: the reason names no URL, host, port, user or password.
        const reason = ((error as Error)?.message ?? String(error))
          .replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, '…')
          .replace(/\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b|\[[0-9a-f:]+\](:\d+)?|\blocalhost(:\d+)?/gi, '…')
          .slice(0, 200);
        return [name, { status: 'down' as const, reason, ms: Date.now() - started }] as const;
      }
    }),
  );
  const down = results.filter(([, result]) => result.status === 'down').map(([name]) => name);
  return { status: down.length === 0 ? 'ready' : 'unavailable', service, checks: Object.fromEntries(results), down };
}

/** Answers GET /ready: 200 with the report when ready, else 503 with Retry-After. */
export async function sendReadiness(res: ServerResponse, service: string, checks: ReadinessCheck[]): Promise<void> {
  sendReadinessReport(res, await checkReadiness(service, checks));
}

function sendReadinessReport(res: ServerResponse, report: ReadinessReport): void {
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  if (report.status !== 'ready') headers['retry-after'] = String(RETRY_AFTER_SECONDS);
  sendJson(res, report.status === 'ready' ? 200 : 503, report, headers);
}

/** The database answers a trivial query (through the service's own pool, so a full pool shows too). */
export function databaseCheck(db: DataSource): ReadinessCheck {
  return { name: 'database', check: () => db.query('SELECT 1') };
}

/** Another service's /ready (the gateway checks each subgraph): up when it answers 200. */
export function httpReadyCheck(name: string, readyUrl: string): ReadinessCheck {
  return {
    name,
    async check() {
      const response = await fetch(readyUrl, { signal: AbortSignal.timeout(DEFAULT_TIMEOUT_MS) });
      if (response.ok) return;
      let down = '';
      try {
        const body = (await response.json()) as Partial<ReadinessReport>;
        if (Array.isArray(body.down) && body.down.length > 0) down = `: ${body.down.join(', ')} down`;
      } catch {
        // not our JSON: the status says enough
      }
      throw new Error(`HTTP ${response.status}${down}`);
    },
  };
}

/**
 * Whether a service should get traffic (GET /ready): its checks, and whether it is shutting down.
 * It stops being ready the moment shutdown starts, before anything else, so a load balancer takes
 * it out of rotation while the requests in flight finish.
 */
export class Readiness {
  private drainingReason: string | null = null;

  constructor(private readonly checks: ReadinessCheck[] = []) {}

  startDraining(reason = 'shutting down'): void {
    this.drainingReason ??= reason;
  }

  get draining(): boolean {
    return this.drainingReason !== null;
  }

  /** The report /ready answers with: while draining, no check runs and the reason is the only thing down. */
  report(service: string): Promise<ReadinessReport> {
    if (this.drainingReason) return Promise.resolve({ status: 'unavailable', service, checks: {}, down: [this.drainingReason] });
    return checkReadiness(service, this.checks);
  }
}

/** GET /ready of a service with a Readiness: 200 with the report, else 503 with Retry-After. */
export async function answerReady(res: ServerResponse, readiness: Readiness, service: string): Promise<void> {
  sendReadinessReport(res, await readiness.report(service));
}
