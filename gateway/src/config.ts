import { join } from 'node:path';
import { booleanFlag, databaseUrlRequired, operationsSettings, parseConfig, port, secret } from '@union/common';
import { z } from 'zod';
import { signingKeyPemProblem } from './auth/tokens';
import { trustedProxyEntries, trustedProxyEntryProblem } from './client-address';

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  GATEWAY_PORT: port(4000),
  HOST: z.string().default('127.0.0.1'),
  GATEWAY_DATABASE_URL: z.string().url().optional(),
  DATABASE_URL: z.string().url().optional(),
  GATEWAY_DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .default('gateway'),
  INTERNAL_SECRET: secret,
  MEMBER_SUBGRAPH_URL: z.string().url().default('http://127.0.0.1:4001/graphql'),
  BENEFIT_SUBGRAPH_URL: z.string().url().default('http://127.0.0.1:4002/graphql'),
  POINTS_SUBGRAPH_URL: z.string().url().default('http://127.0.0.1:4003/graphql'),
  EVENTS_SUBGRAPH_URL: z.string().url().default('http://127.0.0.1:4004/graphql'),
  /** Ed25519 private key (PKCS#8 PEM) that signs access tokens; else JWT_KEY_FILE, generated on first start. */
  JWT_PRIVATE_KEY_PEM: z.string().optional(),
  JWT_KEY_FILE: z.string().optional(),
  JWT_ISSUER: z.string().default('union-benefits-gateway'),
  JWT_AUDIENCE: z.string().default('union-benefits-api'),
  PARTNER_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(600),
  MEMBER_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(300),
  SUPERGRAPH_PATH: z.string().default(join(__dirname, '..', '..', 'schema', 'supergraph.graphql')),
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(50 * 1024 * 1024)
    .default(256 * 1024),
  /** Production posture: introspection only for partners flagged for it (see docs/access.md). */
  ALLOW_INTROSPECTION: booleanFlag(false),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  // Operation limits (gateway/src/limits.ts, docs/access.md), checked before planning.
  MAX_DOCUMENT_BYTES: z.coerce
    .number()
    .int()
    .min(256)
    .max(1024 * 1024)
    .default(32 * 1024),
  MAX_QUERY_TOKENS: z.coerce.number().int().min(100).max(1_000_000).default(10_000),
  MAX_QUERY_DEPTH: z.coerce.number().int().min(2).max(1000).default(15),
  MAX_QUERY_ALIASES: z.coerce.number().int().min(0).max(100_000).default(50),
  MAX_ROOT_FIELDS: z.coerce.number().int().min(1).max(10_000).default(20),
  MAX_QUERY_COST: z.coerce.number().int().min(1).max(100_000_000).default(5_000),
  MUTATION_FIELD_COST: z.coerce.number().int().min(1).max(10_000).default(10),
  // Per-partner token bucket of operation cost (gateway/src/rate-limit.ts); partners.rate_limit_per_minute overrides the rate.
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000_000).default(30_000),
  FAILED_GUESS_PENALTY: z.coerce.number().int().min(0).max(100_000_000).default(250),
  /** How long a partner's status, rate and introspection flag are cached: a disabled partner's tokens stop working within this. */
  PARTNER_CACHE_SECONDS: z.coerce.number().min(0).max(300).default(15),
  /** Identical subgraph reads in flight (same caller, same body) share one fetch; false sends every one (benchmarks). */
  SUBGRAPH_DEDUPLICATION: booleanFlag(true),
  /** The subgraph fetches of one turn go to each subgraph as one batch; false sends every one alone (benchmarks). */
  SUBGRAPH_BATCHING: booleanFlag(true),
  /** Failed client authentications per (client id, address) and minute at /oauth/token before 429 (0: off). */
  TOKEN_FAILURES_PER_MINUTE: z.coerce.number().int().min(0).max(100_000).default(30),
  ...operationsSettings,
  /** GET /explorer (GraphiQL for partners): on by default, off with NODE_ENV=production unless set to true. */
  EXPLORER_ENABLED: z.enum(['true', 'false', '1', '0', 'yes', 'no']).optional(),
  /** The much higher ceiling of failed client authentications per address alone and minute. */
  TOKEN_FAILURES_PER_ADDRESS_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(300),
  /** Proxies (addresses or CIDR ranges) whose X-Forwarded-For is believed; empty: the header is ignored. */
  TRUSTED_PROXIES: z
    .string()
    .default('')
    .superRefine((value, ctx) => {
      for (const entry of trustedProxyEntries(value)) {
        const problem = trustedProxyEntryProblem(entry);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }
    })
    .transform(trustedProxyEntries),
  /** Redis shared by every gateway replica for budgets and failure counters; unset: this process's memory. */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/.+/, 'must be a redis:// or rediss:// URL')
    .optional(),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,64}$/)
    .default('union-benefits'),
});

