/**
 * The gateway's batched subgraph fetches: the operations the gateway sends one subgraph in the same
 * turn of its event loop (one per partner request in flight) travel in one HTTP exchange. Each
 * operation keeps its own caller (internal token), request id, log line and answer; the subgraph
 * writes each answer as soon as it is ready, one line each, so a slow operation holds back no other.
 * What this saves is per exchange: a request and an answer to write, read and parse on both sides,
 * which on a busy machine costs more than a simple operation itself.
 */
export const SUBGRAPH_BATCH_PATH = '/graphql/batch';

/** The most operations one batch carries (the gateway opens another past it). */
export const SUBGRAPH_BATCH_MAX_OPERATIONS = 64;

/** The media type of a batch's answer: one JSON line per operation, in the order they finish. */
export const SUBGRAPH_BATCH_ANSWER_TYPE = 'application/x-ndjson; charset=utf-8';

/** One operation of a batch, as the gateway sends it. */
export interface BatchedOperation {
  /** The internal token naming the operation's caller (what INTERNAL_TOKEN_HEADER carries alone). */
  token: string;
  /** The partner request's id (REQUEST_ID_HEADER). */
  requestId?: string;
  /** The GraphQL request: query, variables, operationName. */
  operation: unknown;
}

/** One answer line: `i` is the operation's place in the batch; `status` and `retryAfter` are what its own HTTP answer would carry. */
export interface BatchedAnswer {
  i: number;
  status: number;
  retryAfter?: string;
  body: unknown;
}

/** A batch's body, checked: every element an object with a string token; null when it is not a batch. */
export function parseSubgraphBatch(raw: string): BatchedOperation[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > SUBGRAPH_BATCH_MAX_OPERATIONS) return null;
  for (const element of parsed) {
    if (typeof element !== 'object' || element === null) return null;
    const { token, requestId } = element as Record<string, unknown>;
    if (typeof token !== 'string' || (requestId !== undefined && typeof requestId !== 'string')) return null;
  }
  return parsed as BatchedOperation[];
}

/**
 * A batch's body from the operations' own JSON bodies, as they would have been POSTed alone (the
 * gateway has them as strings already: they are embedded, not parsed again).
 */
export function encodeSubgraphBatch(operations: ReadonlyArray<{ token: string; requestId?: string; body: string }>): string {
  const elements = operations.map(
    ({ token, requestId, body }) =>
      `{"token":${JSON.stringify(token)},${requestId === undefined ? '' : `"requestId":${JSON.stringify(requestId)},`}"operation":${body}}`,
  );
  return `[${elements.join(',')}]`;
}
