import { randomUUID, sign, type KeyObject } from 'node:crypto';
import { Client } from 'pg';
import { InternalClient } from '@union/common';
import type { RunningSystem } from '../testkit/system';

/** Helpers shared by the end-to-end suites (access.test.ts, access-production.test.ts, foundation.test.ts). */

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A JWT made by hand (jose is the gateway's dependency, not the tests'): EdDSA with `key`, or
 * an unsecured `alg: none` token without one. Defaults are a valid-looking partner access token.
 */
export function handMadeJwt(claims: Record<string, unknown>, options: { key?: KeyObject; header?: Record<string, unknown> } = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: options.key ? 'EdDSA' : 'none', typ: 'at+jwt', ...options.header };
  const payload = { iss: 'union-benefits-gateway', aud: 'union-benefits-api', jti: randomUUID(), iat: now, exp: now + 300, ...claims };
  const signingInput = `${base64url(header)}.${base64url(payload)}`;
  const signature = options.key ? sign(null, Buffer.from(signingInput), options.key).toString('base64url') : '';
  return `${signingInput}.${signature}`;
}

export const SUBGRAPHS = ['member', 'benefit', 'points'] as const;
export type SubgraphName = (typeof SUBGRAPHS)[number];

/** SQL statements each subgraph has run so far (their /internal/statement-count route). */
export async function statementCounts(system: RunningSystem): Promise<Record<SubgraphName, number>> {
  const entries = await Promise.all(
    SUBGRAPHS.map(async (name) => {
      const client = new InternalClient(system.subgraphUrls[name], 'test', system.secrets.INTERNAL_SECRET);
      return [name, (await client.call<{ count: number }>('statement-count', {})).count] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<SubgraphName, number>;
}

/** Runs `work` and answers how many statements each subgraph ran meanwhile. */
export async function statementsDuring(system: RunningSystem, work: () => Promise<unknown>): Promise<Record<SubgraphName, number>> {
  const before = await statementCounts(system);
  await work();
  const after = await statementCounts(system);
  return Object.fromEntries(SUBGRAPHS.map((name) => [name, after[name] - before[name]])) as Record<SubgraphName, number>;
}

/** One SQL statement against the system's database (assertions and operator actions). */
export async function sql<T = Record<string, unknown>>(system: RunningSystem, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: system.databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes; answers the time it took. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

/** POST a raw body to the gateway's /graphql. */
export async function postRaw(system: RunningSystem, token: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const response = await fetch(system.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body,
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: () => JSON.parse(text) as { errors?: Array<{ message: string; extensions?: Record<string, unknown> }> },
  };
}
