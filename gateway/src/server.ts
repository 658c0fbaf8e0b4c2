import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import {
  ACCESS_REPORT_EXTENSION,
  BodyTooLargeError,
  closeServer,
  ErrorCodes,
  headerMap,
  INTERNAL_TOKEN_HEADER,
  InternalClient,
  listen,
  parseJsonBody,
  readBody,
  sendApolloResponse,
  sendGraphQLError,
  sendJson,
  sendReadiness,
  signInternalToken,
  type ErrorCode,
  type MemberFacts,
  type Principal,
  type RunningService,
} from '@union/common';
import { GraphQLError, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import type { DataSource } from 'typeorm';
import { AccessReportCollector, appendAccessRecord, observeExport } from './audit';
import { assertOperationAllowed, readScopeRequirements } from './authorization';
import { handleMemberExport } from './exports';
import { AuthError, createAuth, loadOrCreateSigningKey, type Auth } from './auth';
import type { GatewayConfig } from './config';
import { ExpiringCache } from './expiring-cache';
import { InputValidator } from './input-validation';
import { answerIfUnavailable, gatewayReadinessChecks, withheldAnswer } from './outage';
import { OperationAnalyzer, type OperationAnalysis } from './limits';
import { PartnerAccessCache, type PartnerAccess } from './partner-access';
import { CostRateLimiter } from './rate-limit';
import { keepAliveSubgraphFetcher } from './subgraph-fetcher';
import { classifyFetchFailure, outageResponse, serviceUnavailableStatus } from './subgraph-outage';
import { plannerSupergraph, readSupergraph, supergraphSchema } from './supergraph';

export interface GatewayContext {
  principal: Principal;
  requestId: string;
  /** One internal token per request, shared by all of its subgraph fetches. */
  internalToken?: Promise<string>;
  /** What the subgraphs reported about this request: personal data disclosed, failed guesses. */
  accessReport: AccessReportCollector;
  /** The rate-limit bucket this request was charged to and its budget, for after-the-fact penalties. */
  rate: { key: string; perMinute: number | null };
}

/** What a member export costs against the rate limit: it reads a whole subtree. */
export const MEMBER_EXPORT_COST = 1000;

/** Internal tokens live 60 s; one is reused for the same principal for at most half of that. */
const INTERNAL_TOKEN_TTL_SECONDS = 60;
const INTERNAL_TOKEN_REUSE_MS = 30_000;

/**
 * Signed internal tokens per principal, reused for up to 30 s: signing one per request was a
 * measurable part of the gateway's CPU, and the token says nothing a reused one would not.
 */
export function internalTokenSigner(secret: string, now: () => number = Date.now): (principal: Principal) => Promise<string> {
  const cache = new ExpiringCache<Promise<string>>(10_000, now);
  return (principal) => {
    const key = JSON.stringify([principal.kind, principal.id, principal.name, principal.scopes, principal.organizationId ?? null, principal.actingPartnerId ?? null]);
    const cached = cache.get(key);
    if (cached) return cached;
    const signed = signInternalToken(principal, secret, INTERNAL_TOKEN_TTL_SECONDS);
    cache.set(key, signed, now() + INTERNAL_TOKEN_REUSE_MS);
    return signed;
  };
}

/** Adds the gateway-signed principal to every subgraph fetch; subgraphs refuse requests without it. */
class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    private readonly serviceName: string,
    url: string,
    private readonly signInternal: (principal: Principal) => Promise<string>,
    fetcher: RemoteGraphQLDataSource['fetcher'],
    private readonly log: (line: string) => void,
  ) {
    super({ url, fetcher });
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    const ctx = context as Partial<GatewayContext>;
    if (!ctx.principal) return;
    ctx.internalToken ??= this.signInternal(ctx.principal);
    request.http?.headers.set(INTERNAL_TOKEN_HEADER, await ctx.internalToken);
    if (ctx.requestId) request.http?.headers.set('x-request-id', ctx.requestId);
  }

  /** A subgraph that cannot answer costs only its own fields (see subgraph-outage.ts). */
  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): ReturnType<RemoteGraphQLDataSource<GatewayContext>['process']> {
    try {
      return await super.process(options);
    } catch (error) {
      const failure = classifyFetchFailure(error);
      if (failure.kind === 'client-mistake') return { errors: failure.errors };
      if (failure.kind === 'internal') throw error;
      this.log(`gateway: subgraph ${this.serviceName} (${this.url}) unavailable, its fields answered null: ${failure.detail}`);
      return outageResponse(options.request);
    }
  }

  /** Takes the subgraph's access report out of its response (a partner never sees it) into the request context. */
  override async didReceiveResponse({
    response,
    context,
  }: Parameters<NonNullable<RemoteGraphQLDataSource<GatewayContext>['didReceiveResponse']>>[0]) {
    const extensions = response.extensions as Record<string, unknown> | undefined;
    if (extensions && ACCESS_REPORT_EXTENSION in extensions) {
      (context as Partial<GatewayContext>).accessReport?.add(extensions[ACCESS_REPORT_EXTENSION]);
      delete extensions[ACCESS_REPORT_EXTENSION];
    }
    return response;
  }
}

