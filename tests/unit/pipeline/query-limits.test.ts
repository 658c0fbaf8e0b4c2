import { OperationAnalyzer } from '../../../gateway/src/limits';
import { enforceQueryLimits } from '../../../gateway/src/pipeline/query-limits';
import { errorsOf, exchangeFor, incomingRequest, LIMITS, SUPERGRAPH_SCHEMA } from './support';

const analyzer = new OperationAnalyzer(SUPERGRAPH_SCHEMA, LIMITS);
const withOperation = (query: unknown, variables: unknown = {}) => exchangeFor(incomingRequest(), { operation: { query, variables } });

describe('stage query-limits', () => {
  it('passes an operation within the limits with its analysis (cost and parsed document)', () => {
    const exchange = withOperation('{ viewer { id organization { name } } }');
    expect(enforceQueryLimits(exchange, { analyzer })).toBeUndefined();
    expect(exchange.analysis).toMatchObject({ cost: 2, depth: 3, operationType: 'query' });
    expect(exchange.analysis?.document.kind).toBe('Document');
  });

  it('answers 400 QUERY_TOO_COMPLEX naming the limit', () => {
    const deep = `{ viewer { ${'organization { parent { '.repeat(10)}id${' } }'.repeat(10)} } }`;
    const refusal = enforceQueryLimits(withOperation(deep), { analyzer });
    expect(refusal?.status).toBe(400);
    expect(errorsOf(refusal?.body)[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'depth' });
    const aliases = `{ ${Array.from({ length: 60 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    expect(errorsOf(enforceQueryLimits(withOperation(aliases), { analyzer })?.body)[0].extensions.limit).toBe('aliases');
  });

  it('passes what it cannot analyse (no query text, a syntax error) for Apollo to answer', () => {
    for (const query of [undefined, 42, '{ viewer { id ']) {
      const exchange = withOperation(query);
      expect(enforceQueryLimits(exchange, { analyzer })).toBeUndefined();
      expect(exchange.analysis).toBeNull();
    }
  });
});
