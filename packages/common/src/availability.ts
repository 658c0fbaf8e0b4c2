import { contractError } from './errors';

/**
 * What a caller is told to wait before retrying when a service or the database is unavailable
 * (the `Retry-After` header and `extensions.retryAfterSeconds`). Short: a restarted service or a
 * failed-over database is usually back within seconds, and partners' retries are idempotent.
 */
export const RETRY_AFTER_SECONDS = 5;

/** Another service could not be reached (refused, reset, timed out, or it answered 502/503/504). */
export class ServiceUnavailableError extends Error {
  constructor(
    readonly service: string,
    detail: string,
  ) {
    super(`the ${service} service is unavailable: ${detail}`);
  }
}

/** SERVICE_UNAVAILABLE, as a partner sees it: nothing about hosts or stacks, when to retry. */
export function serviceUnavailable(what: string): ReturnType<typeof contractError> {
  return contractError('SERVICE_UNAVAILABLE', `${what} is unavailable at the moment; retry after ${RETRY_AFTER_SECONDS} s`, {
    retryAfterSeconds: RETRY_AFTER_SECONDS,
  });
}

// Socket-level failures (Node) and PostgreSQL's "cannot serve you now" SQLSTATEs: class 08
// (connection exception), 57P01..57P03 (shutdown, crash, starting up), 53300 (too many connections).
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);
const UNAVAILABLE_MESSAGES =
  /connection terminated|timeout exceeded when trying to connect|connection timeout|not queryable|the database system is (starting up|shutting down|in recovery)|terminating connection|Connection is not established|ECONNREFUSED|ECONNRESET/i;

/** The error and what it wraps (TypeORM's driverError, GraphQL's originalError, cause, AggregateError). */
function* chainOf(error: unknown, depth = 0): Generator<Record<string, unknown>> {
  if (depth > 5 || typeof error !== 'object' || error === null) return;
  const e = error as Record<string, unknown>;
  yield e;
  for (const key of ['originalError', 'driverError', 'cause']) if (e[key] && e[key] !== error) yield* chainOf(e[key], depth + 1);
  if (Array.isArray(e.errors)) for (const inner of e.errors) yield* chainOf(inner, depth + 1);
}

// TypeORM releases a transaction's query runner as soon as its connection fails, so the
// transaction's next statement throws one of these instead of the connection's error (the second
// from a statement sent through the transaction's EntityManager). Our code releases a runner only
// in `finally`, after its last statement: seen in a request, either means a lost connection.
const LOST_CONNECTION_ERRORS = new Set(['QueryRunnerAlreadyReleasedError', 'QueryRunnerProviderAlreadyReleasedError']);

/**
 * True when an error means the database (or the connection to it) is not there right now, as
 * opposed to a bug or bad input: such errors become SERVICE_UNAVAILABLE (HTTP 503, Retry-After).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (const e of chainOf(error)) {
    if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
    if (typeof e.name === 'string' && LOST_CONNECTION_ERRORS.has(e.name)) return true;
    if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message)) return true;
  }
  return false;
}

/** True for a failure to reach another service or the database: the caller should retry later. */
export function isUnavailable(error: unknown): boolean {
  for (const e of chainOf(error)) if (e instanceof ServiceUnavailableError) return true;
  return isDatabaseUnavailable(error);
}

/**
 * PostgreSQL's data exceptions (SQLSTATE class 22: invalid text representation, numeric value out
 * of range, NUL bytes, string too long ...) are caused by the value a caller sent, never by the
 * service: they are BAD_USER_INPUT, and the failed statement wrote nothing.
 */
export function isInputDataError(error: unknown): boolean {
  for (const e of chainOf(error)) if (typeof e.code === 'string' && /^22[0-9A-Z]{3}$/.test(e.code)) return true;
  return false;
}
