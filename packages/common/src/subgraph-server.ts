import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { defaultFieldResolver, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { isInputDataError, isUnavailable, RETRY_AFTER_SECONDS, serviceUnavailable } from './availability';
import { isContractError } from './errors';
import { BodyTooLargeError, closeServer, headerMap, listen, parseJsonBody, readBody, sendApolloResponse, sendGraphQLError, sendJson } from './http';
import { INTERNAL_TOKEN_HEADER, type Principal, verifyInternalToken } from './principal';
import { type ReadinessCheck, sendReadiness } from './readiness';

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
export const FAILED_GUESS_REASONS: ReadonlySet<string> = new Set([
  'TOKEN_INVALID',
  'CARD_NOT_FOUND',
  'NAME_MISMATCH',
  ...FAILED_GUESS_ERROR_CODES,
]);

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

export interface SubgraphServerOptions<TContext extends BaseContext> {
  name: string;
  schema: import('graphql').GraphQLSchema;
  internalSecret: string;
  createContext(principal: Principal, requestId: string): TContext | Promise<TContext>;
  /** POST /internal/<name>: service-to-service calls, also only with an internal token. */
  internalRoutes?: Record<string, InternalRoute>;
  /** GET /stream/<name>: routes that write their own response (see StreamRoute). */
  streamRoutes?: Record<string, StreamRoute>;
  host: string;
  port: number;
  bodyLimitBytes?: number;
  /** What GET /ready checks (the database); /health only says the process runs. */
  readinessChecks?: ReadinessCheck[];
  /** Called once the HTTP server is closed (e.g. to close the database pool). */
  onStop?: () => Promise<void>;
  log?: (line: string) => void;
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
      return { message: 'a value of this request is not valid here', locations: formatted.locations, path: formatted.path, extensions: { code: 'BAD_USER_INPUT' } };
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

/** HTTP 503 SERVICE_UNAVAILABLE with Retry-After: the database (or a service this one asks) is down. */
function sendUnavailable(res: ServerResponse, service: string, log: (line: string) => void, error: unknown): void {
  log(`${service}: unavailable: ${(error as Error)?.message ?? String(error)}`);
  const unavailable = serviceUnavailable('the service');
  sendJson(res, 503, { errors: [{ message: unavailable.message, extensions: unavailable.extensions }] }, { 'retry-after': String(RETRY_AFTER_SECONDS) });
}

export async function startSubgraphServer<TContext extends BaseContext>(options: SubgraphServerOptions<TContext>): Promise<RunningService> {
  const log = options.log ?? ((line: string) => console.error(line));
  countFailedGuesses(options.schema);
  const apollo = new ApolloServer<TContext>({
    schema: options.schema,
    includeStacktraceInErrorResponses: false,
    formatError: safeErrorFormatter(options.name, log),
    // Only the gateway talks to a subgraph, always with an internal token: CSRF checks would only get in its way.
    csrfPrevention: false,
    // Traces are for Apollo's hosted studio, which this deployment does not use; they cost per field.
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      {
        async requestDidStart() {
          return {
            async willSendResponse({ response, contextValue }) {
              const report = accessReportOf(contextValue);
              if (!report || response.body.kind !== 'single') return;
              const result = response.body.singleResult;
              result.extensions = { ...result.extensions, [ACCESS_REPORT_EXTENSION]: report };
            },
          };
        },
      },
    ],
  });
  await apollo.start();
  const bodyLimit = options.bodyLimitBytes ?? 2 * 1024 * 1024;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://subgraph');
    if (url.pathname === '/health') return sendJson(res, 200, { status: 'ok', service: options.name });
    if (url.pathname === '/ready') return sendReadiness(res, options.name, options.readinessChecks ?? []);

    const token = req.headers[INTERNAL_TOKEN_HEADER];
    let principal: Principal;
    try {
      if (typeof token !== 'string') throw new Error('missing internal token');
      principal = await verifyInternalToken(token, options.internalSecret);
    } catch {
      return sendGraphQLError(res, 401, 'UNAUTHENTICATED', `${options.name} subgraph only answers requests that come through the gateway`);
    }

    if (url.pathname.startsWith('/stream/')) {
      const route = options.streamRoutes?.[url.pathname.slice('/stream/'.length)];
      if (!route || req.method !== 'GET') return sendJson(res, 404, { error: 'not found' });
      const requestId = (req.headers['x-request-id'] as string | undefined) ?? randomUUID();
      try {
        return await route({ query: url.searchParams, requestId }, principal, res);
      } catch (error) {
        if (res.headersSent) {
          log(`${options.name}: stream ${url.pathname} cut after the first byte: ${(error as Error)?.stack ?? String(error)}`);
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
        log(`${options.name}: internal route ${url.pathname} error ${errorId}: ${(error as Error).stack}`);
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
    const requestId = (req.headers['x-request-id'] as string | undefined) ?? randomUUID();
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'POST', headers: headerMap(req), search: url.search, body },
      context: async () => options.createContext(principal, requestId),
    });
    await sendApolloResponse(res, response);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && isUnavailable(error)) return sendUnavailable(res, options.name, log, error);
      const errorId = randomUUID();
      log(`${options.name}: request error ${errorId}: ${(error as Error)?.stack ?? String(error)}`);
      if (!res.headersSent) sendGraphQLError(res, 500, 'INTERNAL_SERVER_ERROR', `internal error (id ${errorId})`);
      else res.end();
    });
  });
  server.keepAliveTimeout = 65_000;
  const port = await listen(server, options.port, options.host, `${options.name} subgraph`);
  return {
    url: `http://${options.host}:${port}/graphql`,
    port,
    async stop() {
      await closeServer(server);
      await apollo.stop();
      await options.onStop?.();
    },
  };
}
