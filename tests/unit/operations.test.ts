import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import {
  answerReady,
  closeWhileDraining,
  createLogger,
  drainServer,
  logRequest,
  mayReadMetrics,
  outcomeLabel,
  partnerKindLabel,
  Readiness,
  type ReadinessCheck,
  requestIdFrom,
  scrapedCounter,
  ServiceMetrics,
} from '@union/common';
import { readableLogLine } from '../../scripts/src/log-format';

describe('request ids', () => {
  it("keeps the caller's id when it is 1-64 characters of [A-Za-z0-9._-], else makes a new one", () => {
    expect(requestIdFrom('abc')).toBe('abc');
    expect(requestIdFrom('A-z_0.9')).toBe('A-z_0.9');
    expect(requestIdFrom('x'.repeat(64))).toBe('x'.repeat(64));
    for (const bad of ['', 'x'.repeat(65), 'a b', 'a\nb', '<script>', 'ä', undefined, ['a', 'b']]) {
      expect(requestIdFrom(bad as string)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
  });
});

describe('logger', () => {
  function capture() {
    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    return { logger: createLogger('member', { destination }), lines };
  }

  it('writes one JSON line per request with time, service, request id, partner, operation, duration and outcome', () => {
    const { logger, lines } = capture();
    logRequest(logger, {
      requestId: 'abc',
      route: '/graphql',
      method: 'POST',
      status: 200,
      durationMs: 3.2,
      partnerId: 'p1',
      partnerKind: 'UNION',
      operation: 'member',
      outcome: 'OK',
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      service: 'member',
      msg: 'request',
      requestId: 'abc',
      partnerId: 'p1',
      partnerKind: 'UNION',
      operation: 'member',
      outcome: 'OK',
      durationMs: 3.2,
    });
    expect(new Date(String(lines[0].time)).toISOString()).toBe(lines[0].time);
  });

  it('writes only the fields of a request line, whatever else an object carries', () => {
    const { logger, lines } = capture();
    const line = { requestId: 'abc', route: '/graphql', method: 'POST', status: 200, durationMs: 1, fullName: '张三', variables: { phone: '13800000000' } };
    logRequest(logger, line as Parameters<typeof logRequest>[1]);
    expect(JSON.stringify(lines[0])).not.toMatch(/张三|13800000000|variables|fullName/);
  });

  it('redacts personal data, variables, bodies and credentials whatever a caller passes', () => {
    const { logger, lines } = capture();
    logger.warn(
      {
        variables: { fullName: '张三' },
        body: 'x',
        fullName: '张三',
        member: { phone: '13800000000', cardNumber: 'GD000000000001' },
        headers: { authorization: 'Bearer t' },
        clientSecret: 's',
      },
      'something',
    );
    const text = JSON.stringify(lines[0]);
    for (const secret of ['张三', '13800000000', 'GD000000000001', 'Bearer t', '"s"']) expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ variables: '[redacted]', fullName: '[redacted]', member: { phone: '[redacted]' } });
  });
});

describe('metrics', () => {
  const metrics = new ServiceMetrics('gateway', new Set(['member', 'Viewer']), new Set(['/graphql']));

  it('labels operations from the known names only: a name, else a known top-level field, else other', () => {
    expect(metrics.operationLabel('Viewer')).toBe('Viewer');
    expect(metrics.operationLabel('Invented123', ['member'])).toBe('other');
    expect(metrics.operationLabel(null, ['member'])).toBe('member');
    expect(metrics.operationLabel(null, ['nope'])).toBe('other');
    expect(metrics.routeLabel('/graphql')).toBe('/graphql');
    expect(metrics.routeLabel('/wp-admin')).toBe('other');
    expect([outcomeLabel('SOLD_OUT'), outcomeLabel('OK'), outcomeLabel('MADE_UP'), outcomeLabel(undefined)]).toEqual(['SOLD_OUT', 'OK', 'other', 'other']);
    expect([partnerKindLabel('HOSPITAL'), partnerKindLabel('HACKER'), partnerKindLabel(null)]).toEqual(['HOSPITAL', 'other', 'none']);
  });

  it('counts operations and observes their duration', async () => {
    metrics.observeOperation('member', 'UNION', 'OK', 0.02);
    metrics.observeOperation('member', 'UNION', 'NOT_FOUND', 0.03);
    const text = await metrics.registry.metrics();
    expect(text).toContain('union_graphql_operations_total{operation="member",partner_kind="UNION",outcome="OK",service="gateway"} 1');
    expect(text).toContain('union_graphql_operation_duration_seconds_count{service="gateway",operation="member",partner_kind="UNION"} 2');
  });

  it('reads a count the service keeps itself when scraped, by label value or plain', async () => {
    const counts: Record<string, number> = { group: 0, alone: 0 };
    let total = 0;
    scrapedCounter(metrics.registry, { name: 'test_statements_total', help: 'by kind', label: 'kind', read: () => counts });
    scrapedCounter(metrics.registry, { name: 'test_total', help: 'plain', read: () => total });
    counts.group += 3;
    total = 7;
    let text = await metrics.registry.metrics();
    expect(text).toContain('test_statements_total{kind="group",service="gateway"} 3');
    expect(text).toContain('test_total{service="gateway"} 7');
    counts.alone += 1;
    text = await metrics.registry.metrics();
    expect(text).toContain('test_statements_total{kind="group",service="gateway"} 3');
    expect(text).toContain('test_statements_total{kind="alone",service="gateway"} 1');
  });

  it('may be read from loopback (not through a proxy), or with the METRICS_TOKEN bearer', () => {
    const req = (remoteAddress: string, headers: Record<string, string> = {}) => ({ socket: { remoteAddress }, headers }) as unknown as IncomingMessage;
    expect(mayReadMetrics(req('127.0.0.1'), undefined)).toBe(true);
    expect(mayReadMetrics(req('::ffff:127.0.0.1'), undefined)).toBe(true);
    expect(mayReadMetrics(req('::1'), undefined)).toBe(true);
    expect(mayReadMetrics(req('10.0.0.5'), undefined)).toBe(false);
    expect(mayReadMetrics(req('127.0.0.1', { 'x-forwarded-for': '203.0.113.1' }), undefined)).toBe(false);
    expect(mayReadMetrics(req('10.0.0.5', { authorization: 'Bearer sixteen-chars-token' }), 'sixteen-chars-token')).toBe(true);
    expect(mayReadMetrics(req('10.0.0.5', { authorization: 'Bearer sixteen-chars-tokem' }), 'sixteen-chars-token')).toBe(false);
    expect(mayReadMetrics(req('127.0.0.1', { authorization: 'Bearer wrong' }), 'sixteen-chars-token')).toBe(false);
  });
});

