import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { repoRoot } from '../../scripts/src/system';
import { gql, memberToken, partnerToken } from '../testkit/client';
import { openVoucherBatchInput } from '../testkit/voucher-batches';
import { startSystem, type RunningSystem } from '../testkit/system';
import { eventually } from './access-support';

/**
 * Tracing on (issue 11 item 4): every service exports over OTLP/HTTP to a collector this test runs
 * on loopback, the real path an operator's collector takes. One partner request, sent with its own
 * W3C traceparent, comes back as one trace: the gateway, the subgraphs it called and their SQL.
 */

interface CollectedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type OtlpAttribute = { key: string; value: OtlpValue };

const spans: CollectedSpan[] = [];
let collector: Server;
let system: RunningSystem;

/** OTLP JSON carries ids as hex; protobuf-style JSON would carry base64: accept both. */
const hexId = (id: string | undefined) => (!id ? '' : /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex'));
const attributeMap = (attributes: OtlpAttribute[] = []) =>
  Object.fromEntries(attributes.map(({ key, value }) => [key, value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue]));

function receive(body: { resourceSpans?: Array<{ resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: Array<{ spans?: Array<Record<string, any>> }> }> }) {
  for (const resourceSpans of body.resourceSpans ?? []) {
    const service = String(attributeMap(resourceSpans.resource?.attributes)['service.name']);
    for (const scope of resourceSpans.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        spans.push({
          service,
          traceId: hexId(span.traceId),
          spanId: hexId(span.spanId),
          parentSpanId: hexId(span.parentSpanId),
          name: span.name,
          kind: Number(span.kind),
          attributes: attributeMap(span.attributes),
        });
      }
    }
  }
}

beforeAll(async () => {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      if (req.url === '/v1/traces' && String(req.headers['content-type']).startsWith('application/json')) receive(JSON.parse(raw.toString('utf8')));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  system = await startSystem({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '100' } });
});

afterAll(async () => {
  await system?.stop();
  await new Promise((resolve) => collector?.close(resolve));
});

const SERVER = 2;
const CLIENT = 3;

describe('tracing (OTEL_EXPORTER_OTLP_ENDPOINT set)', () => {
  it('shows one partner request as one trace: the caller, the gateway, the subgraphs and PostgreSQL', async () => {
    const token = await partnerToken(system, 'districtUnion');
    const member = system.credentials.members[0];
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const response = await fetch(system.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, traceparent: `00-${traceId}-${callerSpanId}-01` },
      body: JSON.stringify({ query: `{ member(id: "${member.id}") { displayName points { balance } vouchers { totalCount } } }` }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();

    const trace = () => spans.filter((span) => span.traceId === traceId);
    const services = () => new Set(trace().map((span) => span.service));
    await eventually(async () => ['union-gateway', 'union-member', 'union-points', 'union-benefit'].every((s) => services().has(s)), 20_000);
    await eventually(async () => trace().some((span) => span.service === 'union-member' && span.attributes['db.system'] !== undefined), 10_000).catch(() => 0);

    const spanned = trace();
    // The gateway continued the caller's trace: its server span is the caller's span's child.
    const gatewayServer = spanned.find((span) => span.service === 'union-gateway' && span.kind === SERVER);
    expect(gatewayServer).toBeDefined();
    expect(gatewayServer!.parentSpanId).toBe(callerSpanId);

    // Each subgraph's server span hangs off one of the gateway's client spans (traceparent went along).
    const gatewayClients = new Set(spanned.filter((span) => span.service === 'union-gateway' && span.kind === CLIENT).map((span) => span.spanId));
    for (const service of ['union-member', 'union-points', 'union-benefit']) {
      const server = spanned.find((span) => span.service === service && span.kind === SERVER);
      expect(server).toBeDefined();
      expect(gatewayClients.has(server!.parentSpanId)).toBe(true);
    }

    // The member's facts travelled signed with the entity: benefit and points made no call of their own to member.
    const subgraphClients = new Set(
      spanned.filter((span) => ['union-benefit', 'union-points'].includes(span.service) && span.kind === CLIENT).map((span) => span.spanId),
    );
    expect(spanned.some((span) => span.service === 'union-member' && span.kind === SERVER && subgraphClients.has(span.parentSpanId))).toBe(false);

    // GraphQL and SQL inside the member subgraph, in the same trace.
    expect(spanned.some((span) => span.service === 'union-member' && span.name.startsWith('graphql.'))).toBe(true);
    const sqlSpans = spanned.filter(
      (span) => span.service === 'union-member' && (span.attributes['db.system'] === 'postgresql' || span.attributes['db.system.name'] === 'postgresql'),
    );
    expect(sqlSpans.length).toBeGreaterThan(0);
    expect(sqlSpans.some((span) => /select/i.test(String(span.attributes['db.statement'] ?? span.attributes['db.query.text'] ?? span.name)))).toBe(true);

    // One trace, one tree: every span but the gateway's first has its parent in the trace.
    const ids = new Set(spanned.map((span) => span.spanId));
    const roots = spanned.filter((span) => !ids.has(span.parentSpanId));
    expect(roots.map((span) => span.spanId)).toEqual([gatewayServer!.spanId]);
  });

  it('leaves health probes out of traces', async () => {
    const before = spans.length;
    await fetch(`${system.baseUrl}/health`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(spans.slice(before).filter((span) => span.attributes['url.path'] === '/health' || span.attributes['http.target'] === '/health')).toEqual([]);
  });
});

describe('tracing off (no OTLP endpoint)', () => {
  it('loads none of the OpenTelemetry packages', () => {
    const script = `
      require(${JSON.stringify(join(repoRoot, 'packages/common/dist/tracing.js'))}).startTracing('probe');
      require('pg'); require('graphql');
      console.log(Object.keys(require.cache).filter((file) => file.includes('@opentelemetry')).length);`;
    const env = { ...process.env };
    delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    expect(
      execFileSync(process.execPath, ['-e', script], { cwd: join(repoRoot, 'packages/common'), env })
        .toString()
        .trim(),
    ).toBe('0');
  });

  it("keeps a call between subgraphs in the trace: a claim, where benefit asks member for the member's facts", async () => {
    const union = await partnerToken(system, 'cityUnion');
    const created = await gql(system, union, 'mutation ($input: CreateVoucherBatchInput!) { createVoucherBatch(input: $input) { id } }', {
      input: openVoucherBatchInput({ name: '追踪测试券' }),
    });
    const batchId = (created.body.data as { createVoucherBatch?: { id: string } } | null)?.createVoucherBatch?.id;
    expect(batchId).toBeDefined();
    const traceId = randomBytes(16).toString('hex');
    const response = await fetch(system.gatewayUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await memberToken(system, system.credentials.members[0].id)}`,
        traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
      },
      body: JSON.stringify({ query: `mutation { claimVoucher(batchId: "${batchId}") { id } }` }),
    });
    expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();

    const trace = () => spans.filter((span) => span.traceId === traceId);
    const benefitClients = () =>
      new Set(
        trace()
          .filter((span) => span.service === 'union-benefit' && span.kind === CLIENT)
          .map((span) => span.spanId),
      );
    await eventually(
      async () => trace().some((span) => span.service === 'union-member' && span.kind === SERVER && benefitClients().has(span.parentSpanId)),
      20_000,
    );
  });
});
