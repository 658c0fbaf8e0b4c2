import { contractError, OperationRunner, safeErrorFormatter } from '@union/common';
import { GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';

/**
 * The subgraphs' operation runner: what it answers to the gateway (status, errors with their
 * contract codes) for well-formed and malformed requests, and that it parses an operation once.
 */

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      greeting: {
        type: GraphQLString,
        args: { times: { type: new GraphQLNonNull(GraphQLInt) } },
        resolve: (_source, { times }: { times: number }, context: { who: string }) => `hello ${context.who} `.repeat(times).trim(),
      },
      refused: { type: GraphQLString, resolve: () => Promise.reject(contractError('FORBIDDEN', 'not yours')) },
      broken: {
        type: GraphQLString,
        resolve: () => {
          throw new Error('secret detail of a bug');
        },
      },
    },
  }),
});

const logged: string[] = [];
const runner = (introspection = true) =>
  new OperationRunner<{ who: string }>(
    schema,
    safeErrorFormatter('test', (line) => logged.push(line)),
    { introspection },
  );
const context = () => ({ who: 'member' });

describe('OperationRunner', () => {
  it('runs an operation with its variables and context', async () => {
    const answer = await runner().run({ query: 'query ($n: Int!) { greeting(times: $n) }', variables: { n: 2 } }, context);
    expect(answer).toEqual({ status: 200, body: { data: { greeting: 'hello member hello member' } } });
  });

  it('answers 400 BAD_USER_INPUT to what is not an operation, without building a context', async () => {
    const built = jest.fn(context);
    for (const body of [
      null,
      'query',
      [{ query: '{ greeting(times: 1) }' }],
      {},
      { query: '  ' },
      { query: '{ x }', variables: [1] },
      { query: '{ x }', operationName: 7 },
    ]) {
      const answer = await runner().run(body, built);
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
    for (const query of ['{ greeting(times: 1) ', '{ nothing }', 'query A { refused } query B { refused }']) {
      const answer = await runner().run({ query }, built);
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect((await runner().run({ query: 'query A { refused }', operationName: 'B' }, built)).status).toBe(400);
    expect(built).not.toHaveBeenCalled();
  });

  it('answers variables that do not fit the operation with 400 BAD_USER_INPUT and no data', async () => {
    const answer = await runner().run({ query: 'query ($n: Int!) { greeting(times: $n) }', variables: { n: 'many' } }, context);
    expect(answer.status).toBe(400);
    expect(answer.body).not.toHaveProperty('data');
    expect(answer.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('keeps contract errors and hides anything else behind an error id', async () => {
    const answer = await runner().run({ query: '{ refused broken }' }, context);
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ refused: null, broken: null });
    const byField = (field: string) => answer.body.errors!.find((error) => error.path?.[0] === field)!;
    const [refused, broken] = [byField('refused'), byField('broken')];
    expect(refused).toMatchObject({ message: 'not yours', path: ['refused'], extensions: { code: 'FORBIDDEN' } });
    expect(broken.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(JSON.stringify(broken)).not.toContain('secret detail');
    expect(logged.join('\n')).toContain('secret detail of a bug');
  });

  it('refuses introspection when told to', async () => {
    expect((await runner(false).run({ query: '{ __schema { queryType { name } } }' }, context)).status).toBe(400);
    expect((await runner(true).run({ query: '{ __schema { queryType { name } } }' }, context)).status).toBe(200);
  });

  it('keeps each valid operation text parsed, and no invalid one', async () => {
    const once = runner();
    for (let i = 0; i < 5; i++) await once.run({ query: '{ greeting(times: 1) }' }, context);
    await once.run({ query: '{ refused }' }, context);
    await once.run({ query: '{ nothing }' }, context);
    await once.run({ query: '{ greeting(' }, context);
    expect(once.preparedOperations).toBe(2);
  });

  it('adds the extensions the hooks give and names the resolved operation', async () => {
    const seen: string[] = [];
    const answer = await runner().run({ query: 'query Greeting { greeting(times: 1) }' }, context, {
      resolved: (operation) => seen.push(operation.name?.value ?? ''),
      extensions: (ctx) => ({ who: ctx.who }),
    });
    expect(seen).toEqual(['Greeting']);
    expect(answer.body.extensions).toEqual({ who: 'member' });
  });
});
