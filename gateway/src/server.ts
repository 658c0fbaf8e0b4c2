import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  answerMetrics,
  closeWhileDraining,
  drainServer,
  INTERNAL_TOKEN_HEADER,
  MemberDirectoryClient,
  lineLogger,
  listen,
  logRequest,
  Readiness,
  REQUEST_ID_HEADER,
  requestIdOf,
  sendGraphQLError,
  sendJson,
  ServiceMetrics,
  tracingEndpoint,
  type Logger,
  type Principal,
  type RunningService,
} from '@union/common';
import { Counter, Histogram } from 'prom-client';
import type { DataSource } from 'typeorm';
import { internalTokenSigner, startApollo } from './apollo';
import { createAuth, loadOrCreateSigningKey, type Auth } from './auth';
import { readScopeRequirements } from './authorization';
import type { GatewayConfig } from './config';
import { ExpiringCache } from './expiring-cache';
import { InputValidator } from './input-validation';
import { OperationAnalyzer } from './limits';
import { answerIfUnavailable, gatewayReadinessChecks } from './outage';
import { knownOperationNames } from './operation-names';
import { ParsedDocuments } from './parsed-documents';
import { PartnerAccessCache } from './partner-access';
import { graphQLStages, runGraphQLPipeline, type GraphQLExchange } from './pipeline';
import { refusalCode } from './pipeline/answer';
import { ScopeVerdicts } from './pipeline/scope-check';
import { createLimiterStore } from './limiter-store';
import { readBudgetOfRefused } from './pipeline/cost-budget';
import { CostBudget } from './rate-limit';
import { developerRoutes } from './developer/routes';
import { gatewayRouteTable, routeRequest, type RequestRecord } from './router';
import { serveMemberExport } from './routes/member-export';
import { serveMemberImport } from './routes/member-import';
import { readyRoute, UNLOGGED_ROUTES } from './routes/ready';
import { keepAliveSubgraphFetcher } from './subgraph-fetcher';
import { plannerSupergraph, readSupergraph, supergraphSchema } from './supergraph';

export type { GatewayContext } from './pipeline';
export { internalTokenSigner, partnerErrorFormatter } from './apollo';
export { MEMBER_EXPORT_COST } from './routes/member-export';

export interface GatewayDeps {
  config: GatewayConfig;
  db: DataSource;
  logger: Logger;
}

export interface RunningGateway extends RunningService {
  auth: Auth;
}

