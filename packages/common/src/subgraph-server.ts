import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { defaultFieldResolver, Kind, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { Counter, type Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { isInputDataError, isUnavailable, RETRY_AFTER_SECONDS, serviceUnavailable } from './availability';
import { isContractError } from './errors';
import { BodyTooLargeError, graphQLErrorBody, listen, parseJsonBody, readBody, sendGraphQLError, sendJson } from './http';
import { createLogger, lineLogger, logRequest, REQUEST_ID_HEADER, requestIdFrom, requestIdOf, type Logger } from './logging';
import { answerMetrics, type DirectoryLookupCounts, outcomeLabel, ServiceMetrics } from './metrics';
import { OperationRunner } from './operation-runner';
import { cachedInternalTokenVerifier, INTERNAL_TOKEN_HEADER, type Principal } from './principal';
import { answerReady, Readiness, type ReadinessCheck } from './readiness';
import { closeWhileDraining, DEFAULT_SHUTDOWN_GRACE_SECONDS, drainServer } from './shutdown';
import { type BatchedAnswer, type BatchedOperation, parseSubgraphBatch, SUBGRAPH_BATCH_ANSWER_TYPE, SUBGRAPH_BATCH_PATH } from './subgraph-batch';

export interface RunningService {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export type InternalRoute = (body: unknown, caller: Principal) => Promise<unknown>;

/**
 * GET /stream/<name>: a route that writes its own (usually streamed) response, such as a member
 * export the gateway pipes through to a partner. Unlike internal routes it serves partner
 * principals (still only with an internal token), so the route authorizes the caller itself.
 * A contract error thrown before the first byte is answered as a GraphQL-shaped error with the
 * matching HTTP status; after that the connection is cut, so a truncated file never looks complete.
 */
export type StreamRoute = (request: { query: URLSearchParams; requestId: string }, caller: Principal, res: ServerResponse) => Promise<void>;

/**
 * POST /stream/<name>: a route that reads a large request body as a stream (a bulk import) and
 * writes its own response. The body is not read beforehand and not limited by bodyLimitBytes:
 * the route reads (and bounds) it itself.
 */
export type UploadRoute = (
  request: { query: URLSearchParams; requestId: string; body: IncomingMessage },
  caller: Principal,
  res: ServerResponse,
) => Promise<void>;

const STREAM_ERROR_STATUS: Record<string, number> = { BAD_USER_INPUT: 400, UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404, RATE_LIMITED: 429 };

/**
 * The response extension under which a subgraph tells the gateway what a request did that the
 * gateway must account for: personal data disclosed (access records) and failed guesses (rate
 * limit penalties). The gateway removes it before a partner sees the response.
 */
export const ACCESS_REPORT_EXTENSION = 'unionAccessReport';

export interface AccessReport {
  /** Member id -> personal-data fields this response carries unmasked (fullName, phone, cardNumber). */
  personalData?: Record<string, string[]>;
  /** Mutation answers that look like a wrong guess: an unknown voucher code, an invalid card token ... */
  failedGuesses?: number;
}

/** A request context that contributes to the access report (the member subgraph reports PII disclosures). */
export interface AccessReportingContext {
  accessReport?(): Pick<AccessReport, 'personalData'> | undefined;
}

/** Error codes of a mutation that mean "no such code / not yours": what guessing bearer codes produces. */
export const FAILED_GUESS_ERROR_CODES: ReadonlySet<string> = new Set(['VOUCHER_NOT_FOUND', 'VOUCHER_EXPIRED', 'PARTNER_NOT_ALLOWED']);
/** `reason`s of a `valid: false` answer (verifyMemberCard, verifyMemberByCardNumber, validateVoucher) that mean the same. */
export const FAILED_GUESS_REASONS: ReadonlySet<string> = new Set(['TOKEN_INVALID', 'CARD_NOT_FOUND', 'NAME_MISMATCH', ...FAILED_GUESS_ERROR_CODES]);

const failedGuessCounts = new WeakMap<object, number>();
const COUNTING = Symbol('counts failed guesses');

function isFailedGuess(result: unknown): boolean {
  const answer = result as { valid?: unknown; reason?: unknown } | null;
  return typeof answer === 'object' && answer !== null && answer.valid === false && FAILED_GUESS_REASONS.has(String(answer.reason));
}

/**
 * Wraps every Mutation resolver to count failed guesses per request. It looks at what the resolver
 * returned, not at what the caller selected: leaving `valid` and `reason` out of the selection
 * does not hide a wrong guess from the rate limiter.
 */
function countFailedGuesses(schema: GraphQLSchema): void {
  for (const field of Object.values(schema.getMutationType()?.getFields() ?? {})) {
    const resolve = field.resolve ?? defaultFieldResolver;
    if ((resolve as { [COUNTING]?: boolean })[COUNTING]) continue;
    const counting: typeof resolve = async (source, args, context, info) => {
      const bump = () => {
        if (typeof context === 'object' && context !== null) failedGuessCounts.set(context, (failedGuessCounts.get(context) ?? 0) + 1);
      };
      try {
        const result = await resolve(source, args, context, info);
        if (isFailedGuess(result)) bump();
        return result;
      } catch (error) {
        if (isContractError(error) && FAILED_GUESS_ERROR_CODES.has(String(error.extensions.code))) bump();
        throw error;
      }
    };
    field.resolve = Object.assign(counting, { [COUNTING]: true });
  }
}

/** The access report of one request, or undefined when there is nothing to report. */
export function accessReportOf(context: unknown): AccessReport | undefined {
  if (typeof context !== 'object' || context === null) return undefined;
  const personalData = (context as AccessReportingContext).accessReport?.()?.personalData;
  const failedGuesses = failedGuessCounts.get(context) ?? 0;
  if (!personalData && failedGuesses === 0) return undefined;
  return { ...(personalData ? { personalData } : {}), ...(failedGuesses > 0 ? { failedGuesses } : {}) };
}

interface SubgraphRequestRecord {
  requestId: string;
  startedAt: number;
  url: URL;
  principal?: Principal;
  operation?: string;
  outcome?: string;
}

export interface SubgraphServerOptions<TContext extends object> {
  name: string;
  schema: import('graphql').GraphQLSchema;
  internalSecret: string;
  createContext(principal: Principal, requestId: string): TContext | Promise<TContext>;
  /** POST /internal/<name>: service-to-service calls, also only with an internal token. */
  internalRoutes?: Record<string, InternalRoute>;
  /** GET /stream/<name>: routes that write their own response (see StreamRoute). */
  streamRoutes?: Record<string, StreamRoute>;
  /** POST /stream/<name>: routes that stream a large request body (see UploadRoute). */
  uploadRoutes?: Record<string, UploadRoute>;
  host: string;
  port: number;
  bodyLimitBytes?: number;
  /** What GET /ready checks (the database); /health only says the process runs. */
  readinessChecks?: ReadinessCheck[];
  /** Called once the HTTP server is closed (e.g. to close the database pool). */
  onStop?: () => Promise<void>;
  /** Old-style log callback (tests capture lines with it); the JSON lines are written to it instead of stdout. */
  log?: (line: string) => void;
  logger?: Logger;
  /** The service's database, whose pool /metrics reports. */
  database?: DataSource;
  /** The member directory lookups /metrics reports (services that ask the member subgraph). */
  directoryLookups?: DirectoryLookupCounts;
  /** Mutations whose outcome (OK or the error code) is counted in union_claim_outcomes_total (e.g. claimVoucher). */
  countedMutations?: readonly string[];
  /** Registers the service's own metrics (e.g. the benefit subgraph's claim groups) in its /metrics registry. */
  serviceMetrics?: (registry: Registry) => void;
  /** Bearer that may read /metrics from off the host (METRICS_TOKEN). */
  metricsToken?: string;
  /** How long requests in flight get on stop (SHUTDOWN_GRACE_SECONDS). */
  shutdownGraceSeconds?: number;
}

/** A service's logger: JSON lines on stdout, or into an old-style `log` callback when one is given (tests). */
export function serviceLogger(service: string, log?: (line: string) => void): Logger {
  return log ? createLogger(service, { destination: { write: (line: string) => log(line.trimEnd()) } }) : createLogger(service);
}

/** Counts the outcome (OK, or the contract code it failed with) of the named mutations per call. */
function countMutationOutcomes(schema: GraphQLSchema, names: readonly string[], counter: Counter<'mutation' | 'outcome'>): void {
  const fields = schema.getMutationType()?.getFields() ?? {};
  for (const name of names) {
    const field = fields[name];
    if (!field) continue;
    const resolve = field.resolve ?? defaultFieldResolver;
    field.resolve = async (source, args, context, info) => {
      try {
        const result = await resolve(source, args, context, info);
        counter.inc({ mutation: name, outcome: 'OK' });
        return result;
      } catch (error) {
        counter.inc({ mutation: name, outcome: outcomeLabel(isContractError(error) ? String(error.extensions.code) : 'INTERNAL_SERVER_ERROR') });
        throw error;
      }
    };
  }
}

/** The partner a principal acts for (a MEMBER token: its platform; a service: none). */
function partnerIdOf(principal: Principal): string | null {
  if (principal.kind === 'MEMBER') return principal.actingPartnerId ?? null;
  return principal.kind === 'SERVICE' ? null : principal.id;
}

/**
 * Formats errors for the gateway: contract errors pass unchanged; anything else becomes an
 * INTERNAL_SERVER_ERROR with an error id, and the details go to the log, never to the caller.
 */
export function safeErrorFormatter(service: string, log: (line: string) => void) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = (error as { originalError?: unknown })?.originalError ?? error;
    if (isContractError(original) || isContractError(error)) {
      const { stacktrace: _dropped, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    // The database (or a service this one asks) is down: the caller may retry, and the gateway
    // keeps the rest of the answer, with null and this error at the field's path.
    if (isUnavailable(original)) {
      log(`${service}: unavailable at ${JSON.stringify(formatted.path ?? [])}: ${(original as Error)?.message ?? String(original)}`);
      const unavailable = serviceUnavailable('the service behind this field');
      return { message: unavailable.message, locations: formatted.locations, path: formatted.path, extensions: unavailable.extensions };
    }
    if (isInputDataError(original)) {
      return {
        message: 'a value of this request is not valid here',
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: 'BAD_USER_INPUT' },
      };
    }
    const code = formatted.extensions?.code;
    if (code === 'GRAPHQL_VALIDATION_FAILED' || code === 'GRAPHQL_PARSE_FAILED' || code === 'BAD_USER_INPUT') {
      return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code: 'BAD_USER_INPUT' } };
    }
    const errorId = randomUUID();
    log(`${service}: error ${errorId}: ${(original as Error)?.stack ?? String(original)}`);
    return { message: `internal error (id ${errorId})`, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR', errorId } };
  };
}

/** 503 SERVICE_UNAVAILABLE, to be sent with Retry-After: the database (or a service this one asks) is down. */
function unavailableBody(service: string, log: (line: string) => void, error: unknown): { errors: GraphQLFormattedError[] } {
  log(`${service}: unavailable: ${(error as Error)?.message ?? String(error)}`);
  const unavailable = serviceUnavailable('the service');
  return { errors: [{ message: unavailable.message, extensions: unavailable.extensions }] };
}

function sendUnavailable(res: ServerResponse, service: string, log: (line: string) => void, error: unknown): void {
  sendJson(res, 503, unavailableBody(service, log, error), { 'retry-after': String(RETRY_AFTER_SECONDS) });
}

const GRAPHQL_URL = new URL('/graphql', 'http://subgraph');
const UNAUTHENTICATED_MESSAGE = (service: string) => `${service} subgraph only answers requests that come through the gateway`;

/**
 * Writes lines to a response, the lines of one turn of the event loop in one write: a batch's
 * answers that finish together (their rows came in one statement) leave together.
 */
function turnCorkedWriter(res: ServerResponse): (line: string) => void {
  let corked = false;
  return (line) => {
    if (!corked) {
      corked = true;
      res.cork();
      setImmediate(() => {
        corked = false;
        res.uncork();
      });
    }
    res.write(line);
  };
}

export async function startSubgraphServer<TContext extends object>(options: SubgraphServerOptions<TContext>): Promise<RunningService> {
  const logger = options.logger ?? serviceLogger(options.name, options.log);
  const log = lineLogger(logger);
  const readiness = new Readiness(options.readinessChecks ?? []);
  const knownOperations = new Set(['_entities', '_service']);
  for (const root of [options.schema.getQueryType(), options.schema.getMutationType()])
    for (const field of Object.keys(root?.getFields() ?? {})) knownOperations.add(field);
  const routes = [
    '/graphql',
    SUBGRAPH_BATCH_PATH,
    '/health',
    '/ready',
    '/metrics',
    ...Object.keys(options.internalRoutes ?? {}).map((r) => `/internal/${r}`),
    ...Object.keys(options.streamRoutes ?? {}).map((r) => `/stream/${r}`),
  ];
  const metrics = new ServiceMetrics(options.name, knownOperations, new Set(routes));
  if (options.database) metrics.observeDatabasePool(options.database);
  if (options.directoryLookups) metrics.observeDirectoryLookups(options.directoryLookups);
  options.serviceMetrics?.(metrics.registry);
  if (options.countedMutations?.length) {
    const claims = new Counter({
      name: 'union_claim_outcomes_total',
      help: 'Outcomes of claiming mutations (claimVoucher, applyHospitalDiscount ...): OK or the contract error code.',
      labelNames: ['mutation', 'outcome'],
      registers: [metrics.registry],
    });
    countMutationOutcomes(options.schema, options.countedMutations, claims);
  }
  countFailedGuesses(options.schema);
  const runner = new OperationRunner<TContext>(options.schema, safeErrorFormatter(options.name, log), {
    introspection: process.env.NODE_ENV !== 'production',
  });
  const bodyLimit = options.bodyLimitBytes ?? 2 * 1024 * 1024;
  const verifyInternalToken = cachedInternalTokenVerifier(options.internalSecret);

  async function handle(req: IncomingMessage, res: ServerResponse, record: SubgraphRequestRecord): Promise<void> {
    const url = record.url;
    if (url.pathname === '/health') return sendJson(res, 200, { status: 'ok', service: options.name });
    if (url.pathname === '/ready') return answerReady(res, readiness, options.name);
    if (url.pathname === '/metrics') return answerMetrics(req, res, metrics, options.metricsToken);
    // Each operation of a batch carries its own token: no caller is named for the batch itself.
    if (url.pathname === SUBGRAPH_BATCH_PATH) return handleBatch(req, res);

    const token = req.headers[INTERNAL_TOKEN_HEADER];
    let principal: Principal;
    try {
      if (typeof token !== 'string') throw new Error('missing internal token');
      principal = await verifyInternalToken(token);
    } catch {
      return sendGraphQLError(res, 401, 'UNAUTHENTICATED', UNAUTHENTICATED_MESSAGE(options.name));
    }
    record.principal = principal;

    if (url.pathname.startsWith('/stream/')) {
      const name = url.pathname.slice('/stream/'.length);
      const route = req.method === 'GET' ? options.streamRoutes?.[name] : undefined;
      const upload = req.method === 'POST' ? options.uploadRoutes?.[name] : undefined;
      if (!route && !upload) return sendJson(res, 404, { error: 'not found' });
      const requestId = record.requestId;
      try {
        if (upload) return await upload({ query: url.searchParams, requestId, body: req }, principal, res);
        return await route!({ query: url.searchParams, requestId }, principal, res);
      } catch (error) {
        if (res.headersSent) {
          logger.error({ requestId: record.requestId, route: url.pathname, err: error }, 'stream cut after the first byte');
          res.destroy();
          return;
        }
        if (isContractError(error)) {
          const code = String(error.extensions.code);
          return sendGraphQLError(res, STREAM_ERROR_STATUS[code] ?? 422, code, error.message);
        }
        if (isUnavailable(error)) return sendUnavailable(res, options.name, log, error);
        if (isInputDataError(error)) return sendGraphQLError(res, 400, 'BAD_USER_INPUT', 'a value of this request is not valid here');
        throw error;
      }
    }

    let raw: string;
    try {
      raw = await readBody(req, bodyLimit);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return sendGraphQLError(res, 413, 'QUERY_TOO_COMPLEX', error.message);
      throw error;
    }

    if (url.pathname.startsWith('/internal/')) {
      const route = options.internalRoutes?.[url.pathname.slice('/internal/'.length)];
      if (!route || req.method !== 'POST') return sendJson(res, 404, { error: 'not found' });
      if (principal.kind !== 'SERVICE') return sendGraphQLError(res, 403, 'FORBIDDEN', 'internal routes are for services');
      try {
        return sendJson(res, 200, await route(raw ? JSON.parse(raw) : {}, principal));
      } catch (error) {
        if (isUnavailable(error)) return sendUnavailable(res, options.name, log, error);
        const errorId = randomUUID();
        logger.error({ requestId: record.requestId, route: url.pathname, errorId, err: error }, 'internal route failed');
        return sendJson(res, 500, { error: `internal error (id ${errorId})` });
      }
    }

    if (url.pathname !== '/graphql' && url.pathname !== '/') return sendJson(res, 404, { error: 'not found' });
    let body: unknown;
    try {
      body = parseJsonBody(raw, req.headers['content-type']);
    } catch {
      return sendGraphQLError(res, 400, 'BAD_USER_INPUT', 'request body is not valid JSON');
    }
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'GraphQL operations are POSTed' }, { allow: 'POST' });
    const answer = await answerOperation(body, principal, record);
    sendJson(res, answer.status, answer.body);
  }

  /** Runs one GraphQL operation for its caller; the record learns its operation and outcome. */
  async function answerOperation(
    body: unknown,
    principal: Principal,
    record: SubgraphRequestRecord,
  ): Promise<{ status: number; body: { errors?: readonly GraphQLFormattedError[] } }> {
    const rootFields: string[] = [];
    const answer = await runner.run(body, () => options.createContext(principal, record.requestId), {
      resolved: (operation) => {
        for (const selection of operation.selectionSet.selections) if (selection.kind === Kind.FIELD) rootFields.push(selection.name.value);
      },
      extensions: (context) => {
        const report = accessReportOf(context);
        return report ? { [ACCESS_REPORT_EXTENSION]: report } : undefined;
      },
    });
    const errors = answer.body.errors;
    record.operation = metrics.operationLabel(null, rootFields);
    record.outcome = errors?.length ? String(errors[0].extensions?.code ?? 'INTERNAL_SERVER_ERROR') : 'OK';
    return answer;
  }

  /**
   * POST /graphql/batch (subgraph-batch.ts): every operation answered as it would be alone (its
   * status, its Retry-After), each on its own line as soon as it is ready, each with its own log
   * line and metrics under /graphql. What is wrong with the batch itself is answered for all.
   */
  async function handleBatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'batches are POSTed' }, { allow: 'POST' });
    let operations: BatchedOperation[] | null;
    try {
      operations = parseSubgraphBatch(await readBody(req, bodyLimit));
    } catch (error) {
      if (error instanceof BodyTooLargeError) return sendGraphQLError(res, 413, 'QUERY_TOO_COMPLEX', error.message);
      throw error;
    }
    if (!operations) return sendGraphQLError(res, 400, 'BAD_USER_INPUT', 'a batch is a JSON array of operations, each with its token');
    res.writeHead(200, { 'content-type': SUBGRAPH_BATCH_ANSWER_TYPE });
    const write = turnCorkedWriter(res);
    await Promise.all(
      operations.map(async (operation, i) => {
        const record: SubgraphRequestRecord = { requestId: requestIdFrom(operation.requestId), startedAt: performance.now(), url: GRAPHQL_URL };
        const answer = await answerBatched(operation, record);
        write(`${JSON.stringify({ i, ...answer } satisfies BatchedAnswer)}\n`);
        observe('POST', answer.status, record);
      }),
    );
    res.end();
  }

  async function answerBatched(operation: BatchedOperation, record: SubgraphRequestRecord): Promise<Omit<BatchedAnswer, 'i'>> {
    try {
      try {
        record.principal = await verifyInternalToken(operation.token);
      } catch {
        return { status: 401, body: graphQLErrorBody('UNAUTHENTICATED', UNAUTHENTICATED_MESSAGE(options.name)) };
      }
      return await answerOperation(operation.operation, record.principal, record);
    } catch (error) {
      return failureAnswer(error, record);
    }
  }

  /** Logs a request's failure under a new error id, which the caller's answer names. */
  function logFailure(error: unknown, record: SubgraphRequestRecord): string {
    const errorId = randomUUID();
    record.outcome = 'INTERNAL_SERVER_ERROR';
    logger.error({ requestId: record.requestId, errorId, err: error }, 'request failed');
    return errorId;
  }

  /**
   * The answer to a request (or a batch's operation) that failed outside GraphQL's own errors: 503
   * with Retry-After when the database or a service it asks is down, else 500 naming the logged error.
   */
  function failureAnswer(error: unknown, record: SubgraphRequestRecord): Omit<BatchedAnswer, 'i'> {
    if (isUnavailable(error)) return { status: 503, retryAfter: String(RETRY_AFTER_SECONDS), body: unavailableBody(options.name, log, error) };
    return { status: 500, body: graphQLErrorBody('INTERNAL_SERVER_ERROR', `internal error (id ${logFailure(error, record)})`) };
  }

  /** One log line and the request metrics per request (a batch: per operation), once its answer has gone out. */
  function observe(method: string, status: number, record: SubgraphRequestRecord): void {
    const seconds = (performance.now() - record.startedAt) / 1000;
    metrics.observeRequest(record.url.pathname, method, status);
    if (record.operation !== undefined) metrics.observeOperation(record.operation, record.principal?.kind, record.outcome, seconds);
    logRequest(logger, {
      requestId: record.requestId,
      route: metrics.routeLabel(record.url.pathname),
      method,
      status,
      durationMs: Math.round(seconds * 10_000) / 10,
      partnerId: record.principal ? partnerIdOf(record.principal) : null,
      partnerKind: record.principal?.kind ?? null,
      ...(record.operation !== undefined ? { operation: record.operation, outcome: record.outcome } : {}),
    });
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const record: SubgraphRequestRecord = {
      requestId: requestIdOf(req.headers),
      startedAt: performance.now(),
      url: new URL(req.url ?? '/', 'http://subgraph'),
    };
    res.setHeader(REQUEST_ID_HEADER, record.requestId);
    req.headers[REQUEST_ID_HEADER] = record.requestId;
    closeWhileDraining(readiness, res);
    let observed = false;
    const once = () => {
      if (observed) return;
      observed = true;
      // Probes and scrapes would drown the request lines: they are counted, not logged. A batch's
      // operations have a line each.
      const path = record.url.pathname;
      if (path === '/health' || path === '/ready' || path === '/metrics' || path === SUBGRAPH_BATCH_PATH) {
        metrics.observeRequest(path, req.method ?? 'GET', res.statusCode);
        return;
      }
      observe(req.method ?? 'GET', res.statusCode, record);
    };
    res.once('finish', once);
    res.once('close', once);
    handle(req, res, record).catch((error: unknown) => {
      if (res.headersSent) {
        logFailure(error, record);
        res.end();
        return;
      }
      const answer = failureAnswer(error, record);
      sendJson(res, answer.status, answer.body, answer.retryAfter === undefined ? {} : { 'retry-after': answer.retryAfter });
    });
  };
  const server = createServer(onRequest);
  // A caller that asks before sending a body (Expect: 100-continue) is told to go on at once,
  // except by an upload route, which first decides whether it takes the file (see acceptUpload).
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!(req.method === 'POST' && req.url?.startsWith('/stream/'))) res.writeContinue();
    onRequest(req, res);
  });
  server.keepAliveTimeout = 65_000;
  const port = await listen(server, options.port, options.host, `${options.name} subgraph`);
  return {
    url: `http://${options.host}:${port}/graphql`,
    port,
    async stop() {
      const graceSeconds = options.shutdownGraceSeconds ?? DEFAULT_SHUTDOWN_GRACE_SECONDS;
      const clean = await drainServer(server, readiness, graceSeconds * 1000);
      if (!clean) logger.warn({ graceSeconds }, 'requests still in flight after the grace period were cut');
      await options.onStop?.();
    },
  };
}
