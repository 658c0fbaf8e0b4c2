import { badInput, contractError, forbidden, notFound } from '@union/common';

/** Errors of the hospital discount operations; codes come from the partner contract. */
export const HospitalErrors = {
  badInput,
  notFound,
  forbidden,
  notHospital: () => forbidden('only HOSPITAL partners apply hospital discounts'),
  verificationUnusable: (why: string) => contractError('VERIFICATION_EXPIRED', why),
  notEligible: (why: string) => contractError('NOT_ELIGIBLE', why),
  annualCapReached: () => contractError('ANNUAL_CAP_REACHED', "the member's annual discount cap under this program is used up for this year"),
  invoiceConflict: () => contractError('IDEMPOTENCY_CONFLICT', 'this invoiceNumber was already used for another claim (different amount, member or program)'),
};
