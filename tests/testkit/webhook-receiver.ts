import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One delivery as a receiver got it, verified as a partner would with the standardwebhooks package. */
export interface ReceivedWebhook {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  payload: { type: string; timestamp: string; data: Record<string, unknown> };
  receivedAt: number;
}

/** What the receiver answers to a request: a status, or `hang` (never answers), decided per request. */
export type Behaviour = (request: { id: string; attempt: number }) => number | 'hang';

/**
 * A partner's webhook receiver on loopback. It verifies every request's signature with the
 * endpoint secret(s) it was given (standardwebhooks), keeps the verified deliveries, and answers
 * as `behaviour` says. It can be stopped and started again on the same port (a receiver that is down).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  readonly refused: string[] = [];
  private attempts = new Map<string, number>();
  private server: Server | null = null;
  private hanging = new Set<ServerResponse>();
  port = 0;
  secrets: string[] = [];
  behaviour: Behaviour = () => 204;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async start(port = this.port): Promise<this> {
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    const server = this.server;
    this.server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** Verified deliveries of one event id. */
  of(id: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.id === id);
  }

  /** Waits until `done` holds for the deliveries received so far. */
  async waitFor(done: (received: ReceivedWebhook[]) => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.received)) {
      if (Date.now() > deadline)
        throw new Error(`webhook receiver: condition not met within ${timeoutMs} ms; got ${this.received.length} deliveries (${this.refused.length} refused)`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': String(req.headers['webhook-id']),
        'webhook-timestamp': String(req.headers['webhook-timestamp']),
        'webhook-signature': String(req.headers['webhook-signature']),
      };
      const id = headers['webhook-id'];
      const attempt = (this.attempts.get(id) ?? 0) + 1;
      this.attempts.set(id, attempt);
      const answer = this.behaviour({ id, attempt });
      if (answer === 'hang') {
        this.hanging.add(res);
        res.on('close', () => this.hanging.delete(res));
        return;
      }
      if (answer >= 200 && answer < 300) {
        try {
          // Every secret the receiver holds must verify the request on its own (rotation: both signatures are there).
          for (const secret of this.secrets) new Webhook(secret).verify(body, headers);
        } catch (error) {
          this.refused.push(`${id}: ${(error as Error).message}`);
          res.writeHead(400).end();
          return;
        }
        this.received.push({
          id,
          timestamp: headers['webhook-timestamp'],
          signature: headers['webhook-signature'],
          body,
          payload: JSON.parse(body),
          receivedAt: Date.now(),
        });
      }
      res.writeHead(answer).end();
    });
  }
}
