import { z } from 'zod';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parses configuration once at start-up. Every problem is listed in one message, so an operator
 * fixes the environment in one go instead of one restart per missing variable.
 */
export function parseConfig<T extends z.ZodType>(
  service: string,
  schema: T,
  env: Record<string, string | undefined>,
  /** Rules across variables (zod skips object refinements once a field fails); each returns a problem or null. */
  crossChecks: Array<(env: Record<string, string | undefined>) => string | null> = [],
): z.infer<T> {
  const result = schema.safeParse(env);
  const crossProblems = crossChecks.map((check) => check(env)).filter((p): p is string => p !== null);
  if (result.success && crossProblems.length === 0) return result.data;
  const fieldProblems = result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  const problems = [...fieldProblems, ...crossProblems].map((problem) => `  - ${problem}`);
  throw new ConfigError(`${service}: invalid configuration:\n${problems.join('\n')}`);
}

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** Secrets shared between the gateway and the subgraphs must be long enough to resist guessing. */
export const secret = z.string().min(32, 'must be at least 32 characters');

export const booleanFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Settings every service (gateway and subgraphs) has for running it: metrics access and shutdown. */
export const operationsSettings = {
  /** Bearer that may read /metrics from off the host (without it, only loopback callers may). */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Seconds the requests in flight get to finish after SIGTERM before their connections are cut. */
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).max(600).default(10),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

/**
 * Settings every subgraph has: its database (own URL or the shared DATABASE_URL, own schema),
 * where it listens, and the secret that proves a request came through the gateway.
 * `<NAME>_DATABASE_URL`, `<NAME>_DB_SCHEMA`, `<NAME>_PORT`; `extra` adds the service's own.
 */
export function loadSubgraphConfig<E extends z.ZodRawShape>(name: string, defaultPort: number, extra: E, env: Record<string, string | undefined>) {
  const upper = name.toUpperCase();
  const schema = z.object({
    [`${upper}_DATABASE_URL`]: z.string().url().optional(),
    DATABASE_URL: z.string().url().optional(),
    [`${upper}_DB_SCHEMA`]: z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/)
      .default(name),
    [`${upper}_PORT`]: port(defaultPort),
    HOST: z.string().default('127.0.0.1'),
    INTERNAL_SECRET: secret,
    DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
    ...operationsSettings,
    ...extra,
  });
  const parsed = parseConfig(`${name} subgraph`, schema, env, [databaseUrlRequired(`${upper}_DATABASE_URL`)]) as Record<string, unknown>;
  return {
    base: {
      databaseUrl: (parsed[`${upper}_DATABASE_URL`] ?? parsed.DATABASE_URL) as string,
      dbSchema: parsed[`${upper}_DB_SCHEMA`] as string,
      port: parsed[`${upper}_PORT`] as number,
      host: parsed.HOST as string,
      internalSecret: parsed.INTERNAL_SECRET as string,
      poolSize: parsed.DB_POOL_SIZE as number,
      metricsToken: parsed.METRICS_TOKEN as string | undefined,
      shutdownGraceSeconds: parsed.SHUTDOWN_GRACE_SECONDS as number,
    },
    extra: parsed as z.infer<z.ZodObject<E>>,
  };
}

/** A service needs its own database URL variable or the shared DATABASE_URL. */
export const databaseUrlRequired = (ownVariable: string) => (env: Record<string, string | undefined>) =>
  env[ownVariable] || env.DATABASE_URL ? null : `DATABASE_URL: set ${ownVariable} or DATABASE_URL`;
