import { loadSubgraphConfig, parseConfig } from '@union/common';
import { z } from 'zod';

export type PointsConfig = ReturnType<typeof loadPointsConfig>;

/** How long earned points live; fixed on each lot when it is earned, so a change applies to new points only. */
export interface ExpiryPolicy {
  /** Points earned in year Y expire at the end of year Y + this (Asia/Shanghai). 1: end of the following year. */
  expiryYearsAfterEarning: number;
}

export const DEFAULT_EXPIRY_POLICY: ExpiryPolicy = { expiryYearsAfterEarning: 1 };

const expirySettings = {
  /** 1 = points expire at the end of the calendar year after the year they were earned. */
  POINTS_EXPIRY_YEARS: z.coerce.number().int().min(0).max(50).default(DEFAULT_EXPIRY_POLICY.expiryYearsAfterEarning),
  /** Seconds between expiry runs inside the subgraph; 0 turns the timer off (run dist/expire.js instead). */
  POINTS_EXPIRY_INTERVAL_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .default(3600),
};

export function loadPointsConfig(env: Record<string, string | undefined> = process.env) {
  const { base, extra } = loadSubgraphConfig(
    'points',
    4003,
    {
      /** The member subgraph, asked for member and organization facts (eligibility, visibility). */
      MEMBER_SUBGRAPH_URL: z.string().url().default('http://127.0.0.1:4001/graphql'),
      ...expirySettings,
    },
    env,
  );
  return {
    ...base,
    memberSubgraphUrl: extra.MEMBER_SUBGRAPH_URL,
    expiry: { expiryYearsAfterEarning: extra.POINTS_EXPIRY_YEARS } satisfies ExpiryPolicy,
    expiryIntervalSeconds: extra.POINTS_EXPIRY_INTERVAL_SECONDS,
  };
}

/** What the expiry CLI needs: the database only (it serves nothing, so no internal secret). */
export function loadExpiryJobConfig(env: Record<string, string | undefined> = process.env) {
  const parsed = parseConfig(
    'points expiry',
    z
      .object({
        POINTS_DATABASE_URL: z.string().url().optional(),
        DATABASE_URL: z.string().url().optional(),
        POINTS_DB_SCHEMA: z
          .string()
          .regex(/^[a-z_][a-z0-9_]*$/)
          .default('points'),
      })
      .refine((c) => c.POINTS_DATABASE_URL ?? c.DATABASE_URL, { message: 'set POINTS_DATABASE_URL or DATABASE_URL', path: ['DATABASE_URL'] }),
    env,
  );
  return {
    databaseUrl: (parsed.POINTS_DATABASE_URL ?? parsed.DATABASE_URL) as string,
    dbSchema: parsed.POINTS_DB_SCHEMA,
    poolSize: 2,
  };
}
