import { answerReady, type Readiness } from '@union/common';
import type { RouteHandler } from '../router';

/**
 * GET /ready: whether a load balancer should send this gateway traffic. 503 from the moment it
 * starts shutting down (SIGTERM), and while its database or a subgraph does not answer (the
 * checks the Readiness was made with: outage.ts).
 */
export function readyRoute(readiness: Readiness): RouteHandler {
  return (_req, res) => answerReady(res, readiness, 'gateway');
}

/** Routes that probes and scrapers call every few seconds: counted in the metrics, not logged per request. */
export const UNLOGGED_ROUTES: ReadonlySet<string> = new Set(['/health', '/ready', '/metrics']);
