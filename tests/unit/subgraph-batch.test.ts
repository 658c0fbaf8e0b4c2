import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import {
  INTERNAL_TOKEN_HEADER,
  parseSubgraphBatch,
  REQUEST_ID_HEADER,
  type Principal,
  type RunningService,
  serviceUnavailable,
  ServiceUnavailableError,
  signInternalToken,
  startSubgraphServer,
  SUBGRAPH_BATCH_PATH,
} from '@union/common';
import { keepAliveSubgraphFetcher } from '../../gateway/src/subgraph-fetcher';

const secret = 'b'.repeat(40);
const caller = (id: string): Principal => ({ kind: 'UNION', id, name: `union ${id}`, scopes: ['member:read'], organizationId: null });

/** A subgraph of four fields: who asks, an echo after a wait, a field whose database is down, and a bug. */
const schema = new GraphQLSchema({
  query: new GraphQLObjectType<unknown, { principal: Principal }>({
    name: 'Query',
    fields: {
      caller: { type: GraphQLString, resolve: (_root, _args, context) => context.principal.id },
      echo: {
        type: GraphQLString,
        args: { text: { type: new GraphQLNonNull(GraphQLString) }, waitMs: { type: GraphQLInt } },
        resolve: async (_root, args: { text: string; waitMs?: number }) => {
          await new Promise((resolve) => setTimeout(resolve, args.waitMs ?? 0));
          return args.text;
        },
      },
      down: {
        type: GraphQLString,
        resolve: () => {
          throw serviceUnavailable('the database');
        },
      },
    },
  }),
});

let subgraph: RunningService;
let lines: Array<Record<string, unknown>>;

beforeAll(async () => {
  lines = [];
  subgraph = await startSubgraphServer({
    name: 'test',
    schema,
    internalSecret: secret,
    host: '127.0.0.1',
    port: 0,
    createContext: (principal) => {
      // The database is down before the operation starts (its context cannot be built).
      if (principal.id === 'no-database') throw new ServiceUnavailableError('member', 'connection refused');
      return { principal };
    },
    log: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
});
afterAll(() => subgraph?.stop());

async function operation(id: string, query: string, variables: Record<string, unknown> = {}, requestId?: string) {
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [INTERNAL_TOKEN_HEADER]: await signInternalToken(caller(id), secret),
      ...(requestId ? { [REQUEST_ID_HEADER]: requestId } : {}),
    },
    body: JSON.stringify({ query, variables }),
  };
}

/** A subgraph that predates batches: it knows /graphql only, and echoes the query it was sent. */
async function startSubgraphWithoutBatches() {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url !== '/graphql') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
        return;
      }
      const { query } = JSON.parse(Buffer.concat(chunks).toString()) as { query: string };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { echoed: query } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    paths,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const batchLines = () => lines.filter((line) => line.route === '/graphql');

