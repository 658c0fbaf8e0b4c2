import { badInput, contractError, forbidden, notFound } from '@union/common';

/** Errors the events subgraph answers with; codes come from the partner contract. */
export const EventsErrors = {
  badInput,
  notFound,
  forbidden,
  tooManyEndpoints: (max: number) =>
    contractError('BAD_USER_INPUT', `a partner may have at most ${max} webhook endpoints`, { field: 'url', reason: 'TOO_MANY_ENDPOINTS' }),
};
