import { parse } from 'graphql';
import { plainRequestOf } from '../../../gateway/src/planned-execution';
import { exchangeFor, incomingRequest } from './support';

const QUERY = 'query M($id: ID!) { member(id: $id) { id } }';
const document = parse(QUERY);

/** An exchange as the stages before execute leave it: body read, document parsed and scope-checked. */
function exchange(options: { method?: string; headers?: Record<string, string>; body?: Record<string, unknown>; checked?: boolean } = {}) {
  const body = options.body ?? { query: QUERY, variables: { id: '1' } };
  return exchangeFor(incomingRequest({ method: options.method, headers: options.headers }), {
    body,
    analysis: { document } as never,
    scopesCheckedFor: options.checked === false ? undefined : document,
  });
}

describe('which requests the planned path runs (the rest Apollo Server answers)', () => {
  it('a JSON POST of a scope-checked document, with or without a plain Accept header', () => {
    for (const accept of [undefined, '*/*', 'application/json', 'Application/JSON ']) {
      const request = plainRequestOf(exchange({ headers: accept === undefined ? {} : { accept } }));
      expect(request).toMatchObject({ document, query: QUERY, variables: { id: '1' }, operationName: undefined });
    }
    expect(plainRequestOf(exchange({ headers: { 'content-type': 'application/json; charset=utf-8' } }))).toBeDefined();
    expect(plainRequestOf(exchange({ body: { query: QUERY, operationName: 'M', variables: null, extensions: {} } }))).toMatchObject({ operationName: 'M' });
  });

  it.each<[string, Parameters<typeof exchange>[0]]>([
    ['a GET', { method: 'GET' }],
    ['another content type', { headers: { 'content-type': 'text/plain' } }],
    ['an Accept header to negotiate', { headers: { accept: 'application/graphql-response+json' } }],
    ['the experimental query-plan header', { headers: { 'apollo-query-plan-experimental': '1' } }],
    ['a document the scope check did not pass', { checked: false }],
    ['variables that are not an object', { body: { query: QUERY, variables: '{"id":"1"}' } }],
    ['an operation name that is not a string', { body: { query: QUERY, operationName: 7 } }],
    ['a persisted query', { body: { query: QUERY, extensions: { persistedQuery: { version: 1, sha256Hash: 'x' } } } }],
    ['incremental delivery', { body: { query: 'query { member(id: "1") { id ... @defer { displayName } } }' } }],
  ])('not %s', (_name, options) => {
    expect(plainRequestOf(exchange(options))).toBeUndefined();
  });
});
