import { DEMO_PARTNERS } from '@union/common';
import { gql, memberToken, partnerToken } from '../testkit/client';
import { memberTokenExchange } from '../../scripts/src/partner-token';
import { startSystem, type RunningSystem } from '../testkit/system';
import { eventually } from './access-support';
import { metricSample, scrapeMetric } from '../testkit/metrics';

/**
 * Issue 11's "done when", through the real system: a request id from the caller comes back on the
 * answer and is in one JSON log line of every service the request touched; every refusal carries a
 * request id too; /metrics on the gateway and the subgraphs lists what happened, with bounded labels;
 * and no personal data reaches a log line.
 */

let system: RunningSystem;
const lines: string[] = [];
let union = '';
let hospital = '';

beforeAll(async () => {
  system = await startSystem({ env: { RATE_LIMIT_PER_MINUTE: '100', METRICS_TOKEN: 'metrics-token-for-the-tests' }, log: (line) => lines.push(line) });
  union = await partnerToken(system, 'districtUnion');
  hospital = await partnerToken(system, 'hospital');
});
afterAll(() => system?.stop());

interface LogEntry {
  service: string;
  time: string;
  level: string;
  msg: string;
  requestId?: string;
  [field: string]: unknown;
}

/** The JSON lines each service wrote to stdout, as the launcher collected them ("[service] {...}"). */
function logEntries(): Array<{ process: string; entry: LogEntry }> {
  return lines.flatMap((line) => {
    const match = /^\[(\w+)\] (\{.*\})$/.exec(line);
    return match ? [{ process: match[1], entry: JSON.parse(match[2]) as LogEntry }] : [];
  });
}

const requestLines = (requestId: string) => logEntries().filter(({ entry }) => entry.msg === 'request' && entry.requestId === requestId);

async function post(body: string, headers: Record<string, string>) {
  return fetch(system.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

describe('request ids and log lines', () => {
  it('x-request-id: abc comes back, and every service the request touched logs one JSON request line carrying it', async () => {
    const member = system.credentials.members[0];
    const query = '{ member(id: "' + member.id + '") { displayName fullName phone cardNumber points { balance } vouchers { totalCount } } }';
    const res = await post(JSON.stringify({ query }), { authorization: `Bearer ${union}`, 'x-request-id': 'abc' });
    expect(res.headers.get('x-request-id')).toBe('abc');
    const body = (await res.json()) as { data: { member: { fullName: string; phone: string } } };
    expect(body.data.member.fullName).toBe(member.fullName);

    await eventually(async () => new Set(requestLines('abc').map((l) => l.process)).size === 4, 10_000);
    const byService = new Map<string, LogEntry[]>();
    for (const { process, entry } of requestLines('abc')) byService.set(process, [...(byService.get(process) ?? []), entry]);
    expect([...byService.keys()].sort()).toEqual(['benefit', 'gateway', 'member', 'points']);
    for (const [service, entries] of byService) {
      const graphql = entries.filter((e) => e.route === '/graphql');
      expect(graphql).toHaveLength(1);
      expect(graphql[0]).toMatchObject({ service, level: 'info', status: 200, outcome: 'OK', partnerKind: 'UNION' });
      expect(Date.parse(graphql[0].time)).toBeGreaterThan(Date.now() - 60_000);
      expect(typeof graphql[0].durationMs).toBe('number');
    }
    const [gatewayLine] = byService.get('gateway')!;
    expect(gatewayLine).toMatchObject({ operation: 'member', partnerId: DEMO_PARTNERS.districtUnion.id, method: 'POST' });
    expect(gatewayLine.subgraphFetches).toBeGreaterThanOrEqual(3);
    // The member's facts travelled signed with the entity (Member.accessFacts): benefit and points
    // did not ask the member subgraph again. (The token endpoint's test below follows an internal call.)
    expect(byService.get('member')!.filter((e) => String(e.route).startsWith('/internal/'))).toEqual([]);

    // Nothing personal and no secret in any log line of any service.
    const everything = lines.join('\n');
    for (const secret of [member.fullName, member.cardNumber, body.data.member.phone, union]) expect(everything).not.toContain(secret);
  });

  it("the token endpoint's member lookup carries the request id into the member subgraph's line", async () => {
    const { clientId, clientSecret } = system.credentials.partners.platform;
    const res = await fetch(system.credentials.tokenUrl, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        'x-request-id': 'tx-1',
      },
      body: new URLSearchParams(memberTokenExchange(system.credentials.members[1].id)).toString(),
    });
    expect([res.status, res.headers.get('x-request-id')]).toEqual([200, 'tx-1']);
    await eventually(async () => ['member', 'gateway'].every((p) => requestLines('tx-1').some((l) => l.process === p)), 10_000);
    expect(requestLines('tx-1').find((l) => l.process === 'member')?.entry).toMatchObject({
      route: '/internal/member-facts',
      partnerKind: 'SERVICE',
      status: 200,
    });
    expect(requestLines('tx-1').find((l) => l.process === 'gateway')?.entry).toMatchObject({ route: '/oauth/token', status: 200 });
  });

  it('a request id that is not 1-64 of [A-Za-z0-9._-] is replaced by a new one', async () => {
    const res = await post(JSON.stringify({ query: '{ viewer { id } }' }), { authorization: `Bearer ${union}`, 'x-request-id': 'bad id with spaces' });
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const long = await post(JSON.stringify({ query: '{ viewer { id } }' }), { authorization: `Bearer ${union}`, 'x-request-id': 'x'.repeat(65) });
    expect(long.headers.get('x-request-id')).not.toBe('x'.repeat(65));
  });

  it('refusals carry the request id too: 400, 401, 403, 413, 429, the token endpoint and 404', async () => {
    const answers = {
      401: await post(JSON.stringify({ query: '{ viewer { id } }' }), { 'x-request-id': 'r-401' }),
      400: await post('{"query":', { authorization: `Bearer ${union}`, 'x-request-id': 'r-400' }),
      403: await post(JSON.stringify({ query: '{ organization(id: "x") { members { nodes { id } } } }' }), {
        authorization: `Bearer ${hospital}`,
        'x-request-id': 'r-403',
      }),
      413: await post(JSON.stringify({ query: `{ viewer { id } } #${'x'.repeat(300 * 1024)}` }), { authorization: `Bearer ${union}`, 'x-request-id': 'r-413' }),
      // Costs about 100 (a page of 50 members with their organizations), more than the whole budget of 100 per minute.
      429: await post(JSON.stringify({ query: '{ organization(id: "x") { members(first: 50) { nodes { organization { parent { id } } } } } }' }), {
        authorization: `Bearer ${union}`,
        'x-request-id': 'r-429',
      }),
    };
    for (const [status, res] of Object.entries(answers)) {
      expect([res.status, res.headers.get('x-request-id')]).toEqual([Number(status), `r-${status}`]);
    }
    const token = await fetch(system.credentials.tokenUrl, { method: 'POST', headers: { 'x-request-id': 'r-token' }, body: 'grant_type=client_credentials' });
    expect([token.status >= 400, token.headers.get('x-request-id')]).toEqual([true, 'r-token']);
    const missing = await fetch(`${system.baseUrl}/nowhere`, { headers: { 'x-request-id': 'r-404' } });
    expect([missing.status, missing.headers.get('x-request-id')]).toEqual([404, 'r-404']);

    await eventually(async () => requestLines('r-429').length === 1, 10_000);
    expect(requestLines('r-429')[0].entry).toMatchObject({ status: 429, outcome: 'RATE_LIMITED', partnerKind: 'UNION' });
    expect(requestLines('r-401')[0].entry).toMatchObject({ status: 401, outcome: 'UNAUTHENTICATED', partnerId: null });
    expect(requestLines('r-413')[0].entry).toMatchObject({ status: 413, outcome: 'QUERY_TOO_COMPLEX' });
  });
});

