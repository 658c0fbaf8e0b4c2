import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { guardedLookup } from './webhook.url-safety';

/** Enough of a receiver's answer to show in a delivery record; the rest is never read. */
const MAX_RESPONSE_BYTES = 16 * 1024;

export interface SendResult {
  ok: boolean;
  status: number | null;
  error: string | null;
}

/**
 * POSTs one delivery. A 2xx within `timeoutMs` (connection, upload and answer together) is success;
 * redirects are not followed (a 3xx is a failure); at most MAX_RESPONSE_BYTES of the answer are read.
 * In production the connection goes only to public addresses, checked as it connects.
 */
export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: { timeoutMs: number; production: boolean },
): Promise<SendResult> {
  return new Promise((resolve) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const req = send(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'union-benefits-webhooks/1' },
        ...(options.production ? { lookup: guardedLookup } : {}),
        agent: false,
      },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_RESPONSE_BYTES) {
            res.destroy();
            finish({ ok: status >= 200 && status < 300, status, error: status >= 200 && status < 300 ? null : `HTTP ${status}` });
          }
        });
        res.on('end', () => finish({ ok: status >= 200 && status < 300, status, error: status >= 200 && status < 300 ? null : `HTTP ${status}` }));
        res.on('error', (error) => finish({ ok: false, status, error: error.message }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish({ ok: false, status: null, error: `no answer within ${options.timeoutMs} ms` });
    }, options.timeoutMs);
    req.on('error', (error) => finish({ ok: false, status: null, error: error.message }));
    req.end(body);
  });
}