describe('readiness and graceful shutdown', () => {
  /** A server with /ready and /slow (answers when `release` is called), as the services have. */
  async function serve(checks: ReadinessCheck[] = []) {
    const readiness = new Readiness(checks);
    const releases: Array<() => void> = [];
    const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
      closeWhileDraining(readiness, res);
      if (req.url === '/ready') return void answerReady(res, readiness, 'test');
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('started ');
      releases.push(() => res.end('finished'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return { readiness, server, port, releases };
  }

  const get = (port: number, path: string) =>
    new Promise<{ status: number; body: string; headers: IncomingMessage['headers'] }>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
        res.on('error', reject);
      })
        .on('error', reject)
        .end();
    });

  it('answers /ready 200 with its checks passing, 503 with the reasons when one fails', async () => {
    const { readiness, server, port } = await serve();
    expect((await get(port, '/ready')).status).toBe(200);
    await drainServer(server, readiness, 1000);
    const failing = await serve([{ name: 'database', check: async () => Promise.reject(new Error('connection refused')) }]);
    const notReady = await get(failing.port, '/ready');
    expect([notReady.status, notReady.headers['retry-after']]).toEqual([503, '5']);
    expect(JSON.parse(notReady.body)).toMatchObject({
      status: 'unavailable',
      service: 'test',
      down: ['database'],
      checks: { database: { status: 'down', reason: 'connection refused' } },
    });
    await drainServer(failing.server, failing.readiness, 1000);
  });

  it('on shutdown: not ready at once, no new connections, the request in flight finishes, then it resolves', async () => {
    const { readiness, server, port, releases } = await serve();
    const inFlight = get(port, '/slow');
    await new Promise((resolve) => setTimeout(resolve, 100));
    let drained: boolean | undefined;
    const draining = drainServer(server, readiness, 10_000).then((clean) => (drained = clean));
    expect(await readiness.report('test')).toEqual({ status: 'unavailable', service: 'test', checks: {}, down: ['shutting down'] });
    await expect(get(port, '/ready')).rejects.toThrow(/ECONNREFUSED/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(drained).toBeUndefined();
    releases[0]();
    const answer = await inFlight;
    expect([answer.status, answer.body]).toEqual([200, 'started finished']);
    expect(await draining).toBe(true);
  });

  it('cuts what is still running when the grace period is over', async () => {
    const { readiness, server, port } = await serve();
    const inFlight = get(port, '/slow').catch((error: Error) => error);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    expect(await drainServer(server, readiness, 300)).toBe(false);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(String(await inFlight)).toMatch(/socket hang up|ECONNRESET|aborted/);
  });
});

describe('npm start on a terminal', () => {
  it('shows request lines short and readable, and passes other output unchanged', () => {
    const line = JSON.stringify({
      level: 'info',
      time: '2026-11-29T10:42:07.123Z',
      service: 'gateway',
      msg: 'request',
      requestId: 'abc',
      route: '/graphql',
      method: 'POST',
      status: 200,
      durationMs: 12.3,
      partnerKind: 'HOSPITAL',
      operation: 'member',
      outcome: 'OK',
      subgraphFetches: 2,
    });
    expect(readableLogLine(`[gateway] ${line}`)).toBe('10:42:07 gateway  POST /graphql 200 OK 12.3 ms member hospital fetches=2 req=abc');
    expect(readableLogLine('[member] {"level":"warn","time":"2026-11-29T10:42:07.123Z","service":"member","msg":"slow","ms":5}')).toBe(
      '10:42:07 member   WARN slow {"ms":5}',
    );
    expect(readableLogLine('stopping ...')).toBe('stopping ...');
  });
});