describe('/metrics', () => {
  const scrape = async (base: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}/metrics`, { headers });
    return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
  };

  it('on the gateway: operations by name (known names only), partner kind and outcome, with durations, fetches, pool, refusals', async () => {
    await gql(system, union, 'query Viewer { viewer { id } }');
    await gql(system, union, 'query MadeUpName123 { viewer { id } }');
    const { status, text, type } = await scrape(system.baseUrl);
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain/);
    const gateway = { service: 'gateway' };
    expect(metricSample(text, 'union_graphql_operations_total', { ...gateway, operation: 'member', partner_kind: 'UNION', outcome: 'OK' })).toBe(1);
    expect(metricSample(text, 'union_graphql_operations_total', { ...gateway, operation: 'Viewer', partner_kind: 'UNION', outcome: 'OK' })).toBe(1);
    expect(
      metricSample(text, 'union_graphql_operations_total', { ...gateway, operation: 'other', partner_kind: 'UNION', outcome: 'OK' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      metricSample(text, 'union_graphql_operations_total', { ...gateway, operation: 'organization', partner_kind: 'UNION', outcome: 'RATE_LIMITED' }),
    ).toBe(1);
    expect(
      metricSample(text, 'union_graphql_operations_total', { ...gateway, operation: 'other', partner_kind: 'none', outcome: 'UNAUTHENTICATED' }),
    ).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain('MadeUpName123');
    expect(metricSample(text, 'union_graphql_operation_duration_seconds_count', { ...gateway, operation: 'member', partner_kind: 'UNION' })).toBe(1);
    expect(metricSample(text, 'union_graphql_operation_duration_seconds_bucket', { ...gateway, operation: 'member', partner_kind: 'UNION', le: '+Inf' })).toBe(
      1,
    );
    for (const subgraph of ['member', 'benefit', 'points']) {
      expect(metricSample(text, 'union_subgraph_fetch_duration_seconds_count', { ...gateway, subgraph, failed: 'false' })).toBeGreaterThanOrEqual(1);
    }
    expect(metricSample(text, 'union_budget_refusals_total', { ...gateway, partner_kind: 'UNION' })).toBe(1);
    expect(metricSample(text, 'union_http_requests_total', { ...gateway, route: '/graphql', method: 'POST', status: '413' })).toBe(1);
    expect(metricSample(text, 'union_http_requests_total', { ...gateway, route: 'other', method: 'GET', status: '404' })).toBe(1);
    expect(metricSample(text, 'union_db_pool_connections', { ...gateway, state: 'total' })).toBeGreaterThanOrEqual(1);
    expect(metricSample(text, 'union_db_pool_connections', { ...gateway, state: 'waiting' })).toBe(0);
    expect(text).toMatch(/^process_cpu_seconds_total\{service="gateway"\} /m);
  });

  it('on each subgraph, and the benefit subgraph counts claim outcomes', async () => {
    const member = system.credentials.members[2];
    // An unknown batch: the claim fails with its contract code, counted by outcome.
    const token = await memberToken(system, member.id);
    const claim = await gql(system, token, 'mutation { claimVoucher(batchId: "c0000000-0000-4000-8000-00000000ffff") { code } }');
    const code = String(claim.body.errors?.[0]?.extensions?.code);
    for (const [name, url] of Object.entries(system.subgraphUrls)) {
      const { status, text } = await scrape(url.replace(/\/graphql$/, ''));
      expect([name, status]).toEqual([name, 200]);
      expect(metricSample(text, 'union_db_pool_connections', { service: name, state: 'idle' })).toBeGreaterThanOrEqual(0);
      // At least the start-up check that every migration ran went through the counted driver.
      expect(metricSample(text, 'union_db_statements_total', { service: name })).toBeGreaterThanOrEqual(1);
      // The events subgraph has served no GraphQL request in this test; the others have.
      if (name !== 'events') {
        expect(metricSample(text, 'union_http_requests_total', { service: name, route: '/graphql', method: 'POST', status: '200' })).toBeGreaterThanOrEqual(1);
      }
    }
    const benefit = await scrape(system.subgraphUrls.benefit.replace(/\/graphql$/, ''));
    expect(metricSample(benefit.text, 'union_claim_outcomes_total', { service: 'benefit', mutation: 'claimVoucher', outcome: code })).toBe(1);
    const points = await scrape(system.subgraphUrls.points.replace(/\/graphql$/, ''));
    expect(
      metricSample(points.text, 'union_graphql_operations_total', { service: 'points', operation: '_entities', partner_kind: 'UNION', outcome: 'OK' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('is refused off loopback without the METRICS_TOKEN bearer, and served with it', async () => {
    const relayed = await scrape(system.baseUrl, { 'x-forwarded-for': '203.0.113.9' });
    expect(relayed.status).toBe(403);
    expect(relayed.text).not.toContain('union_');
    const withToken = await scrape(system.baseUrl, { 'x-forwarded-for': '203.0.113.9', authorization: 'Bearer metrics-token-for-the-tests' });
    expect(withToken.status).toBe(200);
    const wrongToken = await scrape(system.baseUrl, { authorization: 'Bearer metrics-token-for-the-testz' });
    expect(wrongToken.status).toBe(403);
  });
});

describe('subgraph batches', () => {
  it('requests in flight together reach a subgraph in one batch, each operation with its own request line', async () => {
    const members = system.credentials.members.slice(0, 6);
    const before = await scrapeMetric(system.subgraphUrls.member.replace(/\/graphql$/, ''), 'union_http_requests_total', { route: '/graphql/batch' });
    for (let round = 0; round < 3; round += 1) {
      const answers = await Promise.all(
        members.map(async (member, i) => {
          const res = await post(JSON.stringify({ query: `{ member(id: "${member.id}") { id displayName } }` }), {
            authorization: `Bearer ${union}`,
            'x-request-id': `together-${round}-${i}`,
          });
          return ((await res.json()) as { data: { member: { id: string } } }).data.member.id;
        }),
      );
      expect(answers).toEqual(members.map((member) => member.id));
    }
    const ids = [0, 1, 2].flatMap((round) => members.map((_, i) => `together-${round}-${i}`));
    await eventually(async () => ids.every((id) => requestLines(id).some((l) => l.process === 'member')), 10_000);
    for (const id of ids) expect(requestLines(id).filter((l) => l.process === 'member' && l.entry.route === '/graphql')).toHaveLength(1);
    // Six requests sent at once, three times: the gateway asked the member subgraph for some of them together.
    const after = await scrapeMetric(system.subgraphUrls.member.replace(/\/graphql$/, ''), 'union_http_requests_total', { route: '/graphql/batch' });
    expect(after).toBeGreaterThan(before);
  });
});
