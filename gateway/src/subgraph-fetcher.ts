import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { type BatchedAnswer, encodeSubgraphBatch, REQUEST_ID_HEADER, SUBGRAPH_BATCH_MAX_OPERATIONS, SUBGRAPH_BATCH_PATH } from '@union/common';

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

/** One operation's answer out of a batch, its body already parsed (from its own line). */
class BatchedResponse implements FetcherResponse {
  readonly bodyUsed = false;
  readonly redirected = false;
  readonly statusText = '';
  readonly ok: boolean;
  readonly headers: FetcherHeaders;

  constructor(
    readonly url: string,
    readonly status: number,
    retryAfter: string | undefined,
    private readonly body: unknown,
  ) {
    this.ok = status >= 200 && status < 300;
    const headers: Array<[string, string]> = [['content-type', 'application/json; charset=utf-8']];
    if (retryAfter !== undefined) headers.push(['retry-after', retryAfter]);
    this.headers = new ResponseHeaders(headers);
  }

  async json(): Promise<unknown> {
    return this.body;
  }

  async text(): Promise<string> {
    return JSON.stringify(this.body);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return new TextEncoder().encode(JSON.stringify(this.body)).buffer as ArrayBuffer;
  }

  /** A copy that shares nothing: whoever reads it may change what it parsed (the access report is taken out). */
  clone(): FetcherResponse {
    return new BufferedResponse(this.url, this.status, this.statusText, new ResponseHeaders(this.headers), Buffer.from(JSON.stringify(this.body)));
  }
}

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

/** A fetch waiting for the end of the turn, to go out in its subgraph's batch. */
interface QueuedFetch {
  url: string;
  init: Parameters<Fetcher>[1] & object;
  token: string;
  resolve(response: FetcherResponse): void;
  reject(error: unknown): void;
}

/**
 * The operations of a batch, answered from its answer's lines as each arrives; an answer that ends
 * (or fails) before every line came fails the operations still waiting.
 */
