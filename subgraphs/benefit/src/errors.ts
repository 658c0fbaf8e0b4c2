import { badInput, contractError, forbidden, notFound } from '@union/common';

/** Errors the benefit subgraph answers with; codes come from the partner contract. */
export const BenefitErrors = {
  badInput,
  notFound,
  forbidden,
  notEligible: (why: string) => contractError('NOT_ELIGIBLE', why),
  outsideSubtree: () => forbidden('the organization is outside the subtree you act on'),
};
