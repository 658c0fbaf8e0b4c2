import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions, type ServiceMap } from '@apollo/gateway';
import {
  ACCESS_REPORT_EXTENSION,
  ErrorCodes,
  INTERNAL_TOKEN_HEADER,
  REQUEST_ID_HEADER,
  signInternalToken,
  type ErrorCode,
  type Principal,
} from '@union/common';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { classifyFetchFailure, markUnavailableAnswer, outageResponse, serviceUnavailableStatus } from './subgraph-outage';
import { PlannedExecution } from './planned-execution';
import { ExpiringCache } from './expiring-cache';
import type { GatewayContext } from './pipeline/exchange';
import type { ScopeVerdicts } from './pipeline/scope-check';
import type { ParsedDocuments } from './parsed-documents';
import type { SubgraphFetcher } from './subgraph-fetcher';

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
    const key = JSON.stringify([
      principal.kind,
      principal.id,
      principal.name,
      principal.scopes,
      principal.organizationId ?? null,
      principal.actingPartnerId ?? null,
    ]);
    const cached = cache.get(key);
    if (cached) return cached;
    const signed = signInternalToken(principal, secret, INTERNAL_TOKEN_TTL_SECONDS);
    cache.set(key, signed, now() + INTERNAL_TOKEN_REUSE_MS);
    return signed;
  };
}

type SubgraphResponse = Awaited<ReturnType<RemoteGraphQLDataSource<GatewayContext>['process']>>;

/**
 * Adds the gateway-signed principal and the request id to every subgraph fetch (subgraphs refuse
 * requests without the token), counts the fetches of a request and times them per subgraph.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    url: string,
    private readonly subgraph: string,
    private readonly signInternal: (principal: Principal) => Promise<string>,
    fetcher: RemoteGraphQLDataSource['fetcher'],
    private readonly onFetch?: (subgraph: string, seconds: number, failed: boolean) => void,
    private readonly logError: (message: string, fields: Record<string, unknown>) => void = () => {},
  ) {
    super({ url, fetcher });
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SubgraphResponse> {
    const started = performance.now();
    let failed = true;
    try {
      const response = await this.send(options);
      failed = Boolean(response.errors?.length);
      return response;
    } catch (error) {
      // A subgraph that cannot answer costs only its own fields (see subgraph-outage.ts).
      const failure = classifyFetchFailure(error);
      if (failure.kind === 'client-mistake') return { errors: failure.errors };
      if (failure.kind === 'internal') throw error;
      this.logError('subgraph unavailable, its fields answered null', { subgraph: this.subgraph, url: this.url, detail: failure.detail });
      return outageResponse(options.request);
    } finally {
      this.onFetch?.(this.subgraph, (performance.now() - started) / 1000, failed);
    }
  }

  /**
   * RemoteGraphQLDataSource's fetch, without the node-fetch Request and Headers it built per fetch
   * for hooks we do not use (3-4 % of the gateway's CPU): the same JSON body to the same fetcher,
   * the same errors for an HTTP error status or a body that is not a JSON object. (Automatic
   * persisted queries to subgraphs, which it also handles, are off.)
   */
  private async send({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SubgraphResponse> {
    if (!request.query) throw new Error('Missing query');
    const { http: _incoming, ...body } = request;
    const headers = { 'content-type': 'application/json', ...(await this.principalHeaders(context)) };
    const response = await this.fetcher(this.url, { method: 'POST', headers, body: JSON.stringify(body) });
    if (!response.ok) throw await this.errorFromResponse(response);
    const parsed = await this.parseBody(response);
    if (typeof parsed !== 'object' || parsed === null) throw new Error(`Expected JSON response body, but received: ${String(parsed)}`);
    return this.withoutAccessReport({ ...(parsed as SubgraphResponse), http: response }, context);
  }

  private async principalHeaders(context: object): Promise<Record<string, string>> {
    const ctx = context as Partial<GatewayContext>;
    if (!ctx.principal) return {};
    if (ctx.notes) ctx.notes.subgraphFetches += 1;
    ctx.internalToken ??= this.signInternal(ctx.principal);
    const headers: Record<string, string> = { [INTERNAL_TOKEN_HEADER]: await ctx.internalToken };
    if (ctx.requestId) headers[REQUEST_ID_HEADER] = ctx.requestId;
    return headers;
  }

  /** Takes the subgraph's access report out of its response (a partner never sees it) into the request context. */
  private withoutAccessReport(response: SubgraphResponse, context: object): SubgraphResponse {
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
export function partnerErrorFormatter(production: boolean, logError: (message: string, fields: Record<string, unknown>) => void) {
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
    // Not the extensions as a whole: a subgraph's HTTP error carries its response body there.
    const response = formatted.extensions?.response as { url?: unknown; status?: unknown } | undefined;
    logError('internal error', {
      errorId,
      message: formatted.message,
      code: formatted.extensions?.code,
      serviceName: formatted.extensions?.serviceName,
      subgraphResponse: response ? { url: response.url, status: response.status } : undefined,
      stack: (error as Error)?.stack,
    });
    return { message: `internal error (id ${errorId})`, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR', errorId } };
  };
}

/**
 * Notes on the context what the answer was (the first error's code, or OK) and which operation
 * was resolved, for the request's log line, the metrics and the access record.
 */
export function noteOutcome(
  notes: GatewayContext['notes'],
  operationName: string | null | undefined,
  errors: readonly GraphQLFormattedError[] | undefined,
): void {
  notes.operationName = operationName ?? null;
  notes.outcome = errors?.length ? String(errors[0].extensions?.code ?? 'INTERNAL_SERVER_ERROR') : 'OK';
}

/** noteOutcome for the answers Apollo Server writes. */
export const outcomePlugin: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ contextValue, response, operationName }) {
        noteOutcome(contextValue.notes, operationName, response.body.kind === 'single' ? response.body.singleResult.errors : undefined);
      },
    };
  },
};