function settleFromLines(queued: readonly QueuedFetch[], response: IncomingMessage): void {
  const settled = new Array<boolean>(queued.length).fill(false);
  let rest = '';
  const failRest = (error: unknown) => {
    queued.forEach((fetch, i) => {
      if (!settled[i]) fetch.reject(error);
      settled[i] = true;
    });
  };
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      let answer: BatchedAnswer;
      try {
        answer = JSON.parse(line) as BatchedAnswer;
      } catch (error) {
        response.destroy(error as Error);
        return;
      }
      const fetch = queued[answer.i];
      if (!fetch || settled[answer.i]) continue;
      settled[answer.i] = true;
      fetch.resolve(new BatchedResponse(fetch.url, answer.status, answer.retryAfter, answer.body));
    }
  });
  response.once('error', failRest);
  response.once('end', () => failRest(new Error(`subgraph batch answer from ${queued[0]!.url} ended before every operation was answered`)));
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
export function keepAliveSubgraphFetcher(
  options: {
    maxSockets?: number;
    timeoutMs?: number;
    dedupeByHeader?: string;
    /** Send the fetches of one turn to one subgraph as one batch (subgraph-batch.ts); names the header with each caller's token. */
    batchByHeader?: string;
  } = {},
): SubgraphFetcher {
  const maxSockets = options.maxSockets ?? 256;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets }),
    https: new HttpsAgent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets }),
  };

  /** One request to a subgraph over the kept-alive agents, cut after timeoutMs; `fail` hears of any error. */
  const requestTo = (
    target: URL,
    init: { method: string; headers?: unknown; body?: unknown },
    onResponse: (response: IncomingMessage) => void,
    fail: (error: unknown) => void,
  ) => {
    const secure = target.protocol === 'https:';
    const request = (secure ? httpsRequest : httpRequest)(
      target,
      { method: init.method, headers: init.headers as Record<string, string>, agent: secure ? agents.https : agents.http },
      onResponse,
    );
    request.setTimeout(timeoutMs, () => request.destroy(new Error(`subgraph request to ${target.href} timed out after ${timeoutMs} ms`)));
    request.once('error', fail);
    request.end(init.body as string | undefined);
  };

  const send: Fetcher = (url, init = {}) =>
    new Promise<FetcherResponse>((resolve, reject) => {
      const onResponse = (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('error', reject);
        response.once('end', () =>
          resolve(
            new BufferedResponse(url, response.statusCode ?? 0, response.statusMessage ?? '', new ResponseHeaders(response.headers), Buffer.concat(chunks)),
          ),
        );
      };
      requestTo(new URL(url), { ...init, method: init.method ?? 'GET' }, onResponse, reject);
    });

  /** One batch of operations to one subgraph (each had its own fetch); a subgraph that knows no batches gets them one by one. */
  const sendBatch = (queued: QueuedFetch[]) => {
    const first = queued[0]!;
    const target = new URL(SUBGRAPH_BATCH_PATH, first.url);
    const body = encodeSubgraphBatch(
      queued.map(({ init, token }) => {
        const requestId = (init.headers as Record<string, unknown>)[REQUEST_ID_HEADER];
        return { token, requestId: typeof requestId === 'string' ? requestId : undefined, body: init.body as string };
      }),
    );
    const failAll = (error: unknown) => queued.forEach((fetch) => fetch.reject(error));
    const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
    const onResponse = (response: IncomingMessage) => {
      if (response.statusCode === 200) return settleFromLines(queued, response);
      response.resume();
      if (response.statusCode === 404) {
        for (const fetch of queued) send(fetch.url, fetch.init).then(fetch.resolve, fetch.reject);
        return;
      }
      failAll(new Error(`subgraph batch to ${target.href} answered HTTP ${response.statusCode}`));
    };
    requestTo(target, { method: 'POST', headers, body }, onResponse, failAll);
  };

  /** The fetches of this turn, per subgraph, sent when the turn ends: alone as before, or several in batches. */
  const queues = new Map<string, QueuedFetch[]>();
  const flush = () => {
    const batches = [...queues.values()];
    queues.clear();
    for (const queued of batches) {
      if (queued.length === 1) {
        const [fetch] = queued;
        send(fetch!.url, fetch!.init).then(fetch!.resolve, fetch!.reject);
        continue;
      }
      for (let start = 0; start < queued.length; start += SUBGRAPH_BATCH_MAX_OPERATIONS) sendBatch(queued.slice(start, start + SUBGRAPH_BATCH_MAX_OPERATIONS));
    }
  };
  const batchHeader = options.batchByHeader;
  const sendInTurn: Fetcher = (url, init = {}) => {
    const token = batchHeader ? (init.headers as Record<string, unknown> | undefined)?.[batchHeader] : undefined;
    if (typeof token !== 'string' || init.method !== 'POST' || typeof init.body !== 'string') return send(url, init);
    return new Promise<FetcherResponse>((resolve, reject) => {
      if (queues.size === 0) setImmediate(flush);
      let queued = queues.get(url);
      if (!queued) queues.set(url, (queued = []));
      queued.push({ url, init, token, resolve, reject });
    });
  };

  /**
   * Identical reads in flight share one subgraph fetch (what Hive Gateway does too): a hot member
   * read by many callers at once costs the subgraph one request. Each waiter gets its own copy of
   * the answer, so each request still takes the subgraph's access report into its own records.
   */
  const inFlight = new Map<string, Promise<FetcherResponse>>();
  const fetch: Fetcher = (url, init = {}) => {
    const key = options.dedupeByHeader ? dedupeKeyOf(url, init, options.dedupeByHeader) : null;
    if (key === null) return sendInTurn(url, init);
    const pending = inFlight.get(key);
    if (pending) return pending.then((response) => response.clone());
    const sent = sendInTurn(url, init).finally(() => inFlight.delete(key));
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
