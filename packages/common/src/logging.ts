import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** The header that carries a request's id: from the caller, on every answer, and on every call between services. */
export const REQUEST_ID_HEADER = 'x-request-id';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The caller's request id when it is 1-64 characters of [A-Za-z0-9._-], else a new one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
}

export const requestIdOf = (headers: IncomingHttpHeaders) => requestIdFrom(headers[REQUEST_ID_HEADER]);

/**
 * Personal data and secrets never reach a log line, whatever a caller of the logger passes: these
 * paths are replaced by "[redacted]" (the logger is also never given variables or answers).
 */
export const REDACTED_PATHS = [
  'variables',
  '*.variables',
  'body',
  '*.body',
  'headers.authorization',
  '*.headers.authorization',
  'headers["x-union-internal-token"]',
  '*.headers["x-union-internal-token"]',
  'authorization',
  'fullName',
  '*.fullName',
  'phone',
  '*.phone',
  'cardNumber',
  '*.cardNumber',
  'idNumber',
  '*.idNumber',
  'clientSecret',
  '*.clientSecret',
  'accessToken',
  '*.accessToken',
];

export interface LoggerOptions {
  /** Where the JSON lines go (stdout by default; tests pass a stream). */
  destination?: DestinationStream;
  level?: string;
}

/**
 * The service's logger: one JSON object per line on stdout, with `time` (ISO 8601), `level` (a
 * name), `service` and `msg`. `npm start` turns the lines into short readable ones on a terminal
 * (scripts/src/log-format.ts); everywhere else they go to the log pipeline as they are.
 */
const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** How many bytes of log lines are gathered into one write, and for at most how long. */
const LOG_GATHER_BYTES = 4096;
const LOG_GATHER_MS = 100;

export function createLogger(service: string, options: LoggerOptions = {}): Logger {
  // LOG_LEVEL is validated with the rest of the configuration; the logger exists before that runs.
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  return pino(
    {
      level: LEVELS.has(level) ? level : 'info',
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    // Asynchronous and gathered: a write(2) per request line was 4-6 % of every service's CPU
    // (system calls are dear here). Lines wait until 4 KiB are pending or 100 ms have passed, so a
    // line reaches stdout at most 100 ms late; pino flushes what is pending synchronously when
    // the process exits (a crash's last lines included). Only a SIGKILL loses the last 100 ms.
    options.destination ?? pino.destination({ dest: 1, sync: false, minLength: LOG_GATHER_BYTES, periodicFlush: LOG_GATHER_MS }),
  );
}

/** The old `(line) => void` log callbacks of the services, backed by a logger (warnings: they report what went wrong). */
export const lineLogger = (logger: Logger) => (line: string) => logger.warn(line);

/** What one request's log line says (the same names at the gateway and at every subgraph). */
export interface RequestLogLine {
  requestId: string;
  route: string;
  method: string;
  status: number;
  durationMs: number;
  /** The partner the caller acts for (for a MEMBER token: the platform), null when none or unauthenticated. */
  partnerId?: string | null;
  partnerKind?: string | null;
  operation?: string | null;
  /** The contract code of the first error, or OK. */
  outcome?: string;
  /** Gateway only: subgraph fetches made for the request. */
  subgraphFetches?: number;
}

const requestLoggers = new WeakMap<Logger, Logger>();

/**
 * Writes a request's line. It is built here field by field from RequestLogLine, which holds no
 * free-form value, so nothing personal can reach it; that is why it skips the redaction every other
 * line goes through (redaction paths with wildcards cost about 25 µs a line, more than the rest of
 * the line together).
 */
export function logRequest(logger: Logger, line: RequestLogLine): void {
  let requestLogger = requestLoggers.get(logger);
  if (!requestLogger) requestLoggers.set(logger, (requestLogger = logger.child({}, { redact: { paths: [] } })));
  const fields: Record<string, string | number | null> = {
    requestId: line.requestId,
    route: line.route,
    method: line.method,
    status: line.status,
    durationMs: line.durationMs,
    partnerId: line.partnerId ?? null,
    partnerKind: line.partnerKind ?? null,
  };
  if (line.operation !== undefined) fields.operation = line.operation;
  if (line.outcome !== undefined) fields.outcome = line.outcome;
  if (line.subgraphFetches !== undefined) fields.subgraphFetches = line.subgraphFetches;
  requestLogger.info(fields, 'request');
}
