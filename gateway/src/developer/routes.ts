import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorCatalogue, sendJson, TOKEN_ERRORS } from '@union/common';
import { createExplorer } from './explorer';

/** A route of the gateway that needs no bearer token: partner documentation and the explorer. */
export type DeveloperRoute = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

export interface DeveloperRouteOptions {
  /** GET /explorer is served (EXPLORER_ENABLED; off in production unless set). */
  explorerEnabled: boolean;
}

const ASSET_PREFIX = '/explorer/assets/';

/** GET /errors: the error catalogue as JSON, the same one docs/errors.md is written from. */
function serveErrorCatalogue(_req: IncomingMessage, res: ServerResponse): void {
  sendJson(
    res,
    200,
    { codes: errorCatalogue(), tokenErrors: TOKEN_ERRORS },
    // Public documentation: any origin may read it (e.g. a partner's code generator in a browser).
    { 'cache-control': 'public, max-age=300', 'access-control-allow-origin': '*' },
  );
}

/** A person opening /graphql in a browser (no token, asking for HTML) is sent to the explorer. */
function isBrowserVisit(req: IncomingMessage): boolean {
  return req.method === 'GET' && !req.headers.authorization && /\btext\/html\b/.test(String(req.headers.accept ?? ''));
}

/**
 * The gateway's developer routes, looked up by request: null for a request that is not one of
 * them. Only GET and HEAD; the explorer's paths answer 404 while it is off.
 */
export function developerRoutes(options: DeveloperRouteOptions): (req: IncomingMessage, pathname: string) => DeveloperRoute | null {
  const explorer = options.explorerEnabled ? createExplorer() : null;
  const explorerOff: DeveloperRoute = (_req, res) => sendJson(res, 404, { error: 'not found: the explorer is off here (EXPLORER_ENABLED)' });
  const onlyGet =
    (route: DeveloperRoute): DeveloperRoute =>
    (req, res, url) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'use GET' }, { allow: 'GET, HEAD' });
      return route(req, res, url);
    };

  return (req, pathname) => {
    if (pathname === '/errors') return onlyGet(serveErrorCatalogue);
    if (pathname === '/graphql' && explorer && isBrowserVisit(req)) {
      return (_req, res) => {
        res.writeHead(302, { location: '/explorer', 'cache-control': 'no-store' });
        res.end();
      };
    }
    if (pathname !== '/explorer' && pathname !== '/explorer/' && !pathname.startsWith('/explorer/')) return null;
    if (!explorer) return explorerOff;
    if (pathname === '/explorer' || pathname === '/explorer/') return onlyGet((req, res) => explorer.page(req, res));
    if (pathname === '/explorer/operations.json') return onlyGet((req, res) => explorer.operations(req, res));
    if (pathname.startsWith(ASSET_PREFIX)) return onlyGet((req, res) => explorer.asset(req, res, pathname.slice(ASSET_PREFIX.length)));
    return (_req, res) => sendJson(res, 404, { error: 'not found' });
  };
}
