import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename, dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sendJson } from '@union/common';

/**
 * GET /explorer: GraphiQL for partners, served entirely from this process (npm packages and the
 * repository's example operations), so it works on a network without internet access. The page
 * calls only /oauth/token and /graphql with the partner's own credentials: it is a client like
 * any other, with the same scopes, limits and budget, and holds the token only in the tab's memory.
 */

/** Where the explorer's own client files live (gateway/explorer), from src/ and dist/ alike. */
const CLIENT_DIR = join(__dirname, '..', '..', 'explorer');
/** The example operations of each partner kind (examples/operations/*.graphql). */
const OPERATIONS_DIR = join(__dirname, '..', '..', '..', 'examples', 'operations');

/**
 * graphiql is pinned to 3.8.3: the 3.x line is the last to ship a prebuilt browser bundle
 * (graphiql.min.js, a UMD build over React 18's UMD builds) that runs without a bundler.
 */
const ASSETS: Record<string, { file: () => string; type: string }> = {
  'react.production.min.js': { file: () => join(packageDir('react'), 'umd', 'react.production.min.js'), type: 'text/javascript; charset=utf-8' },
  'react-dom.production.min.js': { file: () => join(packageDir('react-dom'), 'umd', 'react-dom.production.min.js'), type: 'text/javascript; charset=utf-8' },
  'graphiql.min.js': { file: () => join(packageDir('graphiql'), 'graphiql.min.js'), type: 'text/javascript; charset=utf-8' },
  'graphiql.min.css': { file: () => join(packageDir('graphiql'), 'graphiql.min.css'), type: 'text/css; charset=utf-8' },
  'explorer.js': { file: () => join(CLIENT_DIR, 'explorer.js'), type: 'text/javascript; charset=utf-8' },
  'explorer.css': { file: () => join(CLIENT_DIR, 'explorer.css'), type: 'text/css; charset=utf-8' },
};

function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

/** Which example file a caller kind opens with. */
const OPERATIONS_BY_KIND: Record<string, string> = {
  HOSPITAL: 'hospital',
  TRAVEL_PARTNER: 'travel-partner',
  MERCHANT: 'travel-partner',
  UNION: 'union',
  PLATFORM: 'member-app',
  MEMBER: 'member-app',
};

/**
 * The page may run only its own scripts and talk only to this origin. GraphiQL sets inline
 * styles (React style attributes), hence 'unsafe-inline' for styles only; its fonts are data: URIs.
 */
export const EXPLORER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = {
  'content-security-policy': EXPLORER_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Union benefits API explorer</title>
<link rel="stylesheet" href="/explorer/assets/graphiql.min.css">
<link rel="stylesheet" href="/explorer/assets/explorer.css">
</head>
<body>
<header id="bar">
  <strong class="title">Union benefits API · explorer</strong>
  <form id="login" autocomplete="off">
    <input id="client-id" name="client-id" placeholder="client id" aria-label="client id" spellcheck="false">
    <input id="client-secret" name="client-secret" type="password" placeholder="client secret" aria-label="client secret">
    <button id="get-token" type="submit">Get token</button>
    <span class="or">or</span>
    <input id="pasted-token" name="pasted-token" placeholder="paste an access token" aria-label="access token" spellcheck="false">
    <button id="use-token" type="button">Use token</button>
  </form>
  <span id="who" hidden></span>
  <button id="sign-out" type="button" hidden>Forget token</button>
</header>
<div id="failure" role="alert" hidden>
  <span>Failed: <code id="failure-code"></code></span>
  <span>HTTP <code id="failure-status"></code></span>
  <span>request id <code id="failure-request-id"></code></span>
  <span id="failure-message"></span>
</div>
<main id="graphiql"><p class="hint">Sign in with your client id and secret (or paste an access token) to load the schema and your example operations. The token stays in this tab's memory only; every call goes to <code>/graphql</code> with it, under your own scopes, limits and budget.</p></main>
<script src="/explorer/assets/react.production.min.js"></script>
<script src="/explorer/assets/react-dom.production.min.js"></script>
<script src="/explorer/assets/graphiql.min.js"></script>
<script src="/explorer/assets/explorer.js"></script>
</body>
</html>
`;

interface LoadedAsset {
  body: Buffer;
  gzipped: Buffer;
  etag: string;
  type: string;
}

function load(body: Buffer, type: string): LoadedAsset {
  return { body, gzipped: gzipSync(body), etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`, type };
}

/** The example operations, by file name without .graphql, and which one each kind opens with. */
export function exampleOperations(dir: string = OPERATIONS_DIR): { files: Record<string, string>; byKind: Record<string, string> } {
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith('.graphql'))
    .sort())
    files[basename(name, '.graphql')] = readFileSync(join(dir, name), 'utf8');
  return { files, byKind: OPERATIONS_BY_KIND };
}

export function createExplorer(): {
  page: (req: IncomingMessage, res: ServerResponse) => void;
  asset: (req: IncomingMessage, res: ServerResponse, name: string) => void;
  operations: (req: IncomingMessage, res: ServerResponse) => void;
} {
  // Read on first use: a gateway that never serves the explorer never reads 4 MB of JavaScript.
  const loaded = new Map<string, LoadedAsset>();
  function send(req: IncomingMessage, res: ServerResponse, asset: LoadedAsset, headers: Record<string, string>): void {
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, { etag: asset.etag, ...headers });
      res.end();
      return;
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? asset.gzipped : asset.body;
    res.writeHead(200, {
      'content-type': asset.type,
      'content-length': body.length,
      etag: asset.etag,
      vary: 'accept-encoding',
      'x-content-type-options': 'nosniff',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      ...headers,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  return {
    page(req, res) {
      let asset = loaded.get('/');
      if (!asset) loaded.set('/', (asset = load(Buffer.from(PAGE, 'utf8'), 'text/html; charset=utf-8')));
      send(req, res, asset, { ...PAGE_HEADERS, 'cache-control': 'no-store' });
    },
    asset(req, res, name) {
      const known = ASSETS[name];
      if (!known) return sendJson(res, 404, { error: 'not found' });
      let asset = loaded.get(name);
      if (!asset) loaded.set(name, (asset = load(readFileSync(known.file()), known.type)));
      // Revalidated by ETag: after an upgrade the browser picks up the new files at once.
      send(req, res, asset, { 'cache-control': 'no-cache' });
    },
    operations(req, res) {
      let asset = loaded.get('operations');
      if (!asset) loaded.set('operations', (asset = load(Buffer.from(JSON.stringify(exampleOperations()), 'utf8'), 'application/json; charset=utf-8')));
      send(req, res, asset, { 'cache-control': 'no-cache' });
    },
  };
}
