import { type ApiErrorEntry, type GraphQLRequester, type TypedDocument, UnionApiError } from './runtime';

export interface ClientCredentials {
  /** e.g. https://api.example.org/graphql (demo: http://localhost:4000/graphql) */
  gatewayUrl: string;
  /** e.g. https://api.example.org/oauth/token */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Ask for fewer scopes than the partner holds (space-separated), e.g. "member:read member:export". */
  scope?: string;
}

interface TokenAnswer {
  access_token?: string;
  expires_in?: number;
  error?: string;
  error_description?: string;
}

/** Filters of a member export: the same as MemberFilter of `organization.members`. */
export interface MemberExportParams {
  organizationId: string;
  format?: 'csv' | 'ndjson';
  status?: 'ACTIVE' | 'SUSPENDED' | 'TRANSFERRED_OUT' | 'LAPSED';
  realNameVerified?: boolean;
  newEmploymentForm?: boolean;
  /** YYYY-MM-DD, Asia/Shanghai */
  joinedFrom?: string;
  joinedTo?: string;
  /** Exact card number, or (with member:pii) a name prefix. */
  search?: string;
}

export interface MemberExport {
  exportId: string | null;
  /** True when personal data is masked (the token has no member:pii). */
  masked: boolean;
  /** The file, line by line as it streams in (CSV: the header first). Read it once. */
  lines: AsyncIterable<string>;
}

/**
 * The gateway, for one partner: gets access tokens with the client-credentials grant (cached
 * until shortly before they expire), sends operations, turns GraphQL errors into UnionApiError.
 */
export class UnionApiClient implements GraphQLRequester {
  private token: { value: string; renewAt: number } | null = null;

  constructor(
    private readonly credentials: ClientCredentials | { gatewayUrl: string; accessToken: string },
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** The gateway's base URL (where /oauth/token and /exports/members live). */
  get baseUrl(): string {
    return this.credentials.gatewayUrl.replace(/\/graphql\/?$/, '');
  }

  async accessToken(): Promise<string> {
    if ('accessToken' in this.credentials) return this.credentials.accessToken;
    if (this.token && Date.now() < this.token.renewAt) return this.token.value;
    const answer = await this.tokenRequest({ grant_type: 'client_credentials', ...(this.credentials.scope ? { scope: this.credentials.scope } : {}) });
    this.token = { value: answer.access_token!, renewAt: Date.now() + Math.max(0, (answer.expires_in ?? 60) - 30) * 1000 };
    return this.token.value;
  }

  /**
   * PLATFORM partners (member:act-as): a client acting as one member, as the member app does
   * (RFC 8693 token exchange). MEMBER tokens are short-lived; ask again when one expires.
   */
  async forMember(memberId: string): Promise<UnionApiClient> {
    const answer = await this.tokenRequest({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: memberId,
      subject_token_type: 'urn:union-benefits:params:oauth:token-type:member-id',
    });
    return new UnionApiClient({ gatewayUrl: this.credentials.gatewayUrl, accessToken: answer.access_token! }, this.fetchImpl);
  }

  async request<TResult, TVariables>(document: TypedDocument<TResult, TVariables>, variables: TVariables): Promise<TResult> {
    const response = await this.fetchImpl(this.credentials.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await this.accessToken()}` },
      body: JSON.stringify({ query: document, variables }),
    });
    const body = (await response.json().catch(() => ({}))) as { data?: TResult | null; errors?: ApiErrorEntry[] };
    if (body.errors?.length || !body.data) throw new UnionApiError(response.status, body.errors ?? [], retryAfter(response));
    return body.data;
  }

  /**
   * GET /exports/members (scope member:export): streamed, so a file of a million members never
   * sits in memory on either side. Errors (bad filter, another union's subtree) throw before the
   * first line; a connection cut half-way makes the iteration throw, never end quietly.
   */
  async exportMembers(params: MemberExportParams): Promise<MemberExport> {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, String(value));
    const response = await this.fetchImpl(`${this.baseUrl}/exports/members?${query}`, { headers: { authorization: `Bearer ${await this.accessToken()}` } });
    if (!response.ok || !response.body) {
      const body = (await response.json().catch(() => ({}))) as { errors?: ApiErrorEntry[] };
      throw new UnionApiError(response.status, body.errors ?? [], retryAfter(response));
    }
    return { exportId: response.headers.get('x-export-id'), masked: response.headers.get('x-export-masked') !== 'false', lines: linesOf(response.body) };
  }

  private async tokenRequest(params: Record<string, string>): Promise<TokenAnswer> {
    if ('accessToken' in this.credentials) throw new Error('this client holds a fixed access token and cannot request others');
    const { clientId, clientSecret, tokenUrl } = this.credentials;
    const response = await this.fetchImpl(tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
      },
      body: new URLSearchParams(params).toString(),
    });
    const answer = (await response.json().catch(() => ({}))) as TokenAnswer;
    if (!response.ok || !answer.access_token) {
      throw new UnionApiError(response.status, [
        { message: answer.error_description ?? answer.error ?? 'token request failed', extensions: { code: 'UNAUTHENTICATED' } },
      ]);
    }
    return answer;
  }
}

function retryAfter(response: Response): number | null {
  const value = response.headers.get('retry-after');
  return value === null ? null : Number(value);
}

async function* linesOf(body: ReadableStream<Uint8Array>): AsyncIterable<string> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    pending += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = pending.indexOf('\n')) >= 0) {
      yield pending.slice(0, end).replace(/\r$/, '');
      pending = pending.slice(end + 1);
    }
  }
  pending += decoder.decode();
  if (pending) yield pending;
}
