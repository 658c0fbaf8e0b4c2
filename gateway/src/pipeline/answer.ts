import type { ServerResponse } from 'node:http';
import { sendApolloResponse, sendJson } from '@union/common';
import { setRateLimitHeaders } from '../rate-limit';
import type { GraphQLExchange, Refusal } from './exchange';

/** The contract code of a refusal's first error (for logs and metrics). */
export function refusalCode(refusal: Refusal): string {
  const errors = (refusal.body as { errors?: Array<{ extensions?: { code?: unknown } }> } | null)?.errors;
  return String(errors?.[0]?.extensions?.code ?? 'OK');
}

/**
 * Stage "answer": the refusal of whichever stage stopped the request, or Apollo's answer. The
 * request id header was set when the request arrived (router.ts), so every answer carries it; an
 * authenticated caller's answer also carries what its budget has left (RateLimit-*).
 */
export async function answer(res: ServerResponse, exchange: GraphQLExchange): Promise<void> {
  if (exchange.budget) setRateLimitHeaders(res, exchange.budget);
  if (exchange.refusal) return sendJson(res, exchange.refusal.status, exchange.refusal.body, exchange.refusal.headers);
  if (!exchange.response) throw new Error('answer: nothing to answer with');
  await sendApolloResponse(res, exchange.response);
}
