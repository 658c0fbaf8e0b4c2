import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '@union/common';

/** What the gateway notes about one request while serving it, for its log line and metrics. */
export interface RequestRecord {
  requestId: string;
  /** performance.now() on arrival. */
  startedAt: number;
  url: URL;
  partnerId?: string | null;
  partnerKind?: string | null;
  /** GraphQL requests only: the operation's metric label, and the answer's code. */
  operation?: string;
  outcome?: string;
  subgraphFetches?: number;
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, record: RequestRecord) => Promise<void>;

export interface GatewayRoutes {
  graphql: RouteHandler;
  token: RouteHandler;
  jwks: RouteHandler;
  memberExport: RouteHandler;
  memberImport: RouteHandler;
  health: RouteHandler;
  ready: RouteHandler;
  metrics: RouteHandler;
  /** GET /errors: the error catalogue. */
  errors: RouteHandler;
  /** GET /explorer and everything under /explorer/ (its assets). */
  explorer: RouteHandler;
}

/** Every HTTP route of the gateway, by path. A new route is one more line here and a handler in routes/. */
export function gatewayRouteTable(handlers: GatewayRoutes): ReadonlyMap<string, RouteHandler> {
  return new Map<string, RouteHandler>([
    ['/graphql', handlers.graphql],
    ['/oauth/token', handlers.token],
    ['/.well-known/jwks.json', handlers.jwks],
    ['/exports/members', handlers.memberExport],
    ['/imports/members', handlers.memberImport],
    ['/health', handlers.health],
    ['/ready', handlers.ready],
    ['/metrics', handlers.metrics],
    ['/errors', handlers.errors],
    ['/explorer', handlers.explorer],
    // A path ending in '/' also serves everything below it.
    ['/explorer/', handlers.explorer],
  ]);
}

/** Hands a request to the route of its path, or answers 404 listing the routes there are. */
export function routeRequest(table: ReadonlyMap<string, RouteHandler>, req: IncomingMessage, res: ServerResponse, record: RequestRecord): Promise<void> {
  const path = record.url.pathname;
  const handler = table.get(path) ?? table.get(path.slice(0, path.indexOf('/', 1) + 1));
  if (handler) return handler(req, res, record);
  sendJson(res, 404, { error: 'not found', endpoints: [...table.keys()] });
  return Promise.resolve();
}
