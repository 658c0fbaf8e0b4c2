import type { Server, ServerResponse } from 'node:http';
import type { Readiness } from './readiness';

/** How long requests in flight get to finish after SIGTERM (SHUTDOWN_GRACE_SECONDS). */
export const DEFAULT_SHUTDOWN_GRACE_SECONDS = 10;

/**
 * Stops an HTTP server without cutting the requests it is serving: readiness fails at once, the
 * listener closes (no new connections), idle keep-alive connections are closed, every answer from
 * now on says `connection: close`, and the requests in flight get up to `graceMs` to finish
 * (streamed exports included) before the remaining connections are cut.
 * Returns whether everything finished within the grace period.
 */
export function drainServer(server: Server, readiness: Readiness, graceMs: number): Promise<boolean> {
  readiness.startDraining();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (clean: boolean) => {
      if (settled) return;
      settled = true;
      clearInterval(sweeper);
      clearTimeout(deadline);
      if (!clean) server.closeAllConnections();
      resolve(clean);
    };
    // A keep-alive connection whose request has just finished becomes idle: close it then.
    const sweeper = setInterval(() => server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => finish(false), graceMs);
    server.close(() => finish(true));
    server.closeIdleConnections();
  });
}

/** Marks an answer given while draining: the client opens its next connection elsewhere. */
export function closeWhileDraining(readiness: Readiness, res: ServerResponse): void {
  if (readiness.draining && !res.headersSent) res.setHeader('connection', 'close');
}
