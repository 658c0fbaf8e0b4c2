import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { statementCounterOf } from './db';
import { ErrorCodes } from './errors';

/** Per route, the lookups requests asked for and the calls that carried them (a CoalescedLookup has both). */
export type DirectoryLookupCounts = Record<string, { readonly asked: number; readonly calls: number }>;

/** Kinds of caller (Principal.kind); anything else is counted as `other`, unauthenticated as `none`. */
const PARTNER_KINDS = new Set(['HOSPITAL', 'TRAVEL_PARTNER', 'MERCHANT', 'UNION', 'PLATFORM', 'MEMBER', 'SERVICE']);
const OUTCOMES = new Set<string>([...ErrorCodes, 'OK']);

export const partnerKindLabel = (kind: string | null | undefined) => (kind ? (PARTNER_KINDS.has(kind) ? kind : 'other') : 'none');
export const outcomeLabel = (code: string | null | undefined) => (code && OUTCOMES.has(code) ? code : 'other');

const EVENT_LOOP_SAMPLE_MS = 100;

/** A service's /metrics registry, for services that register their own metrics in it. */
export type MetricsRegistry = Registry;

/**
 * A counter whose count the service keeps itself (a plain number, or one per label value) and
 * /metrics reads when it is scraped: nothing is done per event but the service's own `+= 1`.
 */
export function scrapedCounter(
  registry: Registry,
  options: { name: string; help: string; label?: string; read(): number | Readonly<Record<string, number>> },
): void {
  new Counter({
    name: options.name,
    help: options.help,
    labelNames: options.label ? [options.label] : [],
    registers: [registry],
    collect() {
      this.reset();
      const counts = options.read();
      if (typeof counts === 'number') this.inc(counts);
      else for (const [value, count] of Object.entries(counts)) this.inc({ [options.label!]: value }, count);
    },
  });
}

/**
 * A service's Prometheus metrics, in a registry of its own (tests run several services in one
 * process). Every label value comes from a bounded set: routes the service serves, operation names
 * it knows (else `other`), contract codes (else `other`), partner kinds.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  readonly operations: Counter<'operation' | 'partner_kind' | 'outcome'>;
  readonly operationDuration: Histogram<'operation' | 'partner_kind'>;

  constructor(
    readonly service: string,
    private readonly knownOperations: ReadonlySet<string>,
    private readonly knownRoutes: ReadonlySet<string>,
  ) {
    this.registry.setDefaultLabels({ service });
    // The event-loop delay is sampled every 100 ms, not prom-client's default 10: its timer firing
    // 100 times a second cost every process about 8 ms of CPU a second on the 2-core machine, busy
    // or idle (a bare idle Node process: 12 ms/s with it, 4 at 100 ms). Lags that matter still show.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
    this.httpRequests = new Counter({
      name: 'union_http_requests_total',
      help: 'HTTP requests answered, by route (path, or `other`), method and status.',
      labelNames: ['route', 'method', 'status'],
      registers: [this.registry],
    });
    this.operations = new Counter({
      name: 'union_graphql_operations_total',
      help: 'GraphQL operations answered, by operation name (known names, else `other`), partner kind and outcome (the first error code, or OK).',
      labelNames: ['operation', 'partner_kind', 'outcome'],
      registers: [this.registry],
    });
    this.operationDuration = new Histogram({
      name: 'union_graphql_operation_duration_seconds',
      help: 'Time from the request arriving to the answer being written, per operation name and partner kind.',
      labelNames: ['operation', 'partner_kind'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
  }

  /** An operation name as a label: a known one, else for an anonymous operation its known top-level field, else `other`. */
  operationLabel(name: string | null | undefined, rootFields: readonly string[] = []): string {
    if (name) return this.knownOperations.has(name) ? name : 'other';
    return rootFields.length > 0 && this.knownOperations.has(rootFields[0]) ? rootFields[0] : 'other';
  }

  routeLabel(path: string): string {
    return this.knownRoutes.has(path) ? path : 'other';
  }

  observeRequest(path: string, method: string, status: number): void {
    this.httpRequests.inc({
      route: this.routeLabel(path),
      method: ['GET', 'POST', 'HEAD', 'OPTIONS'].includes(method) ? method : 'other',
      status: String(status),
    });
  }

  observeOperation(operation: string, partnerKind: string | null | undefined, outcome: string | null | undefined, seconds: number): void {
    const kind = partnerKindLabel(partnerKind);
    this.operations.inc({ operation, partner_kind: kind, outcome: outcomeLabel(outcome) });
    this.operationDuration.observe({ operation, partner_kind: kind }, seconds);
  }

  /** Connections of the service's PostgreSQL pool (total, idle, waiting for one), read when scraped. */
  observeDatabasePool(db: DataSource): void {
    new Gauge({
      name: 'union_db_pool_connections',
      help: 'PostgreSQL pool of this service: total, idle and waiting (requests queued for a connection).',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const pool = (db.driver as unknown as { master?: { totalCount: number; idleCount: number; waitingCount: number } }).master;
        this.set({ state: 'total' }, pool?.totalCount ?? 0);
        this.set({ state: 'idle' }, pool?.idleCount ?? 0);
        this.set({ state: 'waiting' }, pool?.waitingCount ?? 0);
      },
    });
    const statements = statementCounterOf(db);
    if (!statements) return;
    // What a request costs the database is counted in statements, not only in time (the benchmarks divide it by requests).
    scrapedCounter(this.registry, {
      name: 'union_db_statements_total',
      help: 'SQL statements this service has sent to PostgreSQL since it started.',
      read: () => statements.total,
    });
  }

  /** The member directory lookups this service's requests asked for, and the calls that carried them, read when scraped. */
  observeDirectoryLookups(lookups: DirectoryLookupCounts): void {
    const byRoute = (count: (lookup: DirectoryLookupCounts[string]) => number) => () =>
      Object.fromEntries(Object.entries(lookups).map(([route, lookup]) => [route, count(lookup)]));
    scrapedCounter(this.registry, {
      name: 'union_member_directory_lookups_total',
      help: 'Member directory lookups the requests of this service asked for, by route.',
      label: 'route',
      read: byRoute((lookup) => lookup.asked),
    });
    scrapedCounter(this.registry, {
      name: 'union_member_directory_calls_total',
      help: 'Calls to the member directory that carried those lookups (what requests in flight ask in one turn goes out as one call), by route.',
      label: 'route',
      read: byRoute((lookup) => lookup.calls),
    });
  }
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/**
 * Who may read /metrics: a caller on loopback (a sidecar or node agent; not one relayed by a proxy,
 * which says so with X-Forwarded-For), or anyone presenting the METRICS_TOKEN bearer.
 */
export function mayReadMetrics(req: IncomingMessage, token: string | undefined): boolean {
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (token && bearer) {
    const given = Buffer.from(bearer);
    const expected = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
  return LOOPBACK.test(req.socket.remoteAddress ?? '') && req.headers['x-forwarded-for'] === undefined;
}

/** GET /metrics in the Prometheus text format, or 403 for a caller that may not read it. */
export async function answerMetrics(req: IncomingMessage, res: ServerResponse, metrics: ServiceMetrics, token: string | undefined): Promise<void> {
  if (!mayReadMetrics(req, token)) {
    const body = JSON.stringify({
      errors: [{ message: 'metrics are served on loopback, or with the METRICS_TOKEN bearer', extensions: { code: 'FORBIDDEN' } }],
    });
    res.writeHead(403, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  const text = await metrics.registry.metrics();
  res.writeHead(200, { 'content-type': metrics.registry.contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
