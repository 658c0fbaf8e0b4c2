import { join } from 'node:path';
import { HeaderMap } from '@apollo/server';
import type { Principal } from '@union/common';
import { internalTokenSigner, ParsedDocuments, plannerSupergraph, readSupergraph, startApollo } from '@union/gateway';
import { repoRoot } from '../system';
import { runBench } from './load';

/**
 * The gateway's execute stage alone, in-process (not a test): `node scripts/dist/bench/execute-stage.js`.
 *
 * Builds the gateway's Apollo Server and its planned path (gateway/src/apollo.ts) over the
 * committed supergraph, with a subgraph fetcher that answers at once from memory, and runs the same
 * `member(id)` request through each: Apollo Server's executeHTTPGraphQLRequest, and the planned
 * path (gateway/src/planned-execution.ts). Both use the same data sources, so what is printed is
 * what each path costs the gateway's CPU beyond the fetch: no HTTP, no subgraph, no PostgreSQL, no
 * other process on the cores. The two answers must be the same text. BENCH_REQUESTS (default
 * 10,000) timed requests per round after 3,000 untimed, BENCH_ROUNDS (default 3) rounds.
 */

const requests = Number(process.env.BENCH_REQUESTS ?? 10_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const MEMBER = `query MemberById($id: ID!) { member(id: $id) { id displayName cardNumber status organization { id name } } }`;

/** A subgraph answer as the keep-alive fetcher hands it over, made at once. */
function instantAnswer(url: string, body: string) {
  const id = (JSON.parse(body) as { variables: { id: string } }).variables.id;
  const text = JSON.stringify({
    data: { member: { id, displayName: '张*', cardNumber: 'GD2024****0001', status: 'ACTIVE', organization: { id: 'o1', name: '天河区总工会' } } },
  });
  const headers = new Map([['content-type', 'application/json']]);
  return {
    url,
    status: 200,
    statusText: 'OK',
    ok: true,
    headers: { get: (name: string) => headers.get(name.toLowerCase()) ?? null, has: (name: string) => headers.has(name.toLowerCase()) },
    text: async () => text,
    json: async () => JSON.parse(text) as unknown,
  };
}

async function main(): Promise<void> {
  const documents = new ParsedDocuments();
  const urls = Object.fromEntries(['member', 'benefit', 'points', 'events'].map((name) => [name, `http://${name}.invalid/graphql`]));
  const fetcher = { fetch: async (url: string, init?: { body?: unknown }) => instantAnswer(url, String(init?.body)), close() {} };
  const { apollo, planned } = await startApollo({
    supergraphSdl: plannerSupergraph(readSupergraph(join(repoRoot, 'schema', 'supergraph.graphql'))),
    subgraphUrls: urls,
    signInternal: internalTokenSigner('bench-secret-of-forty-characters-at-least'),
    fetcher: fetcher as never,
    documents,
    verdicts: { verdict: () => null } as never,
    production: true,
    logError: (message, fields) => console.error(message, fields),
  });
  const document = documents.parse(MEMBER);
  if (!documents.isValid(document)) throw new Error('the bench query is not valid for the supergraph');
  const principal: Principal = { kind: 'UNION', id: 'a0000000-0000-4000-8000-000000000002', name: 'bench', scopes: ['member:read'], organizationId: 'o1' };
  const context = (i: number) => ({
    principal,
    requestId: `r${i}`,
    accessReport: { add() {} },
    rate: { key: 'bench', perMinute: null },
    notes: { subgraphFetches: 0 },
  });
  const body = (i: number) => ({ query: MEMBER, variables: { id: String(1000 + (i % 3000)) } });
  const text = (response: { body: { kind: string } } | undefined) => (response?.body as { string?: string } | undefined)?.string;

  const paths: Array<[string, (i: number) => Promise<string | undefined>]> = [
    [
      'Apollo Server',
      async (i) =>
        text(
          await apollo.executeHTTPGraphQLRequest({
            httpGraphQLRequest: { method: 'POST', headers: new HeaderMap([['content-type', 'application/json']]), search: '', body: body(i) },
            context: async () => context(i) as never,
          }),
        ),
    ],
    [
      'planned path',
      async (i) => {
        const exchange = {
          req: { method: 'POST', headers: { 'content-type': 'application/json' } },
          body: body(i),
          analysis: { document },
          scopesCheckedFor: document,
        };
        return text(await planned.execute(exchange as never, context(i) as never));
      },
    ],
  ];
  const [apolloAnswer, plannedAnswer] = [await paths[0][1](1), await paths[1][1](1)];
  if (!apolloAnswer || apolloAnswer !== plannedAnswer) throw new Error(`the paths answer differently:\n${apolloAnswer}\n${plannedAnswer}`);
  console.log(`execute stage, in-process, member(id) answered at once by a fake fetcher; ${requests} requests a round after 3,000 untimed`);
  for (let round = 1; round <= rounds; round += 1) {
    const figures: string[] = [];
    for (const [name, run] of paths) {
      for (let i = 0; i < 3_000; i += 1) await run(i);
      const before = process.cpuUsage();
      for (let i = 0; i < requests; i += 1) await run(i);
      const spent = process.cpuUsage(before);
      figures.push(`${name} ${((spent.user + spent.system) / requests).toFixed(1)} µs`);
    }
    console.log(`round ${round}: CPU a request: ${figures.join(', ')}`);
  }
  await apollo.stop();
}

runBench(main);
