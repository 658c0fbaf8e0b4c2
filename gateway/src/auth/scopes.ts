import type { PartnerKind } from '@union/common';

/**
 * The scope catalogue. A scope is what a token may do; which partner kinds may ever hold a scope is
 * fixed here, so that an operator typo cannot hand a hospital personal data or a merchant the
 * right to grant vouchers.
 */
export const SCOPE_DESCRIPTIONS = {
  'member:verify': 'Verify a member card token (QR code) shown by a member at the counter.',
  'member:read': 'Read members and organizations; personal data stays masked.',
  'member:pii': "See full names and phone numbers of members in the union's own organization subtree.",
  'member:write': "Enroll, update and change the status of members in the union's own subtree.",
  'member:export': "Export member lists of the union's own subtree.",
  'member:act-as': 'Exchange a member id for a short-lived MEMBER token (member apps on a platform).',
  'member:assert-verified': "Assert at enrollment that the union has verified the member's real name.",
  'discount:apply': 'Apply a hospital discount to a verified member.',
  'voucher:redeem': 'Redeem vouchers presented by members, and cancel own redemptions.',
  'voucher:grant': 'Grant vouchers from programs the union sponsors.',
  'benefit:manage': 'Create and manage benefit programs, policies and voucher batches.',
  'points:award': 'Award points to members.',
  'reward:manage': 'Manage the points mall: rewards, stock and prices.',
  'reconcile:read': 'Read reconciliation reports of own redemptions (a union: of programs it sponsors).',
  'member:self': 'Act as the member: own card, vouchers and points. Only ever in MEMBER tokens.',
} as const;

export type Scope = keyof typeof SCOPE_DESCRIPTIONS;

export const ALL_SCOPES = Object.keys(SCOPE_DESCRIPTIONS) as Scope[];

export const PARTNER_KINDS: readonly PartnerKind[] = ['HOSPITAL', 'TRAVEL_PARTNER', 'MERCHANT', 'UNION', 'PLATFORM'];

/** Kind -> every scope a partner of that kind may hold (and, by default, is created with). */
export const SCOPES_BY_KIND: Readonly<Record<PartnerKind, readonly Scope[]>> = {
  HOSPITAL: ['member:verify', 'discount:apply', 'reconcile:read'],
  TRAVEL_PARTNER: ['member:verify', 'voucher:redeem', 'reconcile:read'],
  MERCHANT: ['member:verify', 'voucher:redeem', 'reconcile:read'],
  UNION: [
    'member:read',
    'member:pii',
    'member:write',
    'member:export',
    'member:assert-verified',
    'benefit:manage',
    'voucher:grant',
    'points:award',
    'reconcile:read',
  ],
  PLATFORM: ['member:read', 'member:act-as', 'points:award', 'reward:manage', 'reconcile:read'],
};

/** The only scopes a MEMBER token carries; no partner can hold them. */
export const MEMBER_SCOPES: readonly Scope[] = ['member:self'];

export const isScope = (value: string): value is Scope => Object.prototype.hasOwnProperty.call(SCOPE_DESCRIPTIONS, value);

export const isPartnerKind = (value: string): value is PartnerKind => (PARTNER_KINDS as readonly string[]).includes(value);

/** The requested scopes a partner of `kind` may not hold (unknown scopes included). */
export function scopesNotAllowedFor(kind: PartnerKind, scopes: readonly string[]): string[] {
  const allowed: readonly string[] = SCOPES_BY_KIND[kind];
  return scopes.filter((scope) => !allowed.includes(scope));
}

/** Deduplicates and orders scopes as in the catalogue, so stored and issued lists read the same everywhere. */
export function normalizeScopes<T extends string>(scopes: readonly T[]): T[] {
  const order: readonly string[] = ALL_SCOPES;
  return [...new Set(scopes)].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

/** Splits an OAuth `scope` parameter (RFC 6749 §3.3: space-delimited) into its tokens. */
export const parseScopeParameter = (value: string): string[] => value.split(' ').filter((token) => token !== '');