/** The metrics only the gateway has, next to the ones every service has. */
function gatewayMetrics(metrics: ServiceMetrics) {
  return {
    subgraphFetch: new Histogram({
      name: 'union_subgraph_fetch_duration_seconds',
      help: 'Subgraph fetches made by the query planner, by subgraph and whether the fetch failed.',
      labelNames: ['subgraph', 'failed'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [metrics.registry],
    }),
    executions: new Counter({
      name: 'union_gateway_executions_total',
      help: "GraphQL requests executed, by the path that answered: planned (the gateway's own, for plain JSON POSTs of scope-checked documents) or apollo (Apollo Server, for everything else).",
      labelNames: ['path'],
      registers: [metrics.registry],
    }),
    budgetRefusals: new Counter({
      name: 'union_budget_refusals_total',
      help: 'Requests refused with 429 RATE_LIMITED because the caller had spent its cost budget, by partner kind.',
      labelNames: ['partner_kind'],
      registers: [metrics.registry],
    }),
  };
}

/** The metric label of a GraphQL request's operation: its name if known, else its known top-level field, else `other`. */
function operationLabelOf(exchange: GraphQLExchange, metrics: ServiceMetrics): string {
  const analysis = exchange.analysis;
  const name = exchange.context?.notes.operationName ?? analysis?.operationName ?? null;
  const rootFields: string[] = [];
  const operation = analysis?.document.definitions.find(
    (d) => d.kind === 'OperationDefinition' && (d.name?.value ?? null) === (analysis.operationName ?? null),
  );
  if (operation && operation.kind === 'OperationDefinition') {
    for (const selection of operation.selectionSet.selections) if (selection.kind === 'Field') rootFields.push(selection.name.value);
  }
  return metrics.operationLabel(name, rootFields);
}

export async function startGatewayServer({ config, db, logger }: GatewayDeps): Promise<RunningGateway> {
  const log = lineLogger(logger);
  const logError = (message: string, fields: Record<string, unknown>) => logger.error(fields, message);
  const publishedSupergraph = readSupergraph(config.supergraphPath);
  const requirements = readScopeRequirements(publishedSupergraph);
  const apiSchema = supergraphSchema(publishedSupergraph);
  const partners = new PartnerAccessCache(db, config.partnerCacheMs);
  // Budgets and failed-login counters: in Redis shared by every replica when REDIS_URL is set (limiter-store.ts).
  const limiterStore = createLimiterStore({ redisUrl: config.redis.url, keyPrefix: config.redis.keyPrefix, log });
  const limiter = new CostBudget({ store: limiterStore, defaultPerMinute: config.rateLimit.perMinute });
  const documents = new ParsedDocuments();
  const analyzer = new OperationAnalyzer(apiSchema, config.limits, 1000, (source, maxTokens) => documents.parse(source, { maxTokens }));
  const verdicts = new ScopeVerdicts(apiSchema, requirements);
  const subgraphFetcher = keepAliveSubgraphFetcher({
    ...(config.subgraphDeduplication ? { dedupeByHeader: INTERNAL_TOKEN_HEADER } : {}),
    // A traced fetch carries its trace context in its own headers, which a batch does not.
    ...(config.subgraphBatching && tracingEndpoint() === null ? { batchByHeader: INTERNAL_TOKEN_HEADER } : {}),
  });
  const readiness = new Readiness(gatewayReadinessChecks(db, config.subgraphUrls));
  const metrics = new ServiceMetrics(
    'gateway',
    knownOperationNames(apiSchema),
    new Set([
      '/graphql',
      '/oauth/token',
      '/.well-known/jwks.json',
      '/exports/members',
      '/imports/members',
      '/health',
      '/ready',
      '/metrics',
      '/errors',
      '/explorer',
    ]),
  );
  metrics.observeDatabasePool(db);
  const own = gatewayMetrics(metrics);

  // The token exchange asks the member subgraph whether the member may act: one typed client per process.
  const memberDirectory = new MemberDirectoryClient(config.subgraphUrls.member, 'gateway', config.internalSecret);
  const auth = createAuth({
    dataSource: db,
    signingKey: await loadOrCreateSigningKey({ privateKeyPem: config.jwt.privateKeyPem, keyFile: config.jwt.keyFile }),
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
    partnerTokenTtlSeconds: config.jwt.partnerTokenTtlSeconds,
    memberTokenTtlSeconds: config.jwt.memberTokenTtlSeconds,
    lookupMember: async (id, requestId) => (await memberDirectory.call('memberFacts', { ids: [id] }, requestId))[0] ?? null,
    failedAuthenticationsPerMinute: config.tokenFailuresPerMinute,
    failedAuthenticationsPerAddressPerMinute: config.tokenFailuresPerAddressPerMinute,
    limiterStore,
    trustedProxies: config.trustedProxies,
    log,
  });

  const { apollo, planned } = await startApollo({
    supergraphSdl: plannerSupergraph(publishedSupergraph),
    subgraphUrls: config.subgraphUrls,
    signInternal: internalTokenSigner(config.internalSecret),
    fetcher: subgraphFetcher,
    documents,
    verdicts,
    production: config.production,
    logError,
    onSubgraphFetch: (subgraph, seconds, failed) => own.subgraphFetch.observe({ subgraph, failed: String(failed) }, seconds),
  });

  // Verifying an EdDSA signature per request is the gateway's single largest crypto cost; a token
  // verified once is remembered until it expires (its partner's status is still checked per request).
  const authentication = {
    verifyAccessToken: (token: string) => auth.tokens.verifyAccessToken(token),
    verifiedTokens: new ExpiringCache<Principal>(10_000),
    partners,
  };
  const budget = { limiter, onRefused: (principal: Principal) => own.budgetRefusals.inc({ partner_kind: principal.kind }) };
  const stages = graphQLStages({
    maxBodyBytes: config.maxBodyBytes,
    authentication,
    analyzer,
    inputs: new InputValidator(apiSchema),
    introspection: { production: config.production, allowIntrospection: config.allowIntrospection },
    budget,
    scopes: { verdicts, isValid: (document) => documents.isValid(document) },
    execute: { apollo, planned },
    accessRecords: { db, limiter, failedGuessPenalty: config.rateLimit.failedGuessPenalty, logError },
  });

  // GET /errors and /explorer (gateway/src/developer): no bearer token, no budget.
  const developer = developerRoutes({ explorerEnabled: config.explorerEnabled });
  const routes = gatewayRouteTable({
    async graphql(req, res, record) {
      // A person opening /graphql in a browser is sent to the explorer (while it is on).
      const browserVisit = developer(req, '/graphql');
      if (browserVisit) return browserVisit(req, res, record.url);
      const exchange: GraphQLExchange = { req, url: record.url, requestId: record.requestId, startedAt: record.startedAt };
      await runGraphQLPipeline(
        stages,
        exchange,
        res,
        (decided, failed) => {
          record.partnerId = decided.principal ? PartnerAccessCache.partnerIdOf(decided.principal) : null;
          record.partnerKind = decided.principal?.kind ?? null;
          record.operation = operationLabelOf(decided, metrics);
          record.outcome = failed ? 'INTERNAL_SERVER_ERROR' : decided.refusal ? refusalCode(decided.refusal) : (decided.context?.notes.outcome ?? 'OK');
          record.subgraphFetches = decided.context?.notes.subgraphFetches ?? 0;
          const executedBy = decided.context?.notes.executedBy;
          if (executedBy) own.executions.inc({ path: executedBy });
        },
        (refused) => readBudgetOfRefused(refused, budget),
      );
    },
    token: (req, res) => auth.handleTokenRequest(req, res),
    // Partners' own services can verify our access tokens offline with this public key.
    jwks: async (_req, res) => sendJson(res, 200, await auth.tokens.jwks(), { 'cache-control': 'public, max-age=300' }),
    memberExport: (req, res, record) =>
      serveMemberExport(req, res, record, {
        authentication,
        budget,
        export: { memberSubgraphUrl: config.subgraphUrls.member, internalSecret: config.internalSecret },
        db,
        logError,
      }),
    memberImport: (req, res, record) =>
      serveMemberImport(req, res, record, {
        authentication,
        budget,
        import: { memberSubgraphUrl: config.subgraphUrls.member, internalSecret: config.internalSecret, db, log },
      }),
    health: async (_req, res) => sendJson(res, 200, { status: 'ok' }),
    ready: readyRoute(readiness),
    metrics: (req, res) => answerMetrics(req, res, metrics, config.metricsToken),
    errors: async (req, res, record) => developer(req, '/errors')?.(req, res, record.url),
    explorer: async (req, res, record) => developer(req, record.url.pathname)?.(req, res, record.url),
  });

  /** One log line and the request metrics per request, when its answer has gone out (or the connection was cut). */
  function observe(req: IncomingMessage, res: ServerResponse, record: RequestRecord): void {
    const seconds = (performance.now() - record.startedAt) / 1000;
    const status = res.statusCode;
    metrics.observeRequest(record.url.pathname, req.method ?? 'GET', status);
    if (UNLOGGED_ROUTES.has(record.url.pathname)) return;
    if (record.operation !== undefined) metrics.observeOperation(record.operation, record.partnerKind, record.outcome, seconds);
    logRequest(logger, {
      requestId: record.requestId,
      route: metrics.routeLabel(record.url.pathname),
      method: req.method ?? 'GET',
      status,
      durationMs: Math.round(seconds * 10_000) / 10,
      partnerId: record.partnerId ?? null,
      partnerKind: record.partnerKind ?? null,
      ...(record.operation !== undefined ? { operation: record.operation, outcome: record.outcome, subgraphFetches: record.subgraphFetches } : {}),
    });
  }

  const server = createServer((req, res) => {
    const record: RequestRecord = { requestId: requestIdOf(req.headers), startedAt: performance.now(), url: new URL(req.url ?? '/', 'http://gateway') };
    // Every answer carries the request id, refusals included (writeHead keeps headers set here);
    // whatever reads the request's headers later (the token endpoint's member lookup) sees the same id.
    res.setHeader(REQUEST_ID_HEADER, record.requestId);
    req.headers[REQUEST_ID_HEADER] = record.requestId;
    closeWhileDraining(readiness, res);
    let observed = false;
    const once = () => {
      if (observed) return;
      observed = true;
      observe(req, res, record);
    };
    res.once('finish', once);
    res.once('close', once);
    routeRequest(routes, req, res, record).catch((error: unknown) => {
      // The database or a service it needs is down: 503 with Retry-After, never 500 (outage.ts).
      if (answerIfUnavailable(res, error, log)) {
        record.outcome = 'SERVICE_UNAVAILABLE';
        return;
      }
      const errorId = randomUUID();
      logger.error({ requestId: record.requestId, errorId, err: error }, 'request failed');
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
      const clean = await drainServer(server, readiness, config.shutdownGraceSeconds * 1000);
      if (!clean) logger.warn({ graceSeconds: config.shutdownGraceSeconds }, 'requests still in flight after the grace period were cut');
      await apollo.stop();
      subgraphFetcher.close();
      await limiterStore.close();
    },
  };
}
