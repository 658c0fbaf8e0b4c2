import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Principal } from '@union/common';
import type { QueryLimits } from '../../../gateway/src/limits';
import type { GraphQLExchange } from '../../../gateway/src/pipeline';
import { readSupergraph, supergraphSchema } from '../../../gateway/src/supergraph';

export const SUPERGRAPH_SDL = readSupergraph(join(__dirname, '..', '..', '..', 'schema', 'supergraph.graphql'));
export const SUPERGRAPH_SCHEMA = supergraphSchema(SUPERGRAPH_SDL);

export const LIMITS: QueryLimits = {
  maxDocumentBytes: 32 * 1024,
  maxTokens: 10_000,
  maxDepth: 15,
  maxAliases: 50,
  maxRootFields: 20,
  maxCost: 5_000,
  mutationFieldCost: 10,
};

export const HOSPITAL: Principal = {
  kind: 'HOSPITAL',
  id: 'a0000000-0000-4000-8000-000000000001',
  name: 'hospital',
  scopes: ['member:verify', 'discount:apply', 'reconcile:read'],
};
export const UNION: Principal = {
  kind: 'UNION',
  id: 'a0000000-0000-4000-8000-000000000002',
  name: 'union',
  scopes: ['member:read', 'member:pii'],
  organizationId: 'o1',
};

/** A Node request as the HTTP server hands it over: a readable body with method, URL and headers. */
export function incomingRequest(options: { method?: string; url?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): IncomingMessage {
  const body = options.body === undefined ? [] : [Buffer.from(options.body)];
  return Object.assign(Readable.from(body), {
    method: options.method ?? 'POST',
    url: options.url ?? '/graphql',
    headers: { 'content-type': 'application/json', ...options.headers },
  }) as unknown as IncomingMessage;
}

export function exchangeFor(req: IncomingMessage, fields: Partial<GraphQLExchange> = {}): GraphQLExchange {
  return { req, url: new URL(req.url ?? '/', 'http://gateway'), requestId: 'req-1', startedAt: 0, ...fields };
}

export const errorsOf = (body: unknown) => (body as { errors: Array<{ message: string; extensions: Record<string, unknown> }> }).errors;
