import { BodyTooLargeError, parseJsonBody, readBody } from '@union/common';
import { graphQLRefusal, type GraphQLExchange, type Refusal, type RequestedOperation } from './exchange';

/** The operation a GraphQL request carries, as Apollo will read it (GET parameters or a JSON body). */
export function requestedOperation(method: string, url: URL, body: unknown): RequestedOperation {
  if (method === 'GET') {
    let variables: unknown;
    try {
      variables = JSON.parse(url.searchParams.get('variables') ?? 'null');
    } catch {
      variables = undefined;
    }
    return { query: url.searchParams.get('query') ?? undefined, operationName: url.searchParams.get('operationName') ?? undefined, variables };
  }
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
}

/**
 * Stage "read the request": the body, at most `maxBodyBytes` (413 past it, without buffering the
 * excess), parsed as JSON; one operation per request (no batches).
 */
export async function readGraphQLRequest(exchange: GraphQLExchange, options: { maxBodyBytes: number }): Promise<Refusal | void> {
  let raw: string;
  try {
    raw = await readBody(exchange.req, options.maxBodyBytes);
  } catch (error) {
    if (error instanceof BodyTooLargeError) return graphQLRefusal(413, 'QUERY_TOO_COMPLEX', error.message);
    throw error;
  }
  let body: unknown;
  try {
    body = parseJsonBody(raw, exchange.req.headers['content-type']);
  } catch {
    return graphQLRefusal(400, 'BAD_USER_INPUT', 'request body is not valid JSON');
  }
  if (Array.isArray(body)) return graphQLRefusal(400, 'BAD_USER_INPUT', 'batched requests are not supported; send one operation per request');
  exchange.body = body;
  exchange.operation = requestedOperation(exchange.req.method ?? 'POST', exchange.url, body);
}
