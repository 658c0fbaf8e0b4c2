import { readGraphQLRequest, requestedOperation } from '../../../gateway/src/pipeline/read-request';
import { errorsOf, exchangeFor, incomingRequest } from './support';

describe('stage read-request', () => {
  it('reads a JSON body and the operation it carries', async () => {
    const exchange = exchangeFor(incomingRequest({ body: JSON.stringify({ query: '{ viewer { id } }', operationName: null, variables: { a: 1 } }) }));
    expect(await readGraphQLRequest(exchange, { maxBodyBytes: 1024 })).toBeUndefined();
    expect(exchange.operation).toMatchObject({ query: '{ viewer { id } }', variables: { a: 1 } });
  });

  it('answers 413 QUERY_TOO_COMPLEX past the body limit, from the declared length without reading it', async () => {
    const req = incomingRequest({ headers: { 'content-length': String(10 * 1024 * 1024) }, body: '{}' });
    const refusal = await readGraphQLRequest(exchangeFor(req), { maxBodyBytes: 1024 });
    expect(refusal?.status).toBe(413);
    expect(errorsOf(refusal?.body)[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('answers 413 for a body that turns out longer than the limit while streaming', async () => {
    const refusal = await readGraphQLRequest(exchangeFor(incomingRequest({ body: 'x'.repeat(2048) })), { maxBodyBytes: 1024 });
    expect(refusal?.status).toBe(413);
  });

  it('answers 400 BAD_USER_INPUT for a body that is not JSON, and for a batch', async () => {
    const notJson = await readGraphQLRequest(exchangeFor(incomingRequest({ body: '{"query":' })), { maxBodyBytes: 1024 });
    expect([notJson?.status, errorsOf(notJson?.body)[0].extensions.code]).toEqual([400, 'BAD_USER_INPUT']);
    const batch = await readGraphQLRequest(exchangeFor(incomingRequest({ body: '[{"query":"{a}"},{"query":"{b}"}]' })), { maxBodyBytes: 1024 });
    expect(batch?.status).toBe(400);
    expect(errorsOf(batch?.body)[0].message).toMatch(/batched requests are not supported/);
  });

  it('reads a GET request from the URL, as Apollo does', () => {
    const url = new URL('http://gateway/graphql?query=%7Bviewer%7Bid%7D%7D&operationName=X&variables=%7B%22a%22%3A1%7D');
    expect(requestedOperation('GET', url, undefined)).toEqual({ query: '{viewer{id}}', operationName: 'X', variables: { a: 1 } });
    expect(requestedOperation('GET', new URL('http://gateway/graphql?variables=nope'), undefined).variables).toBeUndefined();
  });
});