const PASSTHROUGH_CODES = new Set<string>(ErrorCodes);
// Apollo's codes for requests we cannot run as sent. A persisted-query hash is one (automatic
// persisted queries are off); the message stays "PersistedQueryNotSupported", which is what
// Apollo's clients look for to fall back to sending the query text.
const CLIENT_MISTAKE_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'PERSISTED_QUERY_NOT_FOUND',
]);

/**
 * What a partner may see of an error: contract codes with their message; malformed operations as
 * BAD_USER_INPUT; anything else as INTERNAL_SERVER_ERROR with an error id, the details (stack,
 * subgraph URLs) only in our log.
 */
export function partnerErrorFormatter(production: boolean, log: (line: string) => void) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    // A subgraph that answered with an HTTP error (e.g. 401 on an internal token) is our fault, not
    // the partner's; its extensions carry the subgraph's URL and body, which a partner must not see.
    const fromSubgraphHttp = formatted.extensions?.response !== undefined;
    const code = fromSubgraphHttp ? 'INTERNAL_SERVER_ERROR' : String(formatted.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
    const message = production ? formatted.message.replace(/ Did you mean .*\?$/, '') : formatted.message;
    if (CLIENT_MISTAKE_CODES.has(code)) {
      return { message, locations: formatted.locations, extensions: { code: 'BAD_USER_INPUT' } };
    }
    if (PASSTHROUGH_CODES.has(code) && code !== 'INTERNAL_SERVER_ERROR') {
      const { stacktrace: _s, serviceName: _n, exception: _e, http: _h, response: _r, ...extensions } = formatted.extensions ?? {};
      return { message, locations: formatted.locations, path: formatted.path, extensions: { ...extensions, code: code as ErrorCode } };
    }
    const errorId = (formatted.extensions?.errorId as string | undefined) ?? randomUUID();
    log(`gateway: error ${errorId}: ${formatted.message} ${JSON.stringify(formatted.extensions ?? {})} ${(error as Error)?.stack ?? ''}`);
    return { message: `internal error (id ${errorId})`, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR', errorId } };
  };
}

/** The `exp` of a JWT whose signature has been verified, in epoch milliseconds (0 when it has none). */
function expiryOf(token: string): number {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : 0;
  } catch {
    return 0;
  }
}

export interface GatewayDeps {
  config: GatewayConfig;
  db: DataSource;
  log: (line: string) => void;
}

export interface RunningGateway extends RunningService {
  auth: Auth;
}

