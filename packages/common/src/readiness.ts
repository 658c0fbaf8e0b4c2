import type { ServerResponse } from 'node:http';

/** A readiness check: null when fine, else the reason the service cannot take traffic (e.g. "database unreachable"). */
export type ReadinessCheck = () => Promise<string | null>;

/**
 * Whether a service should get traffic (GET /ready). It stops being ready the moment it starts
 * shutting down, before anything else, so a load balancer takes it out of rotation while the
 * requests in flight finish. Other checks (database, subgraphs) are added with addCheck.
 */
export class Readiness {
  private drainingReason: string | null = null;
  private readonly checks: Array<{ name: string; check: ReadinessCheck }> = [];

  addCheck(name: string, check: ReadinessCheck): void {
    this.checks.push({ name, check });
  }

  startDraining(reason = 'shutting down'): void {
    this.drainingReason ??= reason;
  }

  get draining(): boolean {
    return this.drainingReason !== null;
  }

  async state(): Promise<{ ready: boolean; reasons: string[] }> {
    if (this.drainingReason) return { ready: false, reasons: [this.drainingReason] };
    const results = await Promise.all(
      this.checks.map(async ({ name, check }) => {
        try {
          const problem = await check();
          return problem ? `${name}: ${problem}` : null;
        } catch (error) {
          return `${name}: ${(error as Error)?.message ?? String(error)}`;
        }
      }),
    );
    const reasons = results.filter((r): r is string => r !== null);
    return { ready: reasons.length === 0, reasons };
  }
}

/** GET /ready: 200 `{status: "ready"}`, or 503 `{status: "not ready", reasons}` (Retry-After: a few seconds). */
export async function answerReady(res: ServerResponse, readiness: Readiness, service: string): Promise<void> {
  const { ready, reasons } = await readiness.state();
  const body = JSON.stringify(ready ? { status: 'ready', service } : { status: 'not ready', service, reasons });
  res.writeHead(ready ? 200 : 503, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...(ready ? {} : { 'retry-after': '5' }),
  });
  res.end(body);
}
