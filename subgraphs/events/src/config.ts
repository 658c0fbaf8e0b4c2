import { loadSubgraphConfig } from '@union/common';
import { z } from 'zod';

export type EventsConfig = ReturnType<typeof loadEventsConfig>;

const seconds = (fallback: number, max = 30 * 24 * 3600) => z.coerce.number().min(0.01).max(max).default(fallback);

export function loadEventsConfig(env: Record<string, string | undefined> = process.env) {
  const { base, extra } = loadSubgraphConfig(
    'events',
    4004,
    {
      NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
      /** The services whose outboxes feed the events: read through their internal event-outbox route. */
      MEMBER_SUBGRAPH_URL: z.string().url().default('http://127.0.0.1:4001/graphql'),
      BENEFIT_SUBGRAPH_URL: z.string().url().default('http://127.0.0.1:4002/graphql'),
      POINTS_SUBGRAPH_URL: z.string().url().default('http://127.0.0.1:4003/graphql'),
      /** How often the relay asks each service for newly committed events (milliseconds); a full page runs the next round at once. */
      EVENTS_RELAY_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(200),
      /** Outbox rows relayed per service per round. */
      EVENTS_RELAY_BATCH: z.coerce.number().int().min(1).max(1000).default(500),
      /** PostgreSQL schema of the pg-boss job queue that runs webhook deliveries. */
      EVENTS_JOB_SCHEMA: z
        .string()
        .regex(/^[a-z_][a-z0-9_]*$/)
        .default('events_jobs'),
      /** Deliveries one process runs at the same time. */
      WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(20),
      /** A delivery must get a 2xx within this (the contract says 10 s). */
      WEBHOOK_TIMEOUT_SECONDS: seconds(10, 60),
      /** First pause after a failed delivery; each further one doubles (with ±25 % jitter) up to the maximum. */
      WEBHOOK_RETRY_FIRST_PAUSE_SECONDS: seconds(5),
      WEBHOOK_RETRY_MAX_PAUSE_SECONDS: seconds(6 * 3600),
      /** How long one event is retried before it is given up and the endpoint is marked failing (at least 3 days). */
      WEBHOOK_RETRY_WINDOW_SECONDS: seconds(3 * 24 * 3600),
      /** An endpoint failing this long after failingSince was set is disabled, with the reason recorded. */
      WEBHOOK_DISABLE_AFTER_SECONDS: seconds(2 * 24 * 3600),
      /** How long the old secret still signs after rotateWebhookSecret. */
      WEBHOOK_PREVIOUS_SECRET_SECONDS: seconds(24 * 3600),
      /** A delivery in flight is leased for this long; a crashed worker's delivery is taken over after it. */
      WEBHOOK_LEASE_SECONDS: seconds(30, 3600),
      /** How often deliveries without a queued job (crash, lost wake-up) are put back on the queue. */
      WEBHOOK_SWEEP_INTERVAL_SECONDS: seconds(10, 3600),
      /** How often pg-boss workers look for jobs (a relay in the same process wakes them at once). */
      WEBHOOK_POLL_SECONDS: z.coerce.number().min(0.5).max(60).default(1),
      /** How often pg-boss expires jobs of crashed workers (seconds). */
      WEBHOOK_JOB_MAINTENANCE_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
      /** Most endpoints one partner may have. */
      WEBHOOK_MAX_ENDPOINTS: z.coerce.number().int().min(1).max(1000).default(10),
    },
    env,
  );
  return {
    ...base,
    production: extra.NODE_ENV === 'production',
    sources: { member: extra.MEMBER_SUBGRAPH_URL, benefit: extra.BENEFIT_SUBGRAPH_URL, points: extra.POINTS_SUBGRAPH_URL },
    relay: { intervalMs: extra.EVENTS_RELAY_INTERVAL_MS, batch: extra.EVENTS_RELAY_BATCH },
    jobSchema: extra.EVENTS_JOB_SCHEMA,
    webhooks: {
      concurrency: extra.WEBHOOK_CONCURRENCY,
      timeoutMs: Math.round(extra.WEBHOOK_TIMEOUT_SECONDS * 1000),
      firstPauseMs: Math.round(extra.WEBHOOK_RETRY_FIRST_PAUSE_SECONDS * 1000),
      maxPauseMs: Math.round(extra.WEBHOOK_RETRY_MAX_PAUSE_SECONDS * 1000),
      retryWindowMs: Math.round(extra.WEBHOOK_RETRY_WINDOW_SECONDS * 1000),
      disableAfterMs: Math.round(extra.WEBHOOK_DISABLE_AFTER_SECONDS * 1000),
      previousSecretMs: Math.round(extra.WEBHOOK_PREVIOUS_SECRET_SECONDS * 1000),
      leaseMs: Math.round(extra.WEBHOOK_LEASE_SECONDS * 1000),
      sweepIntervalMs: Math.round(extra.WEBHOOK_SWEEP_INTERVAL_SECONDS * 1000),
      pollSeconds: extra.WEBHOOK_POLL_SECONDS,
      maxEndpoints: extra.WEBHOOK_MAX_ENDPOINTS,
      jobMaintenanceSeconds: extra.WEBHOOK_JOB_MAINTENANCE_SECONDS,
    },
  };
}

export type WebhookSettings = EventsConfig['webhooks'];