export async function startGatewayServer({ config, db, log }: GatewayDeps): Promise<RunningGateway> {
  const publishedSupergraph = readSupergraph(config.supergraphPath);
  const requirements = readScopeRequirements(publishedSupergraph);
  const apiSchema = supergraphSchema(publishedSupergraph);
  const memberService = new InternalClient(config.subgraphUrls.member, 'gateway', config.internalSecret);
  const partners = new PartnerAccessCache(db, config.partnerCacheMs);
  const limiter = new CostRateLimiter({ defaultPerMinute: config.rateLimit.perMinute });
  const analyzer = new OperationAnalyzer(apiSchema, config.limits);
  const inputs = new InputValidator(apiSchema);
  const subgraphFetcher = keepAliveSubgraphFetcher();
  const signInternal = internalTokenSigner(config.internalSecret);
  // Verifying an EdDSA signature per request is the gateway's single largest crypto cost; a token
  // verified once is remembered until it expires (its partner's status is still checked per request).
  const verifiedTokens = new ExpiringCache<Principal>(10_000);

  const auth = createAuth({
    dataSource: db,
    signingKey: await loadOrCreateSigningKey({ privateKeyPem: config.jwt.privateKeyPem, keyFile: config.jwt.keyFile }),
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
    partnerTokenTtlSeconds: config.jwt.partnerTokenTtlSeconds,
    memberTokenTtlSeconds: config.jwt.memberTokenTtlSeconds,
    lookupMember: async (id) => (await memberService.call<MemberFacts[]>('member-facts', { ids: [id] }))[0] ?? null,
    failedAuthenticationsPerMinute: config.tokenFailuresPerMinute,
    log,
  });

  const gateway = new ApolloGateway({
    supergraphSdl: plannerSupergraph(publishedSupergraph),
    buildService: ({ name }) => {
      const url = config.subgraphUrls[name as keyof GatewayConfig['subgraphUrls']];
      if (!url) throw new Error(`no URL configured for subgraph ${name}`);
      return new SubgraphDataSource(name, url, signInternal, subgraphFetcher.fetch, log);
    },
  });

  const authorizationVerdicts = new WeakMap<DocumentNode, Map<string, GraphQLError | null>>();
  const authorization: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, contextValue }) {
          // Apollo hands out the same parsed document for the same query text, and the verdict
          // depends only on the document and the scopes held: remember it.
          const scopes = contextValue.principal.scopes.join(' ');
          let verdicts = authorizationVerdicts.get(document);
          if (!verdicts) authorizationVerdicts.set(document, (verdicts = new Map()));
          let verdict = verdicts.get(scopes);
          if (verdict === undefined) {
            verdict = null;
            try {
              assertOperationAllowed(apiSchema, document, requirements, contextValue.principal);
            } catch (error) {
              if (!(error instanceof GraphQLError)) throw error;
              verdict = error;
            }
            if (verdicts.size < 100) verdicts.set(scopes, verdict);
          }
          if (verdict) throw new GraphQLError(verdict.message, { extensions: { ...verdict.extensions, http: { status: 403 } } });
        },
      };
    },
  };

  /**
   * After execution: one access record for a response that carries unmasked personal data
   * (written before the response leaves: if it cannot be written, the partner gets an error
   * instead of the data), and the rate-limit penalty for failed guesses.
   */
  const accessRecords: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response, operationName }) {
          const { accessReport, principal, rate, requestId } = contextValue;
          if (accessReport.failedGuesses > 0) limiter.penalize(rate.key, accessReport.failedGuesses * config.rateLimit.failedGuessPenalty, rate.perMinute);
          if (!accessReport.disclosesPersonalData) return;
          const { memberIds, fields, fieldsByMember } = accessReport.disclosure();
          try {
            await appendAccessRecord(db, {
              principal,
              operationName: operationName ?? null,
              memberIds,
              fields,
              detail: { requestId, ...(fieldsByMember ? { fieldsByMember } : {}) },
            });
          } catch (error) {
            const withheld = withheldAnswer(error);
            log(`gateway: access record for request ${requestId} not written, response withheld (error ${withheld.errorId}): ${(error as Error)?.stack ?? String(error)}`);
            response.body = { kind: 'single', singleResult: { errors: [withheld.error] } };
            response.http.status = withheld.status;
            for (const [name, value] of Object.entries(withheld.headers)) response.http.headers.set(name, value);
          }
        },
      };
    },
  };

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    plugins: [authorization, accessRecords, serviceUnavailableStatus],
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: config.production,
    // Introspection is decided per partner before Apollo sees the request (see handleGraphQL).
    introspection: true,
    // Automatic persisted queries would let a request carry only a hash, past the limits below.
    persistedQueries: false,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    formatError: partnerErrorFormatter(config.production, log),
  });
  await apollo.start();

  async function authenticate(req: IncomingMessage): Promise<Principal> {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new AuthError('missing bearer access token');
    const token = match[1];
    const known = verifiedTokens.get(token);
    if (known) return known;
    const principal = await auth.tokens.verifyAccessToken(token);
    verifiedTokens.set(token, principal, expiryOf(token));
    return principal;
  }

  /**
   * The caller of a bearer-token endpoint and its partner's current standing, or null after
   * answering 401: a bad token, or a partner disabled since the token was issued (seen within
   * PARTNER_CACHE_SECONDS).
   */
  async function authenticated(req: IncomingMessage, res: ServerResponse): Promise<{ principal: Principal; access: PartnerAccess | null } | null> {
    let principal: Principal;
    try {
      principal = await authenticate(req);
    } catch (error) {
      const reason = error instanceof AuthError ? error.message : 'invalid access token';
      sendGraphQLError(res, 401, 'UNAUTHENTICATED', reason, { 'www-authenticate': 'Bearer realm="union-benefits"' });
      return null;
    }
    const partnerId = PartnerAccessCache.partnerIdOf(principal);
    const access = partnerId ? await partners.get(partnerId) : null;
    if (access && access.status !== 'active') {
      const reason = principal.kind === 'MEMBER' ? 'the platform that issued this member token is disabled' : 'this partner is disabled';
      sendGraphQLError(res, 401, 'UNAUTHENTICATED', reason, { 'www-authenticate': 'Bearer realm="union-benefits", error="invalid_token"' });
      return null;
    }
    return { principal, access };
  }

  /** Rate-limit bucket of a caller: its partner, or for MEMBER tokens the member (a platform acts for millions of them). */
  const rateOf = (principal: Principal, access: PartnerAccess | null) => ({
    key: `${principal.kind === 'MEMBER' ? 'member' : 'partner'}:${principal.id}`,
    perMinute: principal.kind === 'MEMBER' ? null : (access?.rateLimitPerMinute ?? null),
  });

  /** Takes `cost` from the caller's budget, or answers 429 RATE_LIMITED with Retry-After and returns false. */
  function charge(res: ServerResponse, rate: GatewayContext['rate'], cost: number): boolean {
    const decision = limiter.take(rate.key, cost, rate.perMinute);
    if (decision.allowed) return true;
    const budget = rate.perMinute ?? limiter.defaultPerMinute;
    const message = decision.exceedsBudget
      ? `this operation costs ${cost}, more than your whole budget of ${budget} per minute; ask for less (smaller \`first\`, fewer fields)`
      : `rate limit exceeded: this operation costs ${cost} and your budget is ${budget} per minute; retry after ${decision.retryAfterSeconds} s`;
    sendJson(
      res,
      429,
      { errors: [{ message, extensions: { code: 'RATE_LIMITED', cost, budgetPerMinute: budget, retryAfterSeconds: decision.retryAfterSeconds } }] },
      { 'retry-after': String(decision.retryAfterSeconds) },
    );
    return false;
  }

  /** The operation a GraphQL request carries, as Apollo will read it (GET parameters or a JSON body). */
  function requestedOperation(method: string, url: URL, body: unknown): { query?: unknown; operationName?: unknown; variables?: unknown } {
    if (method === 'GET') {
      let variables: unknown;
      try {
        variables = JSON.parse(url.searchParams.get('variables') ?? 'null');
      } catch {
        variables = undefined;
      }
      return { query: url.searchParams.get('query') ?? undefined, operationName: url.searchParams.get('operationName') ?? undefined, variables };
    }
    return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  }

  async function handleGraphQL(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const caller = await authenticated(req, res);
    if (!caller) return;
    const { principal, access } = caller;
    let raw: string;
    try {
      raw = await readBody(req, config.maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return sendGraphQLError(res, 413, 'QUERY_TOO_COMPLEX', error.message);
      throw error;
    }
    let body: unknown;
    try {
      body = parseJsonBody(raw, req.headers['content-type']);
    } catch {
      return sendGraphQLError(res, 400, 'BAD_USER_INPUT', 'request body is not valid JSON');
    }
    if (Array.isArray(body)) return sendGraphQLError(res, 400, 'BAD_USER_INPUT', 'batched requests are not supported; send one operation per request');

    // Limits, introspection and the rate limit, all before Apollo validates or plans anything.
    const { query, operationName, variables } = requestedOperation(req.method ?? 'POST', url, body);
    let analysis: OperationAnalysis | null = null;
    if (typeof query === 'string') {
      try {
        analysis = analyzer.analyze(
          query,
          typeof operationName === 'string' ? operationName : null,
          typeof variables === 'object' && variables !== null ? (variables as Record<string, unknown>) : null,
        );
      } catch (error) {
        if (!(error instanceof GraphQLError)) throw error;
        return sendJson(res, 400, { errors: [{ message: error.message, extensions: error.extensions }] });
      }
    }
    // Every input value, in literals and variables, before Apollo validates or plans (input-validation.ts).
    try {
      inputs.check({ query, operationName, variables }, analysis?.document);
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      return sendJson(res, 400, { errors: [{ message: error.message, extensions: { code: 'BAD_USER_INPUT', argument: error.extensions.argument } }] });
    }
    if (analysis?.introspection && config.production && !config.allowIntrospection && !access?.introspectionAllowed) {
      return sendGraphQLError(
        res,
        403,
        'FORBIDDEN',
        'schema introspection is off for this partner; the schema is published as schema/supergraph.graphql (an operator can allow introspection: npm run partner -- set-introspection ID on)',
      );
    }
    const rate = rateOf(principal, access);
    if (!charge(res, rate, analysis?.cost ?? 1)) return;

    const requestId = randomUUID();
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'POST', headers: headerMap(req), search: url.search, body },
      context: async () => ({ principal, requestId, accessReport: new AccessReportCollector(), rate }),
    });
    await sendApolloResponse(res, response, { 'x-request-id': requestId });
  }

  /** GET /exports/members, passed through to the member subgraph; one access record per export that went out. */
  async function handleExport(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const caller = await authenticated(req, res);
    if (!caller) return;
    const { principal, access } = caller;
    if (!charge(res, rateOf(principal, access), MEMBER_EXPORT_COST)) return;
    const observed = observeExport(res);
    await handleMemberExport(req, res, principal, { memberSubgraphUrl: config.subgraphUrls.member, internalSecret: config.internalSecret });
    const outcome = observed.result();
    if (outcome.status !== 200) return;
    const filter = Object.fromEntries([...url.searchParams].filter(([name]) => name !== 'format'));
    try {
      await appendAccessRecord(db, {
        principal,
        operationName: 'GET /exports/members',
        memberIds: [],
        fields: outcome.masked === false ? ['cardNumber', 'fullName', 'phone'] : [],
        detail: {
          export: true,
          exportId: outcome.exportId,
          filter,
          format: outcome.format,
          masked: outcome.masked,
          rows: outcome.rows,
          complete: outcome.complete,
        },
      });
    } catch (error) {
      // The file has gone out already; the member subgraph's own export log (member_exports) still has it.
      log(`gateway: access record for export ${outcome.exportId ?? '?'} not written: ${(error as Error)?.stack ?? String(error)}`);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    switch (url.pathname) {
      case '/health':
        return sendJson(res, 200, { status: 'ok' });
      case '/ready':
        return sendReadiness(res, 'gateway', readinessChecks);
      case '/oauth/token':
        return auth.handleTokenRequest(req, res);
      case '/graphql':
        return handleGraphQL(req, res, url);
      case '/exports/members':
        return handleExport(req, res, url);
      case '/.well-known/jwks.json':
        // Partners' own services can verify our access tokens offline with this public key.
        return sendJson(res, 200, await auth.tokens.jwks(), { 'cache-control': 'public, max-age=300' });
      default:
        return sendJson(res, 404, { error: 'not found', endpoints: ['/graphql', '/oauth/token', '/exports/members', '/.well-known/jwks.json', '/health', '/ready'] });
    }
  }

  const readinessChecks = gatewayReadinessChecks(db, config.subgraphUrls);
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (answerIfUnavailable(res, error, log)) return;
      const errorId = randomUUID();
      log(`gateway: request error ${errorId}: ${(error as Error)?.stack ?? String(error)}`);
      if (!res.headersSent) sendGraphQLError(res, 500, 'INTERNAL_SERVER_ERROR', `internal error (id ${errorId})`);
      else res.end();
    });
  });
  server.keepAliveTimeout = 65_000;
  const port = await listen(server, config.port, config.host, 'gateway');
  return {
    url: `http://${config.host}:${port}/graphql`,
    port,
    auth,
    async stop() {
      await closeServer(server);
      await apollo.stop();
      subgraphFetcher.close();
    },
  };
}
