import { Agent } from 'node:http';
import { postBody, type PostedAnswer } from './http';
import { REQUEST_ID_HEADER } from './logging';
import { ServiceUnavailableError } from './availability';
import { INTERNAL_TOKEN_HEADER, serviceCaller, signInternalToken } from './principal';

/** An internal call that has not answered within this is treated as the other service being unavailable. */
const INTERNAL_CALL_TIMEOUT_MS = 10_000;
/** Lifetime of the caller's internal token, and how long one is reused (a call in flight never holds an expired one). */
const INTERNAL_TOKEN_TTL_S = 30;
const INTERNAL_TOKEN_REUSE_MS = 15_000;

/**
 * Connections to the other services, kept open between calls (global fetch cost a claim about
 * 0.3 ms of the caller's CPU). An idle one is closed here after 30 s, before the callee's 65 s
 * keep-alive ends it, so a call rarely meets a connection the callee is closing.
 */
const internalAgent = new Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64, timeout: 30_000 });

/**
 * Sends a call, and once more on a new connection when the kept-alive one it went out on turns out
 * to have been closed by the callee meanwhile (every internal route reads, or acknowledges what
 * may be acknowledged twice).
 */
async function postInternal(url: string, headers: Record<string, string>, body: string): Promise<PostedAnswer> {
  const options = { agent: internalAgent, timeoutMs: INTERNAL_CALL_TIMEOUT_MS };
  try {
    return await postBody(url, headers, body, options);
  } catch (error) {
    if (!(error as { reusedSocket?: boolean }).reusedSocket || (error as NodeJS.ErrnoException).code !== 'ECONNRESET') throw error;
    return postBody(url, headers, body, options);
  }
}

/**
 * Calls another subgraph's /internal/<route> as a service. Subgraphs never read each other's
 * tables; when one needs another's facts (is this member active, which unions is it under) it asks
 * the owner over HTTP, through the typed client of that contract (member-directory.ts).
 */
export class InternalClient {
  constructor(
    private readonly baseUrl: string,
    private readonly caller: string,
    private readonly secret: string,
    /** The request this client's calls are made for (a client built per request); see call(). */
    private readonly requestId?: string,
  ) {}

  /** The signed internal token, reused while it has well over a request's time left. */
  private token?: { value: string; renewAt: number };

  private async callerToken(): Promise<string> {
    const now = Date.now();
    if (this.token && now < this.token.renewAt) return this.token.value;
    const value = await signInternalToken(serviceCaller(this.caller), this.secret, INTERNAL_TOKEN_TTL_S);
    this.token = { value, renewAt: now + INTERNAL_TOKEN_REUSE_MS };
    return value;
  }

  /** The callee as operators know it: the host and port of its URL. */
  private serviceName(): string {
    try {
      return new URL(this.baseUrl).host;
    } catch {
      return this.baseUrl;
    }
  }

  /** POSTs `body` to /internal/<route>; `requestId` (else the client's) travels on as x-request-id into the callee's log line. */
  async call<T>(route: string, body: unknown, requestId = this.requestId): Promise<T> {
    const token = await this.callerToken();
    const url = `${this.baseUrl.replace(/\/graphql$/, '')}/internal/${route}`;
    let response: PostedAnswer;
    try {
      response = await postInternal(
        url,
        { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: token, ...(requestId ? { [REQUEST_ID_HEADER]: requestId } : {}) },
        JSON.stringify(body),
      );
    } catch (error) {
      // Refused, reset or timed out: the other service is down or restarting, not broken.
      throw new ServiceUnavailableError(this.serviceName(), `${route}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    if (response.status === 502 || response.status === 503 || response.status === 504) {
      throw new ServiceUnavailableError(this.serviceName(), `${route} answered HTTP ${response.status}`);
    }
    if (response.status < 200 || response.status >= 300) throw new Error(`internal call ${route} failed with HTTP ${response.status}`);
    return JSON.parse(response.text) as T;
  }
}
