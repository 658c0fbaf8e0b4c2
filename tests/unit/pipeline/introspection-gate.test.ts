import { OperationAnalyzer } from '../../../gateway/src/limits';
import { gateIntrospection } from '../../../gateway/src/pipeline/introspection-gate';
import { errorsOf, exchangeFor, incomingRequest, LIMITS, SUPERGRAPH_SCHEMA } from './support';

const analyzer = new OperationAnalyzer(SUPERGRAPH_SCHEMA, LIMITS);
const exchange = (query: string, introspectionAllowed = false) =>
  exchangeFor(incomingRequest(), {
    analysis: analyzer.analyze(query, null, null),
    access: { status: 'active', rateLimitPerMinute: null, introspectionAllowed },
  });

describe('stage introspection-gate', () => {
  const production = { production: true, allowIntrospection: false };

  it('refuses __schema in production with 403 FORBIDDEN pointing at the published schema', () => {
    const refusal = gateIntrospection(exchange('{ __schema { queryType { name } } }'), production);
    expect(refusal?.status).toBe(403);
    expect(errorsOf(refusal?.body)[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' }, message: expect.stringContaining('schema/supergraph.graphql') });
  });

  it('lets through: ordinary operations, flagged partners, ALLOW_INTROSPECTION, development', () => {
    expect(gateIntrospection(exchange('{ viewer { id } }'), production)).toBeUndefined();
    expect(gateIntrospection(exchange('{ __type(name: "Member") { name } }', true), production)).toBeUndefined();
    expect(gateIntrospection(exchange('{ __schema { types { name } } }'), { production: true, allowIntrospection: true })).toBeUndefined();
    expect(gateIntrospection(exchange('{ __schema { types { name } } }'), { production: false, allowIntrospection: false })).toBeUndefined();
  });
});
