import { GraphQLError } from 'graphql';
import { isDatabaseUnavailable, isInputDataError, safeErrorFormatter, ServiceUnavailableError } from '@union/common';
import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { classifyFetchFailure, outageResponse } from '../../gateway/src/subgraph-outage';

/** Issue 10, items 3 to 5: how failures are told apart, and what a subgraph that cannot answer is answered with. */
describe('outageResponse', () => {
  it('answers an entity fetch with null and a SERVICE_UNAVAILABLE error per field and entity, keeping typename and keys', () => {
    const query = `query Q__points__1($representations: [_Any!]!) { _entities(representations: $representations) { ... on Member { __typename id points { balance } total: rewardOrders { totalCount } } } }`;
    const representations = [
      { __typename: 'Member', id: 'm1' },
      { __typename: 'Member', id: 'm2' },
    ];
    const answer = outageResponse({ query, variables: { representations } });
    expect(answer.data).toEqual({
      _entities: [
        { __typename: 'Member', id: 'm1', points: null, total: null },
        { __typename: 'Member', id: 'm2', points: null, total: null },
      ],
    });
    expect(answer.errors!.map((e) => e.path)).toEqual([
      ['_entities', 0, 'points'],
      ['_entities', 0, 'total'],
      ['_entities', 1, 'points'],
      ['_entities', 1, 'total'],
    ]);
    expect(new Set(answer.errors!.map((e) => e.extensions?.code))).toEqual(new Set(['SERVICE_UNAVAILABLE']));
    expect(answer.errors![0].message).toMatch(/unavailable at the moment; retry after \d+ s/);
  });

  it('answers a root fetch with null per root field', () => {
    const answer = outageResponse({ query: `query Q__benefit__0 { batch: voucherBatch(id: "x") { name } __typename }` });
    expect(answer.data).toEqual({ batch: null, __typename: 'Query' });
    expect(answer.errors!.map((e) => e.path)).toEqual([['batch']]);
  });
});

describe('classifyFetchFailure', () => {
  const fromResponse = (status: number, body: unknown) => new GraphQLError(`${status}: x`, { extensions: { response: { status, body } } });

  it('treats socket errors, timeouts and 502/503/504 as unavailable', () => {
    expect(classifyFetchFailure(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4003'), { code: 'ECONNREFUSED' })).kind).toBe('unavailable');
    expect(classifyFetchFailure(new Error('socket hang up')).kind).toBe('unavailable');
    for (const status of [502, 503, 504]) expect(classifyFetchFailure(fromResponse(status, '')).kind).toBe('unavailable');
  });
  it('passes a subgraph 400 with contract errors through as the client mistake it is', () => {
    const failure = classifyFetchFailure(
      fromResponse(400, { errors: [{ message: 'Variable "$from" got invalid value', extensions: { code: 'BAD_USER_INPUT' } }] }),
    );
    expect(failure).toEqual({ kind: 'client-mistake', errors: [{ message: 'Variable "$from" got invalid value', extensions: { code: 'BAD_USER_INPUT' } }] });
  });
  it('keeps anything else internal (a 401 on the internal token, a 500)', () => {
    expect(classifyFetchFailure(fromResponse(401, { errors: [{ message: 'no', extensions: { code: 'UNAUTHENTICATED' } }] })).kind).toBe('internal');
    expect(classifyFetchFailure(fromResponse(500, 'boom')).kind).toBe('internal');
  });
});

describe('subgraph error formatting', () => {
  const logged: string[] = [];
  const format = safeErrorFormatter('points', (line) => logged.push(line));
  const wrapped = (original: Error) => new GraphQLError(original.message, { path: ['member', 'points'], originalError: original });

  it('turns a database that is not there into SERVICE_UNAVAILABLE at the path', () => {
    for (const original of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      new Error('Connection terminated unexpectedly'),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
      new Error('timeout exceeded when trying to connect'),
      new ServiceUnavailableError('127.0.0.1:4001', 'member-facts: fetch failed'),
      // The statement after a transaction's connection died (PostgreSQL killed mid-burst).
      new QueryRunnerAlreadyReleasedError(),
      // The same, for a statement sent through the transaction's EntityManager (seen in the crash test).
      new QueryRunnerProviderAlreadyReleasedError(),
    ]) {
      const error = wrapped(original);
      expect(format({ message: error.message, path: error.path }, error)).toMatchObject({
        path: ['member', 'points'],
        extensions: { code: 'SERVICE_UNAVAILABLE' },
      });
    }
  });
  it('turns PostgreSQL data exceptions into BAD_USER_INPUT, and leaves bugs internal', () => {
    const invalid = wrapped(Object.assign(new Error('invalid input syntax for type uuid: "x"'), { code: '22P02' }));
    expect(format({ message: invalid.message }, invalid)).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(format({ message: invalid.message }, invalid).message).not.toMatch(/uuid/);
    const bug = wrapped(new TypeError("Cannot read properties of undefined (reading 'id')"));
    expect(format({ message: bug.message }, bug)).toMatchObject({ extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(isDatabaseUnavailable(bug)).toBe(false);
    expect(isInputDataError(bug)).toBe(false);
  });
});
