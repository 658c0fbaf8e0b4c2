import { Agent, request as httpRequest } from 'node:http';
import { REQUEST_ID_HEADER } from './logging';
import { ServiceUnavailableError } from './availability';
import { INTERNAL_TOKEN_HEADER, serviceCaller, signInternalToken } from './principal';

/** An internal call that has not answered within this is treated as the other service being unavailable. */
const INTERNAL_CALL_TIMEOUT_MS = 10_000;
/** Lifetime of the caller's internal token, and how long one is reused (a call in flight never holds an expired one). */
const INTERNAL_TOKEN_TTL_S = 30;
const INTERNAL_TOKEN_REUSE_MS = 15_000;

/**
 * Connections to the other services, kept open between calls. Node's global fetch cost a claim
 * about 0.3 ms of the caller's CPU in its stream machinery; these calls are small JSON bodies to a
 * service next door, which plain node:http carries for a fraction of that.
 */
// An idle connection is closed here after 30 s, before the callee's 65 s keep-alive ends it, so a
// call rarely meets a connection the callee is closing.
const internalAgent = new Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64, timeout: 30_000 });

/**
 * POSTs a JSON body and reads the whole answer; refused, reset or timed-out calls reject. A call
 * whose kept-alive connection turns out to have been closed by the callee meanwhile is sent once
 * more on a new one (every internal route reads, or acknowledges what may be acknowledged twice).
 */
async function postJson(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  try {
    return await postJsonOnce(url, headers, body, timeoutMs);
  } catch (error) {
    if (!(error as { reusedSocket?: boolean }).reusedSocket || (error as NodeJS.ErrnoException).code !== 'ECONNRESET') throw error;
    return postJsonOnce(url, headers, body, timeoutMs);
  }
}

function postJsonOnce(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method: 'POST', agent: internalAgent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('error', reject);
        response.once('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.once('error', (error) => reject(Object.assign(error, { reusedSocket: request.reusedSocket })));
    request.end(body);
  });
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
    let response: { status: number; text: string };
    try {
      response = await postJson(
        url,
        { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: token, ...(requestId ? { [REQUEST_ID_HEADER]: requestId } : {}) },
        JSON.stringify(body),
        INTERNAL_CALL_TIMEOUT_MS,
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
