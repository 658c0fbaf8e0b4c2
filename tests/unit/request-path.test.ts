import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cachedInternalTokenVerifier, INTERNAL_TOKEN_HEADER, type Principal } from '@union/common';
import { dedupeKeyOf, keepAliveSubgraphFetcher } from '../../gateway/src/subgraph-fetcher';

const secret = 's'.repeat(40);
const principal: Principal = { kind: 'UNION', id: '00000000-0000-4000-8000-000000000001', name: 'x', scopes: ['member:read'], organizationId: null };

/** An HS256 internal token made by hand, with the given expiry (epoch seconds). */
function internalToken(exp: number, key = secret): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${part({ alg: 'HS256' })}.${part({ p: principal, iss: 'union-gateway', aud: 'union-subgraphs', iat: Math.floor(Date.now() / 1000), exp })}`;
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

describe('verified internal tokens, cached at the subgraph', () => {
  it('answer the same principal again, and a cached token is still refused once its exp has passed', async () => {
    const verify = cachedInternalTokenVerifier(secret);
    const token = internalToken(Math.floor(Date.now() / 1000) + 2);
    await expect(verify(token)).resolves.toEqual(principal);
    await expect(verify(token)).resolves.toEqual(principal);
    await new Promise((resolve) => setTimeout(resolve, 3_100));
    await expect(verify(token)).rejects.toThrow();
  });

  it('never let a token that differs from a cached one pass unverified', async () => {
    const verify = cachedInternalTokenVerifier(secret);
    const token = internalToken(Math.floor(Date.now() / 1000) + 60);
    await verify(token);
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'AB' : 'AA'}`;
    await expect(verify(tampered)).rejects.toThrow();
    await expect(verify(internalToken(Math.floor(Date.now() / 1000) + 60, 'o'.repeat(40)))).rejects.toThrow();
  });

  it('stay bounded: the oldest entry goes when the cache is full, and is verified again when it comes back', async () => {
    const verify = cachedInternalTokenVerifier(secret, { maxEntries: 2 });
    const now = Math.floor(Date.now() / 1000);
    const tokens = [internalToken(now + 60), internalToken(now + 61), internalToken(now + 62)];
    for (const token of [...tokens, ...tokens]) await expect(verify(token)).resolves.toEqual(principal);
  });
});

describe('in-flight deduplication of subgraph reads at the gateway', () => {
  const headers = { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: 'token-a' };
  const read = JSON.stringify({ query: 'query M__member__0($id:ID!){member(id:$id){id}}', variables: { id: '1' } });
  const write = JSON.stringify({ query: 'mutation C__benefit__0($b:ID!){claimVoucher(batchId:$b){id}}', variables: { b: '1' } });

  it('keys reads by subgraph, caller and body; never mutations', () => {
    const url = 'http://member/graphql';
    expect(dedupeKeyOf(url, { method: 'POST', headers, body: read }, INTERNAL_TOKEN_HEADER)).not.toBeNull();
    expect(dedupeKeyOf(url, { method: 'POST', headers, body: write }, INTERNAL_TOKEN_HEADER)).toBeNull();
    expect(dedupeKeyOf(url, { method: 'POST', headers: { ...headers, [INTERNAL_TOKEN_HEADER]: 'token-b' }, body: read }, INTERNAL_TOKEN_HEADER)).not.toEqual(
      dedupeKeyOf(url, { method: 'POST', headers, body: read }, INTERNAL_TOKEN_HEADER),
    );
    expect(dedupeKeyOf(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: read }, INTERNAL_TOKEN_HEADER)).toBeNull();
    expect(dedupeKeyOf(url, { method: 'GET', headers }, INTERNAL_TOKEN_HEADER)).toBeNull();
  });

  let server: Server;
  let url: string;
  let received = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      received += 1;
      req.resume();
      // Slow enough that the identical requests below are all in flight together.
      setTimeout(() => res.end(JSON.stringify({ data: { n: received } })), 200);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends identical reads in flight once, and every caller gets its own copy of the answer', async () => {
    const fetcher = keepAliveSubgraphFetcher({ dedupeByHeader: INTERNAL_TOKEN_HEADER });
    try {
      received = 0;
      const answers = await Promise.all(Array.from({ length: 5 }, () => fetcher.fetch(url, { method: 'POST', headers, body: read })));
      expect(received).toBe(1);
      const bodies = await Promise.all(answers.map((answer) => answer.json()));
      expect(bodies).toEqual(Array.from({ length: 5 }, () => ({ data: { n: 1 } })));
      expect(new Set(bodies).size).toBe(5);

      received = 0;
      await Promise.all(Array.from({ length: 3 }, () => fetcher.fetch(url, { method: 'POST', headers, body: write })));
      expect(received).toBe(3);

      // Once answered, the same read goes to the subgraph again.
      received = 0;
      await fetcher.fetch(url, { method: 'POST', headers, body: read });
      await fetcher.fetch(url, { method: 'POST', headers, body: read });
      expect(received).toBe(2);
    } finally {
      fetcher.close();
    }
  });
});
