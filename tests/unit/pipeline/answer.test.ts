import { createServer, type Server } from 'node:http';
import { HeaderMap } from '@apollo/server';
import type { GraphQLExchange } from '../../../gateway/src/pipeline';
import { answer, refusalCode } from '../../../gateway/src/pipeline/answer';
import { graphQLRefusal } from '../../../gateway/src/pipeline/exchange';
import { exchangeFor, incomingRequest } from './support';

describe('stage answer', () => {
  let server: Server;
  let next: Partial<GraphQLExchange> = {};
  let base = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.setHeader('x-request-id', 'req-1');
      void answer(res, exchangeFor(incomingRequest(), next));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("writes a stage's refusal with its status and headers, and the request id set on arrival", async () => {
    next = { refusal: graphQLRefusal(429, 'RATE_LIMITED', 'slow down', { headers: { 'retry-after': '7' } }) };
    const res = await fetch(base);
    expect([res.status, res.headers.get('retry-after'), res.headers.get('x-request-id')]).toEqual([429, '7', 'req-1']);
    expect(await res.json()).toEqual({ errors: [{ message: 'slow down', extensions: { code: 'RATE_LIMITED' } }] });
    expect(refusalCode(next.refusal!)).toBe('RATE_LIMITED');
  });

  it("writes Apollo's answer when no stage refused", async () => {
    next = {
      response: { status: 200, headers: new HeaderMap([['content-type', 'application/json']]), body: { kind: 'complete', string: '{"data":{"a":1}}' } },
    };
    const res = await fetch(base);
    expect([res.status, res.headers.get('x-request-id')]).toEqual([200, 'req-1']);
    expect(await res.json()).toEqual({ data: { a: 1 } });
  });
});
