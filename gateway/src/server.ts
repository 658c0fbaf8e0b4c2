import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import {
  BodyTooLargeError,
  closeServer,
  ErrorCodes,
  headerMap,
  INTERNAL_TOKEN_HEADER,
  InternalClient,
  listen,
  parseJsonBody,
  readBody,
  sendGraphQLError,
  sendJson,
  signInternalToken,
  type ErrorCode,
  type MemberFacts,
  type Principal,
  type RunningService,
} from '@union/common';
import type { GraphQLFormattedError } from 'graphql';
import type { DataSource } from 'typeorm';
import { assertOperationAllowed, readScopeRequirements } from './authorization';
import { handleMemberExport } from './exports';
import { AuthError, createAuth, loadOrCreateSigningKey, type Auth } from './auth';
import type { GatewayConfig } from './config';
import { plannerSupergraph, readSupergraph, supergraphSchema } from './supergraph';

export interface GatewayContext {
  principal: Principal;
  requestId: string;
  /** One internal token per request, shared by all of its subgraph fetches. */
  internalToken?: Promise<string>;
}

/** Adds the gateway-signed principal to every subgraph fetch; subgraphs refuse requests without it. */
class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(url: string, private readonly internalSecret: string) {
    super({ url });
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    const ctx = context as Partial<GatewayContext>;
    if (!ctx.principal) return;
    ctx.internalToken ??= signInternalToken(ctx.principal, this.internalSecret);
    request.http?.headers.set(INTERNAL_TOKEN_HEADER, await ctx.internalToken);
    if (ctx.requestId) request.http?.headers.set('x-request-id', ctx.requestId);
  }
}

const PASSTHROUGH_CODES = new Set<string>(ErrorCodes);
const CLIENT_MISTAKE_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'OPERATION_RESOLUTION_FAILURE']);

/**
 * What a partner may see of an error: contract codes with their message; malformed operations as
 * BAD_USER_INPUT; anything else as INTERNAL_SERVER_ERROR with an error id, the details (stack,
 * subgraph URLs) only in our log.
 */
export function partnerErrorFormatter(production: boolean, log: (line: string) => void) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = String(formatted.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
    const message = production ? formatted.message.replace(/ Did you mean .*\?$/, '') : formatted.message;
    if (CLIENT_MISTAKE_CODES.has(code)) {
      return { message, locations: formatted.locations, extensions: { code: 'BAD_USER_INPUT' } };
    }
    if (PASSTHROUGH_CODES.has(code) && code !== 'INTERNAL_SERVER_ERROR') {
      const { stacktrace: _s, serviceName: _n, exception: _e, http: _h, ...extensions } = formatted.extensions ?? {};
      return { message, locations: formatted.locations, path: formatted.path, extensions: { ...extensions, code: code as ErrorCode } };
    }
    const errorId = (formatted.extensions?.errorId as string | undefined) ?? randomUUID();
    log(`gateway: error ${errorId}: ${formatted.message} ${(error as Error)?.stack ?? ''}`);
    return { message: `internal error (id ${errorId})`, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR', errorId } };
  };
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

  const auth = createAuth({
    dataSource: db,
    signingKey: await loadOrCreateSigningKey({ privateKeyPem: config.jwt.privateKeyPem, keyFile: config.jwt.keyFile }),
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
    partnerTokenTtlSeconds: config.jwt.partnerTokenTtlSeconds,
    memberTokenTtlSeconds: config.jwt.memberTokenTtlSeconds,
    lookupMember: async (id) => (await memberService.call<MemberFacts[]>('member-facts', { ids: [id] }))[0] ?? null,
    log,
  });

  const gateway = new ApolloGateway({
    supergraphSdl: plannerSupergraph(publishedSupergraph),
    buildService: ({ name }) => {
      const url = config.subgraphUrls[name as keyof GatewayConfig['subgraphUrls']];
      if (!url) throw new Error(`no URL configured for subgraph ${name}`);
      return new SubgraphDataSource(url, config.internalSecret);
    },
  });

  const authorization: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, contextValue }) {
          assertOperationAllowed(apiSchema, document, requirements, contextValue.principal);
        },
      };
    },
  };

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    plugins: [authorization],
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: config.production,
    introspection: !config.production || config.allowIntrospection,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    formatError: partnerErrorFormatter(config.production, log),
  });
  await apollo.start();

  async function authenticate(req: IncomingMessage): Promise<Principal> {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new AuthError('missing bearer access token');
    return auth.tokens.verifyAccessToken(match[1]);
  }

  /** The caller of a bearer-token endpoint, or null after answering 401. */
  async function authenticated(req: IncomingMessage, res: ServerResponse): Promise<Principal | null> {
    try {
      return await authenticate(req);
    } catch (error) {
      const reason = error instanceof AuthError ? error.message : 'invalid access token';
      sendGraphQLError(res, 401, 'UNAUTHENTICATED', reason, { 'www-authenticate': 'Bearer realm="union-benefits"' });
      return null;
    }
  }

  async function handleGraphQL(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const principal = await authenticated(req, res);
    if (!principal) return;
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
    const requestId = randomUUID();
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'POST', headers: headerMap(req), search: url.search, body },
      context: async () => ({ principal, requestId }),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.setHeader('x-request-id', requestId);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
    } else {
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    switch (url.pathname) {
      case '/health':
        return sendJson(res, 200, { status: 'ok' });
      case '/oauth/token':
        return auth.handleTokenRequest(req, res);
      case '/graphql':
        return handleGraphQL(req, res, url);
      case '/exports/members': {
        const principal = await authenticated(req, res);
        if (!principal) return;
        return handleMemberExport(req, res, principal, { memberSubgraphUrl: config.subgraphUrls.member, internalSecret: config.internalSecret });
      }
      case '/.well-known/jwks.json':
        // Partners' own services can verify our access tokens offline with this public key.
        return sendJson(res, 200, await auth.tokens.jwks(), { 'cache-control': 'public, max-age=300' });
      default:
        return sendJson(res, 404, { error: 'not found', endpoints: ['/graphql', '/oauth/token', '/exports/members', '/.well-known/jwks.json', '/health'] });
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
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
    },
  };
}
