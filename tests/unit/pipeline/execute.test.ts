import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { buildSchema } from 'graphql';
import { OperationAnalyzer } from '../../../gateway/src/limits';
import { ParsedDocuments } from '../../../gateway/src/parsed-documents';
import type { GatewayContext } from '../../../gateway/src/pipeline';
import { executeOperation } from '../../../gateway/src/pipeline/execute';
import { enforceQueryLimits } from '../../../gateway/src/pipeline/query-limits';
import { readGraphQLRequest } from '../../../gateway/src/pipeline/read-request';
import { exchangeFor, HOSPITAL, incomingRequest, LIMITS } from './support';

const schema = buildSchema('type Query { greeting(name: String!): String! count: Int! }');

describe('stage execute', () => {
  let apollo: ApolloServer<GatewayContext>;
  const documents = new ParsedDocuments();
  const apolloParses: string[] = [];
  const seenContexts: GatewayContext[] = [];

  beforeAll(async () => {
    const countParses: ApolloServerPlugin<GatewayContext> = {
      async requestDidStart({ request }) {
        return {
          async parsingDidStart() {
            apolloParses.push(request.query ?? '');
          },
          async willSendResponse({ contextValue }) {
            seenContexts.push(contextValue);
            contextValue.notes.outcome = 'OK';
          },
        };
      },
    };
    apollo = new ApolloServer<GatewayContext>({
      schema,
      rootValue: { greeting: ({ name }: { name: string }) => `hello ${name}`, count: () => 3 },
      documentStore: documents,
      plugins: [countParses],
    });
    documents.useSchema(schema);
    await apollo.start();
  });
  afterAll(() => apollo.stop());

  /** The stages up to execute, as the gateway runs them (limits parse through the shared document cache). */
  async function run(query: string, variables: Record<string, unknown> = {}) {
    const analyzer = new OperationAnalyzer(schema, LIMITS, 1000, (source, maxTokens) => documents.parse(source, { maxTokens }));
    const exchange = exchangeFor(incomingRequest({ body: JSON.stringify({ query, variables }) }), {
      principal: HOSPITAL,
      rate: { key: 'partner:x', perMinute: null },
    });
    await readGraphQLRequest(exchange, { maxBodyBytes: 10_000 });
    enforceQueryLimits(exchange, { analyzer });
    await executeOperation(exchange, { apollo });
    const body = exchange.response?.body.kind === 'complete' ? JSON.parse(exchange.response.body.string) : null;
    return { exchange, body };
  }

  it('runs the operation on the document the limits stage parsed: Apollo does not parse the query text again', async () => {
    const query = 'query Greet($n: String!) { greeting(name: $n) count }';
    for (const name of ['a', 'b', 'c']) {
      const { exchange, body } = await run(query, { n: name });
      expect(body).toEqual({ data: { greeting: `hello ${name}`, count: 3 } });
      expect(exchange.response?.status ?? 200).toBe(200);
    }
    expect(apolloParses).toEqual([]);
    expect(documents.parses).toBe(1);
  });

  it('runs with a context of its own on the exchange: principal, request id, rate bucket, notes shared with Apollo', async () => {
    const { exchange } = await run('{ count }');
    expect(exchange.context).toMatchObject({ principal: HOSPITAL, requestId: 'req-1', rate: { key: 'partner:x' }, notes: { outcome: 'OK' } });
    // Apollo works on a shallow copy of the context; the notes object is what both see.
    expect(seenContexts.at(-1)?.notes).toBe(exchange.context?.notes);
  });

  it('leaves an invalid document to Apollo, which parses it itself and answers its validation error', async () => {
    const { body } = await run('{ nope }');
    expect(body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(apolloParses).toEqual(['{ nope }']);
  });
});