/** A configured signing key is checked with the rest of the configuration, not when the first token is signed. */
function signingKeyConfigured(env: Record<string, string | undefined>): string | null {
  const problem = env.JWT_PRIVATE_KEY_PEM ? signingKeyPemProblem(env.JWT_PRIVATE_KEY_PEM) : null;
  return problem ? `JWT_PRIVATE_KEY_PEM: ${problem}` : null;
}

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

export function loadGatewayConfig(env: Record<string, string | undefined> = process.env) {
  const c = parseConfig('gateway', schema, env, [databaseUrlRequired('GATEWAY_DATABASE_URL'), signingKeyConfigured]);
  return {
    production: c.NODE_ENV === 'production',
    port: c.GATEWAY_PORT,
    host: c.HOST,
    databaseUrl: (c.GATEWAY_DATABASE_URL ?? c.DATABASE_URL) as string,
    dbSchema: c.GATEWAY_DB_SCHEMA,
    poolSize: c.DB_POOL_SIZE,
    internalSecret: c.INTERNAL_SECRET,
    subgraphUrls: { member: c.MEMBER_SUBGRAPH_URL, benefit: c.BENEFIT_SUBGRAPH_URL, points: c.POINTS_SUBGRAPH_URL, events: c.EVENTS_SUBGRAPH_URL },
    jwt: {
      privateKeyPem: c.JWT_PRIVATE_KEY_PEM,
      keyFile: c.JWT_KEY_FILE,
      issuer: c.JWT_ISSUER,
      audience: c.JWT_AUDIENCE,
      partnerTokenTtlSeconds: c.PARTNER_TOKEN_TTL_SECONDS,
      memberTokenTtlSeconds: c.MEMBER_TOKEN_TTL_SECONDS,
    },
    supergraphPath: c.SUPERGRAPH_PATH,
    maxBodyBytes: c.MAX_BODY_BYTES,
    allowIntrospection: c.ALLOW_INTROSPECTION,
    limits: {
      maxDocumentBytes: c.MAX_DOCUMENT_BYTES,
      maxTokens: c.MAX_QUERY_TOKENS,
      maxDepth: c.MAX_QUERY_DEPTH,
      maxAliases: c.MAX_QUERY_ALIASES,
      maxRootFields: c.MAX_ROOT_FIELDS,
      maxCost: c.MAX_QUERY_COST,
      mutationFieldCost: c.MUTATION_FIELD_COST,
    },
    rateLimit: {
      perMinute: c.RATE_LIMIT_PER_MINUTE,
      failedGuessPenalty: c.FAILED_GUESS_PENALTY,
    },
    partnerCacheMs: Math.round(c.PARTNER_CACHE_SECONDS * 1000),
    subgraphDeduplication: c.SUBGRAPH_DEDUPLICATION,
    subgraphBatching: c.SUBGRAPH_BATCHING,
    tokenFailuresPerMinute: c.TOKEN_FAILURES_PER_MINUTE,
    metricsToken: c.METRICS_TOKEN,
    shutdownGraceSeconds: c.SHUTDOWN_GRACE_SECONDS,
    explorerEnabled: c.EXPLORER_ENABLED === undefined ? c.NODE_ENV !== 'production' : ['true', '1', 'yes'].includes(c.EXPLORER_ENABLED),
    tokenFailuresPerAddressPerMinute: c.TOKEN_FAILURES_PER_ADDRESS_PER_MINUTE,
    trustedProxies: c.TRUSTED_PROXIES,
    redis: { url: c.REDIS_URL ?? null, keyPrefix: c.REDIS_KEY_PREFIX },
  };
}