/**
 * A safety net behind the scope-check stage: a document Apollo runs that the stage did not pass
 * (it should never happen: the stage sees the same query text) is checked here, after validation.
 */
export function scopeSafetyNet(verdicts: ScopeVerdicts): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, contextValue }) {
          if (contextValue.scopesCheckedFor === document) return;
          const verdict = verdicts.verdict(document, contextValue.principal);
          if (verdict) throw new GraphQLError(verdict.message, { extensions: { ...verdict.extensions, http: { status: 403 } } });
        },
      };
    },
  };
}

/** Apollo's logger on the service's JSON log: its warnings and errors as error lines, its chatter dropped. */
function apolloLogger(logError: GatewayApolloOptions['logError']) {
  const asError = (message: unknown) => logError(String(message), {});
  return { debug() {}, info() {}, warn: asError, error: asError };
}

export interface GatewayApolloOptions {
  supergraphSdl: string;
  subgraphUrls: Record<string, string>;
  signInternal: (principal: Principal) => Promise<string>;
  fetcher: SubgraphFetcher;
  documents: ParsedDocuments;
  verdicts: ScopeVerdicts;
  production: boolean;
  logError: (message: string, fields: Record<string, unknown>) => void;
  onSubgraphFetch?: (subgraph: string, seconds: number, failed: boolean) => void;
}

/**
 * Apollo Server with Apollo Gateway (the query planner over the subgraphs), and the gateway's own
 * planned path (planned-execution.ts) over the same data sources, with the same error formatter
 * and the same work before an answer leaves.
 */
export async function startApollo(
  options: GatewayApolloOptions,
): Promise<{ apollo: ApolloServer<GatewayContext>; planned: PlannedExecution; apiSchema(): GraphQLSchema | undefined }> {
  const serviceMap: ServiceMap = Object.create(null) as ServiceMap;
  for (const [name, url] of Object.entries(options.subgraphUrls)) {
    serviceMap[name] = new SubgraphDataSource(url, name, options.signInternal, options.fetcher.fetch, options.onSubgraphFetch, options.logError);
  }
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    buildService: ({ name }) => {
      const dataSource = serviceMap[name];
      if (!dataSource) throw new Error(`no URL configured for subgraph ${name}`);
      return dataSource;
    },
  });
  let apiSchema: GraphQLSchema | undefined;
  // The document store validates what the limits stage parsed against the schema Apollo serves.
  gateway.onSchemaLoadOrUpdate(({ apiSchema: schema }) => {
    apiSchema = schema;
    options.documents.useSchema(schema);
  });
  const formatError = partnerErrorFormatter(options.production, options.logError);
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    // No response cache uses cache hints: the cache-control plugin would only cost time per request.
    plugins: [outcomePlugin, scopeSafetyNet(options.verdicts), serviceUnavailableStatus, ApolloServerPluginCacheControlDisabled()],
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: options.production,
    // Introspection is decided per partner before Apollo sees the request (pipeline/introspection-gate.ts).
    introspection: true,
    // Automatic persisted queries would let a request carry only a hash, past the limits.
    persistedQueries: false,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    documentStore: options.documents,
    formatError,
  });
  await apollo.start();
  const planned = new PlannedExecution({
    supergraphSdl: options.supergraphSdl,
    serviceMap,
    schema: () => apiSchema,
    formatError,
    beforeAnswer: ({ context, operationName, data, errors, response }) => {
      noteOutcome(context.notes, operationName, errors);
      markUnavailableAnswer(response, data, errors);
    },
    logger: apolloLogger(options.logError),
  });
  return { apollo, planned, apiSchema: () => apiSchema };
}
