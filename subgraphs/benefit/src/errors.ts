import { badInput, forbidden, notFound } from '@union/common';

/** Errors the benefit subgraph answers with; codes come from the partner contract. */
export const BenefitErrors = {
  badInput,
  notFound,
  forbidden,
  outsideSubtree: () => forbidden('the organization is outside the subtree you act on'),
};
