import { badInput, contractError, forbidden, notFound } from '@union/common';

/** Errors the member subgraph answers with; codes come from the partner contract. */
export const MemberErrors = {
  badInput,
  notFound,
  forbidden,
  notEligible: (message: string) => contractError('NOT_ELIGIBLE', message),
  alreadyMember: () => contractError('ALREADY_MEMBER', 'this person already has a union membership'),
  nameSearchNeedsPii: () => forbidden('searching by name needs member:pii; search by exact card number instead'),
};
