import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherResponse = Awaited<ReturnType<Fetcher>>;

/** A subgraph answer, read whole (subgraph answers are JSON documents of bounded size). */
class BufferedResponse implements FetcherResponse {
  readonly bodyUsed = false;
  readonly redirected = false;
  readonly ok: boolean;

  constructor(
    readonly url: string,
    readonly status: number,
    readonly statusText: string,
    readonly headers: FetcherHeaders,
    private readonly body: Buffer,
  ) {
    this.ok = status >= 200 && status < 300;
  }

  async text(): Promise<string> {
    return this.body.toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.body.toString('utf8'));
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return this.body.buffer.slice(this.body.byteOffset, this.body.byteOffset + this.body.byteLength) as ArrayBuffer;
  }

  clone(): FetcherResponse {
    return new BufferedResponse(this.url, this.status, this.statusText, new ResponseHeaders(this.headers), this.body);
  }
}

type FetcherHeaders = FetcherResponse['headers'];

/**
 * A subgraph answer's headers as Node parsed them (names lower-cased, repeated ones joined), behind
 * the small interface Apollo reads them through (the content type, cache-control). Building a
 * WHATWG Headers object for every answer cost more than all of that reading.
 */
class ResponseHeaders implements FetcherHeaders {
  private readonly byName: Map<string, string>;

  constructor(headers: IncomingMessage['headers'] | Iterable<[string, string]>) {
    this.byName = new Map();
    const entries = Symbol.iterator in headers ? (headers as Iterable<[string, string]>) : Object.entries(headers);
    for (const [name, value] of entries) {
      if (value === undefined) continue;
      this.byName.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : String(value));
    }
  }

  get(name: string): string | null {
    return this.byName.get(name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.byName.has(name.toLowerCase());
  }
  set(name: string, value: string): void {
    this.byName.set(name.toLowerCase(), value);
  }
  append(name: string, value: string): void {
    const current = this.get(name);
    this.set(name, current === null ? value : `${current}, ${value}`);
  }
  delete(name: string): void {
    this.byName.delete(name.toLowerCase());
  }
  entries(): IterableIterator<[string, string]> {
    return this.byName.entries();
  }
  keys(): IterableIterator<string> {
    return this.byName.keys();
  }
  values(): IterableIterator<string> {
    return this.byName.values();
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.byName.entries();
  }
}

/**
 * What makes two subgraph fetches the same request, or null when they must both go: only reads
 * (a mutation always runs once per request), and only for the same subgraph, the same caller (the
 * internal token names the principal) and the same body. The request id is left out: the second
 * request is answered by the first's fetch, whose request id the subgraph logs.
 */
export function dedupeKeyOf(url: string, init: { method?: string; headers?: unknown; body?: unknown }, tokenHeader: string): string | null {
  if ((init.method ?? 'GET') !== 'POST' || typeof init.body !== 'string') return null;
  // Apollo Gateway serializes { query, variables, operationName }: the operation's keyword comes first.
  if (!/^\{"query":"(query\b|\{)/.test(init.body)) return null;
  const headers = init.headers as Record<string, string | string[] | undefined> | undefined;
  const token = headers?.[tokenHeader];
  if (typeof token !== 'string') return null;
  return `${url}\n${token}\n${init.body}`;
}

export interface SubgraphFetcher {
  fetch: Fetcher;
  /** Closes the idle keep-alive connections (on gateway stop). */
  close(): void;
}

/**
 * The gateway's HTTP client for subgraph fetches: plain node:http over keep-alive agents.
 *
 * @apollo/gateway's default (make-fetch-happen) also keeps connections alive, but it is built for
 * npm's registry traffic (HTTP cache semantics, retries, proxy agents) and spent about a third of
 * the gateway's CPU per request in our benchmark, much of it in agent-base building an Error per
 * request to read its stack. None of that is wanted between the gateway and its own subgraphs.
 */
export function keepAliveSubgraphFetcher(options: { maxSockets?: number; timeoutMs?: number; dedupeByHeader?: string } = {}): SubgraphFetcher {
  const maxSockets = options.maxSockets ?? 256;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets }),
    https: new HttpsAgent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets }),
  };

  const send: Fetcher = (url, init = {}) =>
    new Promise<FetcherResponse>((resolve, reject) => {
      const target = new URL(url);
      const secure = target.protocol === 'https:';
      const send = secure ? httpsRequest : httpRequest;
      const request = send(target, { method: init.method ?? 'GET', headers: init.headers, agent: secure ? agents.https : agents.http }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('error', reject);
        response.once('end', () =>
          resolve(
            new BufferedResponse(url, response.statusCode ?? 0, response.statusMessage ?? '', new ResponseHeaders(response.headers), Buffer.concat(chunks)),
          ),
        );
      });
      request.setTimeout(timeoutMs, () => request.destroy(new Error(`subgraph request to ${url} timed out after ${timeoutMs} ms`)));
      request.once('error', reject);
      request.end(init.body);
    });

  /**
   * Identical reads in flight share one subgraph fetch (what Hive Gateway does too): a hot member
   * read by many callers at once costs the subgraph one request. Each waiter gets its own copy of
   * the answer, so each request still takes the subgraph's access report into its own records.
   */
  const inFlight = new Map<string, Promise<FetcherResponse>>();
  const fetch: Fetcher = (url, init = {}) => {
    const key = options.dedupeByHeader ? dedupeKeyOf(url, init, options.dedupeByHeader) : null;
    if (key === null) return send(url, init);
    const pending = inFlight.get(key);
    if (pending) return pending.then((response) => response.clone());
    const sent = send(url, init).finally(() => inFlight.delete(key));
    inFlight.set(key, sent);
    return sent;
  };

  return {
    fetch,
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
