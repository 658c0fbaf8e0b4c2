/**
 * A GraphQL document string that carries its result and variables types, so that
 * `client.request(EnrollMemberDocument, variables)` is checked by the compiler.
 */
export type TypedDocument<TResult, TVariables> = string & { readonly __result?: TResult; readonly __variables?: TVariables };

/** Anything that can send an operation: UnionApiClient, or a test double. */
export interface GraphQLRequester {
  request<TResult, TVariables>(document: TypedDocument<TResult, TVariables>, variables: TVariables): Promise<TResult>;
}

/** One error of a GraphQL answer; `extensions.code` is one of the contract's error codes. */
export interface ApiErrorEntry {
  message: string;
  path?: Array<string | number>;
  extensions?: { code?: string; [key: string]: unknown };
}

/**
 * A failed call: `code` is the first error's contract code (FORBIDDEN, BAD_USER_INPUT,
 * ALREADY_MEMBER, RATE_LIMITED ...), `errors` all of them, `status` the HTTP status.
 */
export class UnionApiError extends Error {
  override name = 'UnionApiError';
  readonly code: string;

  constructor(
    readonly status: number,
    readonly errors: ApiErrorEntry[],
    /** Seconds to wait before retrying (RATE_LIMITED: the Retry-After header). */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; ') || `HTTP ${status}`);
    this.code = errors[0]?.extensions?.code ?? (status === 401 ? 'UNAUTHENTICATED' : 'INTERNAL_SERVER_ERROR');
  }
}
