import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BodyTooLargeError, readBody } from '@union/common';

/** A real server whose handler reads each request's body with readBody and answers what it got. */
let server: Server;
let port: number;
const outcomes: Array<string | Error> = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    readBody(req, 1024).then(
      (body) => {
        outcomes.push(body);
        res.end(`read ${Buffer.byteLength(body)} bytes`);
      },
      (error: Error) => {
        outcomes.push(error);
        if (!res.destroyed) res.end('refused');
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Sends a body in the given pieces (chunked, no content-length unless given), a pause between them. */
function send(pieces: Array<string | Buffer>, headers: Record<string, string> = {}, cutAfter?: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk));
      res.on('end', () => resolve(text));
    });
    req.on('error', (error) => resolve(`error: ${error.message}`));
    void (async () => {
      for (const [i, piece] of pieces.entries()) {
        req.write(piece);
        await new Promise((r) => setTimeout(r, 20));
        if (cutAfter === i) return req.destroy();
      }
      req.end();
    })().catch(reject);
  });
}

const lastOutcome = async () => {
  for (let i = 0; i < 50 && outcomes.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  return outcomes.pop();
};

describe('readBody', () => {
  beforeEach(() => (outcomes.length = 0));

  it('joins a body that comes in pieces, multi-byte characters cut between them included', async () => {
    const text = '会员卡'.repeat(50);
    const bytes = Buffer.from(text);
    expect(await send([bytes.subarray(0, 7), bytes.subarray(7, 200), bytes.subarray(200)])).toBe(`read ${bytes.length} bytes`);
    expect(await lastOutcome()).toBe(text);
  });

  it('reads an empty body as an empty string', async () => {
    expect(await send([])).toBe('read 0 bytes');
    expect(await lastOutcome()).toBe('');
  });

  it('refuses a declared length over the limit before reading anything', async () => {
    expect(await send(['x'.repeat(10)], { 'content-length': '2048' }, 0)).toMatch(/refused|error/);
    expect(await lastOutcome()).toBeInstanceOf(BodyTooLargeError);
  });

  it('refuses a body that grows over the limit without a declared length, and stops reading it', async () => {
    const answer = await send(['x'.repeat(600), 'y'.repeat(600), 'z'.repeat(600)]);
    expect(answer).toMatch(/refused|error/);
    expect(await lastOutcome()).toBeInstanceOf(BodyTooLargeError);
  });

  it('fails when the client goes away before the body ends', async () => {
    await send(['x'.repeat(100), 'y'.repeat(100)], {}, 0);
    const outcome = await lastOutcome();
    expect(typeof outcome).toBe('object');
    expect((outcome as Error).message).toMatch(/closed before its body ended|aborted/);
  });
});
