import type { ErrorCode } from './errors';

/**
 * One entry of the error catalogue: what a partner's engineer needs to handle a code without
 * reading our source. Served as JSON at GET /errors and rendered into docs/errors.md.
 */
export interface ErrorCatalogueEntry {
  /** `extensions.code`. */
  code: ErrorCode;
  /**
   * HTTP status of the response when this error refuses the whole request. Errors raised by one
   * field of an operation arrive in a 200 response next to the data of the other fields; those
   * codes say 200 here.
   */
  httpStatus: number;
  /** Whether sending the same request again, unchanged, can succeed (after Retry-After where given). */
  retryable: boolean;
  /** When it happens. */
  meaning: string;
  /** What the partner should do about it. */
  action: string;
}

/**
 * Every code any service raises to a partner, in the order of the contract's list. The type makes
 * a new code in `ErrorCodes` fail to compile until it is described here;
 * tests/unit/error-catalogue.test.ts fails when a service raises a code that is not here.
 */
export const ERROR_CATALOGUE: { readonly [C in ErrorCode]: Omit<ErrorCatalogueEntry, 'code'> } = {
  UNAUTHENTICATED: {
    httpStatus: 401,
    retryable: false,
    meaning: 'No access token, or one that is expired, forged, issued for another audience, or of a partner disabled since (within 15 s).',
    action:
      'Get a new token from POST /oauth/token (client credentials) and send it as `Authorization: Bearer ...`; if a fresh token is refused too, ask the operator whether the partner is disabled.',
  },
  FORBIDDEN: {
    httpStatus: 403,
    retryable: false,
    meaning:
      "Authenticated, but the token lacks a scope (named in the message), the partner kind may not do it, or the organization is outside the union's subtree. 403 when the gateway refuses the operation before running it; 200 when one field is refused.",
    action: 'Do not retry. Check `viewer { scopes }`; ask the operator for the scope, or act only on your own subtree, claims and redemptions.',
  },
  NOT_FOUND: {
    httpStatus: 200,
    retryable: false,
    meaning: 'The id does not exist, or the caller may not know that it exists (the same answer on purpose).',
    action: 'Check the id and that it belongs to your organization or partner; do not retry.',
  },
  BAD_USER_INPUT: {
    httpStatus: 200,
    retryable: false,
    meaning:
      'Malformed input: zero or negative money, a bad ID-number check digit, `first` over 100, a forged cursor, an operation that does not parse or validate (HTTP 400), a body that is not JSON (400). `extensions.field` names the input where known.',
    action: 'Fix the request (the message and `extensions.field` say what); the same request will fail again. Nothing was written.',
  },
  IDEMPOTENCY_CONFLICT: {
    httpStatus: 200,
    retryable: false,
    meaning: 'An idempotency key (invoice number, partner order id, sourceRef, idempotencyKey) was sent again with different content.',
    action:
      'A retry must repeat the original request exactly; for a new business event use a new key. Look the original up (e.g. discountClaims, redemptions) if unsure.',
  },
  VERIFICATION_EXPIRED: {
    httpStatus: 200,
    retryable: false,
    meaning: 'The verificationId is past its expiresAt, or belongs to another partner.',
    action: 'Verify the member card again (verifyMemberCard / verifyMemberByCardNumber) and use the new verificationId.',
  },
  NOT_ELIGIBLE: {
    httpStatus: 200,
    retryable: false,
    meaning: "The member is not ACTIVE, not in the program sponsor's subtree, or does not meet the rule (e.g. not real-name verified).",
    action: 'Do not grant the benefit; tell the member to contact their union. Retrying does not help.',
  },
  ANNUAL_CAP_REACHED: {
    httpStatus: 200,
    retryable: false,
    meaning: "The member's yearly hospital discount cap is used up (quoteHospitalDiscount answers 0 instead).",
    action: 'Bill the self-paid amount without a union discount. The cap renews on 1 January (Asia/Shanghai) or when a claim is voided.',
  },
  ALREADY_MEMBER: {
    httpStatus: 200,
    retryable: false,
    meaning: 'This ID number already has a union membership, anywhere in the organization tree.',
    action: 'Do not enroll again; a move between unions is a transfer (transferMember), done by a union above both.',
  },
  SOLD_OUT: {
    httpStatus: 200,
    retryable: false,
    meaning: 'claimVoucher: no vouchers of this batch are left.',
    action: 'Show the batch as sold out; a later claim only succeeds if vouchers come back (cancellations).',
  },
  LIMIT_REACHED: {
    httpStatus: 200,
    retryable: false,
    meaning: 'claimVoucher: the member already holds perMemberLimit vouchers of this batch.',
    action: 'Show the member their existing voucher; do not retry.',
  },
  CLAIM_NOT_OPEN: {
    httpStatus: 200,
    retryable: true,
    meaning: "claimVoucher: the batch's claim window has not started (or has ended).",
    action: 'Retry only after the time named in the message; after the window has ended it will not open again.',
  },
  VOUCHER_NOT_FOUND: {
    httpStatus: 200,
    retryable: false,
    meaning: 'redeemVoucher / validateVoucher: no voucher has this code (each failed guess costs rate budget).',
    action: 'Ask the member to show the code again; do not loop over guesses.',
  },
  VOUCHER_EXPIRED: {
    httpStatus: 200,
    retryable: false,
    meaning: 'The voucher is past its validTo (or not yet valid).',
    action: 'Refuse the voucher at the counter; the member cannot use it now.',
  },
  VOUCHER_ALREADY_REDEEMED: {
    httpStatus: 200,
    retryable: false,
    meaning: 'The voucher was redeemed before (by an order other than this partnerOrderId).',
    action: 'Refuse it; a retry of your own redemption with the same partnerOrderId answers the original instead of this error.',
  },
  MIN_SPEND_NOT_MET: {
    httpStatus: 200,
    retryable: false,
    meaning: "The order amount is below the voucher's minimum spend.",
    action: 'Redeem with a larger order, or without the voucher.',
  },
  PARTNER_NOT_ALLOWED: {
    httpStatus: 200,
    retryable: false,
    meaning: 'This voucher cannot be redeemed at your business (batch restricted to other partners).',
    action: 'Refuse the voucher; it is for another partner.',
  },
  INSUFFICIENT_POINTS: {
    httpStatus: 200,
    retryable: false,
    meaning: "The member's points balance is below the reward's cost.",
    action: 'Show the balance; the member can redeem after earning more.',
  },
  OUT_OF_STOCK: {
    httpStatus: 200,
    retryable: false,
    meaning: 'The reward has less stock than the quantity ordered.',
    action: 'Show the reward as out of stock, or order fewer.',
  },
  DAILY_CAP_REACHED: {
    httpStatus: 200,
    retryable: false,
    meaning: "The points rule's cap for this member is reached (per Asia/Shanghai day, or once ever); `extensions.rule`, `cap`, `period`.",
    action: 'Do not retry today; a daily cap renews at midnight Asia/Shanghai.',
  },
  RATE_LIMITED: {
    httpStatus: 429,
    retryable: true,
    meaning: 'Your per-minute cost budget is spent (or every export slot is busy); `extensions.cost`, `budgetPerMinute`, `retryAfterSeconds`.',
    action: 'Wait `Retry-After` seconds, then retry; ask for less per operation (smaller `first`, fewer fields) if it keeps happening.',
  },
  QUERY_TOO_COMPLEX: {
    httpStatus: 400,
    retryable: false,
    meaning: 'Depth, aliases, top-level fields, cost or size over the limit (413 for a body over the size limit); `extensions.limit` names which.',
    action: 'Split the operation or ask for less; the same operation will be refused again.',
  },
  SERVICE_UNAVAILABLE: {
    httpStatus: 503,
    retryable: true,
    meaning: 'A service or the database is down or overloaded; the fields it serves are null with this error, or the whole request answers 503.',
    action: 'Retry after `Retry-After` seconds with the same idempotency key; writes that failed this way did not happen.',
  },
  APPLICATION_CLOSED: {
    httpStatus: 200,
    retryable: false,
    meaning: 'submitJoinApplication: the invitation is expired, full or unknown.',
    action: 'Ask the union for a new join QR code.',
  },
  INTERNAL_SERVER_ERROR: {
    httpStatus: 500,
    retryable: true,
    meaning: 'Our fault: an unexpected error. `extensions.errorId` identifies it in our logs.',
    action: 'Retry once with the same idempotency key; if it persists, quote `extensions.errorId` and the `x-request-id` response header to the operator.',
  },
};

