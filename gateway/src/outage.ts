import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { httpReadyCheck, databaseCheck, isUnavailable, RETRY_AFTER_SECONDS, sendJson, serviceUnavailable, type ReadinessCheck } from '@union/common';
import type { DataSource } from 'typeorm';

/**
 * The gateway when something it needs is down: the database (partner registry, access records)
 * or a subgraph. Such a request is answered 503 SERVICE_UNAVAILABLE with Retry-After, never 500:
 * the partner can retry, and the operator sees one line naming what was down.
 */

/** Answers 503 and returns true when `error` means "unavailable"; false leaves the answer to the caller. */
export function answerIfUnavailable(res: ServerResponse, error: unknown, log: (line: string) => void): boolean {
  if (res.headersSent || !isUnavailable(error)) return false;
  log(`gateway: unavailable: ${(error as Error)?.message ?? String(error)}`);
  const unavailable = serviceUnavailable('the service');
  sendJson(res, 503, { errors: [{ message: unavailable.message, extensions: unavailable.extensions }] }, { 'retry-after': String(RETRY_AFTER_SECONDS) });
  return true;
}

/**
 * The answer that replaces a response which must not go out (its access record could not be
 * written): 503 when the database is down, else 500 with an error id.
 */
export function withheldAnswer(error: unknown): {
  status: number;
  errorId: string;
  headers: Record<string, string>;
  error: { message: string; extensions: Record<string, unknown> };
} {
  const errorId = randomUUID();
  if (isUnavailable(error)) {
    const unavailable = serviceUnavailable('the service');
    return {
      status: 503,
      errorId,
      headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
      error: { message: unavailable.message, extensions: { ...unavailable.extensions, errorId } },
    };
  }
  return { status: 500, errorId, headers: {}, error: { message: `internal error (id ${errorId})`, extensions: { code: 'INTERNAL_SERVER_ERROR', errorId } } };
}

/** What the gateway's GET /ready checks: its database and each subgraph's own /ready. */
export function gatewayReadinessChecks(db: DataSource, subgraphUrls: Record<string, string>): ReadinessCheck[] {
  return [databaseCheck(db), ...Object.entries(subgraphUrls).map(([name, url]) => httpReadyCheck(`subgraph:${name}`, new URL('/ready', url).toString()))];
}
