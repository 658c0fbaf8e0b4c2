import { readScopeRequirements } from '../../../gateway/src/authorization';
import { OperationAnalyzer } from '../../../gateway/src/limits';
import { checkScopes, ScopeVerdicts } from '../../../gateway/src/pipeline/scope-check';
import { errorsOf, exchangeFor, HOSPITAL, incomingRequest, LIMITS, SUPERGRAPH_SCHEMA, SUPERGRAPH_SDL, UNION } from './support';

const analyzer = new OperationAnalyzer(SUPERGRAPH_SCHEMA, LIMITS);
const verdicts = new ScopeVerdicts(SUPERGRAPH_SCHEMA, readScopeRequirements(SUPERGRAPH_SDL));
const MEMBERS = '{ organization(id: "o1") { members { nodes { id } } } }';

describe('stage scope-check', () => {
  it('refuses with 403 FORBIDDEN naming the missing scope, before anything runs', () => {
    const exchange = exchangeFor(incomingRequest(), { principal: HOSPITAL, analysis: analyzer.analyze(MEMBERS, null, null) });
    const refusal = checkScopes(exchange, { verdicts, isValid: () => true });
    expect(refusal?.status).toBe(403);
    expect(errorsOf(refusal?.body)[0]).toMatchObject({ message: expect.stringContaining('requires scope member:read'), extensions: { code: 'FORBIDDEN' } });
    expect(exchange.scopesCheckedFor).toBeUndefined();
  });

  it('passes a caller holding the scopes, and notes the document it checked', () => {
    const exchange = exchangeFor(incomingRequest(), { principal: UNION, analysis: analyzer.analyze(MEMBERS, null, null) });
    expect(checkScopes(exchange, { verdicts, isValid: () => true })).toBeUndefined();
    expect(exchange.scopesCheckedFor).toBe(exchange.analysis?.document);
  });

  it('leaves an invalid document to Apollo (its validation errors come first) and notes nothing', () => {
    const exchange = exchangeFor(incomingRequest(), { principal: HOSPITAL, analysis: analyzer.analyze(MEMBERS, null, null) });
    expect(checkScopes(exchange, { verdicts, isValid: () => false })).toBeUndefined();
    expect(exchange.scopesCheckedFor).toBeUndefined();
  });

  it('remembers a verdict per document and set of scopes', () => {
    const document = analyzer.analyze(MEMBERS, null, null)!.document;
    const first = verdicts.verdict(document, HOSPITAL);
    expect(verdicts.verdict(document, HOSPITAL)).toBe(first);
    expect(verdicts.verdict(document, UNION)).toBeNull();
  });
});