describe('subgraph fetches batched per turn (POST /graphql/batch)', () => {
  it('sends the fetches of one turn as one exchange; each operation keeps its caller, request id, answer and log line', async () => {
    const fetcher = keepAliveSubgraphFetcher({ batchByHeader: INTERNAL_TOKEN_HEADER });
    try {
      const ops = await Promise.all(Array.from({ length: 6 }, (_, i) => operation(`caller-${i}`, `{ caller echo(text: "t${i}") }`, {}, `request-${i}`)));
      lines.length = 0;
      const answers = await Promise.all(ops.map((init) => fetcher.fetch(subgraph.url, init)));
      expect(await Promise.all(answers.map((answer) => answer.json()))).toEqual(ops.map((_, i) => ({ data: { caller: `caller-${i}`, echo: `t${i}` } })));
      expect(answers.every((answer) => answer.status === 200 && answer.headers.get('content-type')?.startsWith('application/json'))).toBe(true);
      // One log line per operation, under its own request id; none for the batch itself.
      expect(batchLines().map((line) => line.requestId)).toEqual(expect.arrayContaining(ops.map((_, i) => `request-${i}`)));
      expect(batchLines()).toHaveLength(6);
      expect(lines.filter((line) => line.route === SUBGRAPH_BATCH_PATH)).toHaveLength(0);
      const metrics = await (await fetch(subgraph.url.replace('/graphql', '/metrics'))).text();
      expect(metrics).toMatch(new RegExp(`union_http_requests_total\\{[^}]*route="${SUBGRAPH_BATCH_PATH}"[^}]*\\} 1\\b`));
    } finally {
      fetcher.close();
    }
  });

  it('answers each operation when it is ready: a slow one holds back none of the others', async () => {
    const fetcher = keepAliveSubgraphFetcher({ batchByHeader: INTERNAL_TOKEN_HEADER });
    try {
      const slow = await operation('a', `query ($w: Int) { echo(text: "slow", waitMs: $w) }`, { w: 1_500 });
      const quick = await Promise.all([1, 2, 3].map((n) => operation('b', `{ echo(text: "quick ${n}") }`)));
      const started = Date.now();
      const slowAnswer = fetcher.fetch(subgraph.url, slow);
      const quickAnswers = await Promise.all(quick.map((init) => fetcher.fetch(subgraph.url, init)));
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(await Promise.all(quickAnswers.map((answer) => answer.json()))).toEqual([1, 2, 3].map((n) => ({ data: { echo: `quick ${n}` } })));
      expect(await (await slowAnswer).json()).toEqual({ data: { echo: 'slow' } });
    } finally {
      fetcher.close();
    }
  });

  it('answers each operation as it would be answered alone: a refused token, a field whose database is down, a service down before it ran (503, Retry-After)', async () => {
    const fetcher = keepAliveSubgraphFetcher({ batchByHeader: INTERNAL_TOKEN_HEADER });
    try {
      const good = await operation('a', '{ caller }');
      const forged = { ...good, headers: { ...good.headers, [INTERNAL_TOKEN_HEADER]: `${good.headers[INTERNAL_TOKEN_HEADER].slice(0, -2)}xx` } };
      const down = await operation('a', '{ down }');
      const noDatabase = await operation('no-database', '{ caller }');
      const [okAnswer, forgedAnswer, downAnswer, noDatabaseAnswer] = await Promise.all(
        [good, forged, down, noDatabase].map((init) => fetcher.fetch(subgraph.url, init)),
      );
      expect([okAnswer.status, forgedAnswer.status, noDatabaseAnswer.status]).toEqual([200, 401, 503]);
      expect(noDatabaseAnswer.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await noDatabaseAnswer.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
      expect(await okAnswer.json()).toEqual({ data: { caller: 'a' } });
      expect(((await forgedAnswer.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe('UNAUTHENTICATED');
      // A field whose database is down: null and SERVICE_UNAVAILABLE at its path, as alone.
      const downBody = (await downAnswer.json()) as { data: unknown; errors: Array<{ extensions: { code: string } }> };
      expect(downBody.data).toEqual({ down: null });
      expect(downBody.errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      fetcher.close();
    }
  });

  it('refuses a malformed batch as a whole, and the gateway falls back to one by one where a subgraph knows no batches', async () => {
    const post = (path: string, body: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(subgraph.url.replace('/graphql', path), { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.once('error', reject);
        req.end(body);
      });
    for (const body of ['{', '[]', '{"token":"x"}', '[{"operation":{}}]', JSON.stringify(Array.from({ length: 65 }, () => ({ token: 'x', operation: {} })))]) {
      expect(parseSubgraphBatch(body)).toBeNull();
      expect(await post(SUBGRAPH_BATCH_PATH, body)).toBe(400);
    }

    // A subgraph without the batch route (an older one during a rolling deploy): 404, then each alone.
    const old = await startSubgraphWithoutBatches();
    const fetcher = keepAliveSubgraphFetcher({ batchByHeader: INTERNAL_TOKEN_HEADER });
    try {
      const ops = await Promise.all([1, 2, 3].map((n) => operation('a', `{ n${n} }`)));
      const answers = await Promise.all(ops.map((init) => fetcher.fetch(old.url, init)));
      expect(await Promise.all(answers.map((answer) => answer.json()))).toEqual([1, 2, 3].map((n) => ({ data: { echoed: `{ n${n} }` } })));
      expect(old.paths).toEqual(['/graphql/batch', '/graphql', '/graphql', '/graphql']);
    } finally {
      fetcher.close();
      await old.stop();
    }
  });
});
