import { InputValidator } from '../../../gateway/src/input-validation';
import { OperationAnalyzer } from '../../../gateway/src/limits';
import { checkInputs } from '../../../gateway/src/pipeline/input-check';
import { enforceQueryLimits } from '../../../gateway/src/pipeline/query-limits';
import { errorsOf, exchangeFor, incomingRequest, LIMITS, SUPERGRAPH_SCHEMA } from './support';

const analyzer = new OperationAnalyzer(SUPERGRAPH_SCHEMA, LIMITS);
const inputs = new InputValidator(SUPERGRAPH_SCHEMA);
/** An exchange as the limits stage leaves it: with the parsed document this stage reuses. */
function analysed(query: string, variables: unknown = {}, operationName?: string) {
  const exchange = exchangeFor(incomingRequest(), { operation: { query, variables, operationName } });
  enforceQueryLimits(exchange, { analyzer });
  return exchange;
}

describe('stage input-check', () => {
  const claims = 'query Claims($from: DateTime!) { discountClaims(from: $from, to: "2026-12-01T00:00:00+08:00") { totalCount } }';

  it('passes well-formed arguments', () => {
    expect(checkInputs(analysed(claims, { from: '2026-11-01T00:00:00+08:00' }), { inputs })).toBeUndefined();
  });

  it('answers 400 BAD_USER_INPUT naming the argument for a DateTime without offset, in a variable or a literal', () => {
    for (const exchange of [
      analysed(claims, { from: '2026-11-01' }),
      analysed('{ discountClaims(from: "2026-02-30T00:00:00+08:00", to: "2026-12-01T00:00:00+08:00") { totalCount } }'),
    ]) {
      const refusal = checkInputs(exchange, { inputs });
      expect(refusal?.status).toBe(400);
      expect(errorsOf(refusal?.body)[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'from' });
    }
  });

  it('refuses a control character in a string and two operations without operationName', () => {
    const search = checkInputs(analysed('{ member(id: "a\\u0000b") { id } }'), { inputs });
    expect(errorsOf(search?.body)[0].extensions.code).toBe('BAD_USER_INPUT');
    const two = checkInputs(analysed('query A { viewer { id } } query B { viewer { name } }'), { inputs });
    expect(two?.status).toBe(400);
    expect(errorsOf(two?.body)[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});
