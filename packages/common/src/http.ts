import { request as httpRequest, type Agent, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { HeaderMap, type HTTPGraphQLResponse } from '@apollo/server';
import { StartupError } from './db';

export class BodyTooLargeError extends Error {}

/**
 * Reads a request body, refusing more than `limit` bytes without buffering the excess (the
 * request is then destroyed: nothing more of it is read). Listens for the stream's events rather
 * than iterating it: an async iterator per request, with its end-of-stream watch, cost the
 * gateway about 2 % of its CPU for bodies that come in one chunk.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const tooLarge = () => new BodyTooLargeError(`request body over ${limit} bytes`);
  const closedEarly = () => new Error('the request was closed before its body ended');
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(tooLarge());
  if (req.readableEnded) return Promise.resolve('');
  if (req.destroyed) return Promise.reject(closedEarly());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (error: Error | null) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (error) reject(error);
      else resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      settle(tooLarge());
      req.destroy();
    };
    const onEnd = () => settle(null);
    const onError = (error: Error) => settle(error);
    const onClose = () => settle(closedEarly());
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

/** A GraphQL-shaped error body for failures that happen before GraphQL execution. */
export const graphQLErrorBody = (code: string, message: string) => ({ errors: [{ message, extensions: { code } }] });

/** A GraphQL-shaped error response for failures that happen before GraphQL execution. */
export function sendGraphQLError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, graphQLErrorBody(code, message), headers);
}

export function headerMap(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

export function parseJsonBody(raw: string, contentType: string | undefined): unknown {
  if (raw === '') return undefined;
  if (contentType && !contentType.includes('json')) return raw;
  return JSON.parse(raw);
}

/** Listens, turning "port in use" into one clear line instead of an unhandled error event. */
export function listen(server: Server, port: number, host: string, service: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new StartupError(`${service}: port ${port} on ${host} is already in use; stop the other process or set another port`)
          : error,
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** Writes Apollo Server's answer (complete or incremental) to a Node response. */
export async function sendApolloResponse(res: ServerResponse, response: HTTPGraphQLResponse, extraHeaders: Record<string, string> = {}): Promise<void> {
  for (const [key, value] of response.headers) res.setHeader(key, value);
  for (const [key, value] of Object.entries(extraHeaders)) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

/**
 * An upload route takes the body it has decided to read: a caller that sent `Expect: 100-continue`
 * is told to send it now. A route that refuses first answers without reading, and such a caller
 * never sends the body at all; without the handshake a refused upload is cut mid-send, and the
 * reset can reach the caller before the answer does.
 */
export function acceptUpload(req: IncomingMessage, res: ServerResponse): void {
  if (String(req.headers.expect ?? '').toLowerCase() === '100-continue' && !res.headersSent) res.writeContinue();
}

/** What postBody answers: the status and the whole body as text. */
export interface PostedAnswer {
  status: number;
  text: string;
}

/**
 * POSTs a small body over node:http on the given (kept-alive) agent and reads the whole answer.
 * Between our own processes this costs a fraction of what global fetch's stream machinery does.
 * A refused, reset or timed-out request rejects with the socket's error, which carries
 * `reusedSocket` (the connection was a kept-alive one the other side may have closed meanwhile).
 */
export function postBody(url: string, headers: Record<string, string>, body: string, options: { agent: Agent; timeoutMs?: number }): Promise<PostedAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method: 'POST', agent: options.agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('error', reject);
        response.once('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    if (options.timeoutMs !== undefined) {
      const timeoutMs = options.timeoutMs;
      request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    }
    request.once('error', (error) => reject(Object.assign(error, { reusedSocket: request.reusedSocket })));
    request.end(body);
  });
}