/** The catalogue as a list, for GET /errors and docs/errors.md. */
export function errorCatalogue(): ErrorCatalogueEntry[] {
  return (Object.keys(ERROR_CATALOGUE) as ErrorCode[]).map((code) => ({ code, ...ERROR_CATALOGUE[code] }));
}

/** Errors of POST /oauth/token (RFC 6749 section 5.2), answered as `{ error, error_description }`. */
export const TOKEN_ERRORS = [
  { error: 'invalid_request', httpStatus: 400, action: 'Send grant_type and the client credentials (HTTP Basic or form fields), form-encoded.' },
  {
    error: 'invalid_client',
    httpStatus: 401,
    action: 'Check client id and secret; unknown client, wrong secret and disabled partner answer alike on purpose.',
  },
  { error: 'invalid_grant', httpStatus: 400, action: 'Token exchange: the subject (member) is unknown or may not be acted for.' },
  { error: 'unauthorized_client', httpStatus: 400, action: 'Your partner kind may not use this grant type.' },
  { error: 'unsupported_grant_type', httpStatus: 400, action: 'Use client_credentials (or token exchange for a platform).' },
  { error: 'invalid_scope', httpStatus: 400, action: 'Ask only for scopes your partner holds (see viewer { scopes }).' },
  {
    error: 'temporarily_unavailable',
    httpStatus: 429,
    action: 'Too many failed authentications from your address (429), or the member directory is down (503): wait Retry-After seconds.',
  },
] as const;
