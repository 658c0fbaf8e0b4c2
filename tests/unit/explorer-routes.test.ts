import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadGatewayConfig } from '../../gateway/src/config';
import { exampleOperations } from '../../gateway/src/developer/explorer';
import { developerRoutes } from '../../gateway/src/developer/routes';

const base = { INTERNAL_SECRET: 'x'.repeat(32), DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db' };

async function serve(explorerEnabled: boolean): Promise<{ server: Server; url: string }> {
  const route = developerRoutes({ explorerEnabled });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const handler = route(req, url.pathname);
    if (handler) return handler(req, res, url);
    res.writeHead(418).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('explorer and error catalogue routes', () => {
  it('the explorer is on in development, off in production unless EXPLORER_ENABLED=true', () => {
    expect(loadGatewayConfig(base).explorerEnabled).toBe(true);
    expect(loadGatewayConfig({ ...base, NODE_ENV: 'production' }).explorerEnabled).toBe(false);
    expect(loadGatewayConfig({ ...base, NODE_ENV: 'production', EXPLORER_ENABLED: 'true' }).explorerEnabled).toBe(true);
    expect(loadGatewayConfig({ ...base, EXPLORER_ENABLED: 'false' }).explorerEnabled).toBe(false);
    expect(() => loadGatewayConfig({ ...base, EXPLORER_ENABLED: 'sometimes' })).toThrow(/EXPLORER_ENABLED/);
  });

  it('off: /explorer and its assets answer 404, /errors is still served', async () => {
    const { server, url } = await serve(false);
    try {
      expect((await fetch(`${url}/explorer`)).status).toBe(404);
      expect((await fetch(`${url}/explorer/assets/graphiql.min.js`)).status).toBe(404);
      expect((await fetch(`${url}/errors`)).status).toBe(200);
      expect((await fetch(`${url}/graphql`)).status).toBe(418); // not a developer route
      expect((await fetch(`${url}/graphql`, { headers: { accept: 'text/html' }, redirect: 'manual' })).status).toBe(418); // no explorer to send a browser to
    } finally {
      server.close();
    }
  });

  it('on: serves only the listed assets, GET only, and the example operations of every kind', async () => {
    const { server, url } = await serve(true);
    try {
      const page = await fetch(`${url}/explorer`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
      expect((await fetch(`${url}/explorer/assets/react.production.min.js`)).status).toBe(200);
      expect((await fetch(`${url}/explorer/assets/package.json`)).status).toBe(404);
      expect((await fetch(`${url}/explorer`, { method: 'POST' })).status).toBe(405);
      // A browser opening /graphql is sent to the explorer; API clients (a token, or JSON wanted) are not.
      const visit = await fetch(`${url}/graphql`, { headers: { accept: 'text/html,application/xhtml+xml' }, redirect: 'manual' });
      expect([visit.status, visit.headers.get('location')]).toEqual([302, '/explorer']);
      expect((await fetch(`${url}/graphql`, { headers: { accept: 'text/html', authorization: 'Bearer x' }, redirect: 'manual' })).status).toBe(418);
      expect((await fetch(`${url}/graphql`, { headers: { accept: 'application/json' }, redirect: 'manual' })).status).toBe(418);
      const etag = (await fetch(`${url}/explorer/assets/explorer.js`)).headers.get('etag')!;
      expect((await fetch(`${url}/explorer/assets/explorer.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    } finally {
      server.close();
    }
    const { files, byKind } = exampleOperations();
    for (const kind of ['HOSPITAL', 'TRAVEL_PARTNER', 'MERCHANT', 'UNION', 'PLATFORM', 'MEMBER']) expect(files[byKind[kind]]).toMatch(/(query|mutation) \w+/);
  });
});
