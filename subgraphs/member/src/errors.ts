import { badInput, contractError, forbidden, notFound } from '@union/common';

/** Errors the member subgraph answers with; codes come from the partner contract. */
export const MemberErrors = {
  badInput,
  notFound,
  forbidden,
  notEligible: (message: string) => contractError('NOT_ELIGIBLE', message),
  alreadyMember: () => contractError('ALREADY_MEMBER', 'this person already has a union membership'),
  /** Approving an application of a person who is a member elsewhere: the membership moves by transfer, never by a second one. */
  alreadyMemberElsewhere: (memberIdInSubtree: string | null) =>
    contractError(
      'ALREADY_MEMBER',
      memberIdInSubtree
        ? 'this person is already a member of another organization of your subtree: transfer the member (transferMember) instead'
        : 'this person is already a member of a union outside your subtree: the union above both organizations transfers the member (transferMember)',
      { hint: 'TRANSFER', remedy: 'transferMember', ...(memberIdInSubtree ? { memberId: memberIdInSubtree } : {}) },
    ),
  applicationClosed: (why: string) => contractError('APPLICATION_CLOSED', why),
  rateLimited: (message: string, retryAfterSeconds: number) => contractError('RATE_LIMITED', message, { retryAfterSeconds }),
  nameSearchNeedsPii: () => forbidden('searching by name needs member:pii; search by exact card number instead'),
};
