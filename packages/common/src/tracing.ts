import type { NodeSDK } from '@opentelemetry/sdk-node';

/**
 * OpenTelemetry tracing for one service process, on only when OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set. Off, none of the OpenTelemetry packages is even
 * loaded: this file imports nothing at run time until then.
 *
 * Each service's `tracing.ts` calls startTracing as the very first thing its index.ts does, because
 * the http, pg and graphql instrumentations work by patching those modules when they are first
 * required: anything loaded before this would go untraced. Nothing else may import this file's
 * callers' dependencies first (so this file stays free of @union/common's index).
 *
 * What a trace holds: the HTTP server span of each service (the caller's W3C `traceparent` is
 * honoured at the gateway), the gateway's HTTP client spans to the subgraphs and the subgraphs'
 * fetch calls to each other (which carry `traceparent` on), GraphQL parse/validate/execute spans
 * (no span per resolver: too costly for what it tells) and a span per SQL
 * statement, with the trace context also written into the statement as a sqlcommenter comment,
 * so that pg_stat_activity and PostgreSQL's logs show which trace a query belongs to.
 * Spans go out over OTLP/HTTP (JSON) in batches (OTEL_BSP_* tunes them); the standard OTEL_*
 * variables apply (OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER, OTEL_RESOURCE_ATTRIBUTES ...).
 */

let sdk: NodeSDK | null = null;

/** Paths that are probed every few seconds by orchestrators and scrapers: never worth a trace. */
const UNTRACED_PATHS = new Set(['/health', '/ready', '/metrics']);

export function tracingEndpoint(env: Record<string, string | undefined> = process.env): string | null {
  return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT || null;
}

/** Starts tracing for `service` when an OTLP endpoint is configured; answers whether it did. */
export function startTracing(service: string): boolean {
  if (sdk || !tracingEndpoint() || process.env.OTEL_SDK_DISABLED === 'true') return false;
  // Metrics are prom-client's (/metrics) and logs pino's: the SDK exports traces only.
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded only when tracing is on */
  const { NodeSDK: SDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { GraphQLInstrumentation } = require('@opentelemetry/instrumentation-graphql') as typeof import('@opentelemetry/instrumentation-graphql');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
  const { envDetector, hostDetector, processDetector } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  /* eslint-enable @typescript-eslint/no-require-imports */

  sdk = new SDK({
    serviceName: process.env.OTEL_SERVICE_NAME || `union-${service}`,
    traceExporter: new OTLPTraceExporter(),
    // No cloud detectors: they would probe metadata endpoints at start-up.
    resourceDetectors: [envDetector, hostDetector, processDetector],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has((req.url ?? '/').split('?')[0]),
        // Readiness probes between services and other background calls start no traces of their own.
        requireParentforOutgoingSpans: true,
      }),
      // Service-to-service calls over fetch (benefit and points asking member for member facts).
      new UndiciInstrumentation({ requireParentforSpans: true }),
      // Parse, validate and execute; no span per resolver (their SQL spans show the work, at a fraction of the cost).
      new GraphQLInstrumentation({ ignoreResolveSpans: true, mergeItems: true }),
      new PgInstrumentation({ requireParentSpan: true, addSqlCommenterCommentToQueries: true }),
    ],
  });
  sdk.start();
  return true;
}

/** Sends the spans still buffered and stops tracing (graceful shutdown); a no-op when tracing is off. */
export async function shutdownTracing(): Promise<void> {
  const running = sdk;
  sdk = null;
  await running?.shutdown().catch(() => undefined);
}
