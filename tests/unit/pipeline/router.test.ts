import type { IncomingMessage, ServerResponse } from 'node:http';
import { gatewayRouteTable, routeRequest, type GatewayRoutes, type RequestRecord } from '../../../gateway/src/router';

describe('gateway router', () => {
  const called: string[] = [];
  const handler = (name: string) => async () => {
    called.push(name);
  };
  const table = gatewayRouteTable(
    Object.fromEntries(
      ['graphql', 'token', 'jwks', 'memberExport', 'memberImport', 'health', 'ready', 'metrics', 'errors', 'explorer'].map((n) => [n, handler(n)]),
    ) as unknown as GatewayRoutes,
  );

  it('lists every route of the gateway', () => {
    expect([...table.keys()].sort()).toEqual([
      '/.well-known/jwks.json',
      '/errors',
      '/explorer',
      '/explorer/',
      '/exports/members',
      '/graphql',
      '/health',
      '/imports/members',
      '/metrics',
      '/oauth/token',
      '/ready',
    ]);
  });

  it('hands a request to the route of its path, and answers 404 with the list otherwise', async () => {
    const record = (path: string): RequestRecord => ({ requestId: 'r', startedAt: 0, url: new URL(path, 'http://gateway') });
    await routeRequest(table, {} as IncomingMessage, {} as ServerResponse, record('/graphql?x=1'));
    await routeRequest(table, {} as IncomingMessage, {} as ServerResponse, record('/exports/members'));
    // A route ending in '/' serves the paths below it; other routes only their own path.
    await routeRequest(table, {} as IncomingMessage, {} as ServerResponse, record('/explorer/assets/graphiql.min.js'));
    expect(called).toEqual(['graphql', 'memberExport', 'explorer']);
    let written = '';
    const res = { writeHead: jest.fn(), end: (body: string) => (written = body) } as unknown as ServerResponse;
    await routeRequest(table, {} as IncomingMessage, res, record('/graphql/nested'));
    expect(res.writeHead).toHaveBeenCalledWith(404, expect.anything());
    await routeRequest(table, {} as IncomingMessage, res, record('/nope'));
    expect(res.writeHead).toHaveBeenCalledWith(404, expect.anything());
    expect(JSON.parse(written).endpoints).toContain('/metrics');
  });
});
