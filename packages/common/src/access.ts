import type { MemberFacts } from './member-directory';
import type { Principal } from './principal';

/**
 * A member's own accounts (vouchers, points, discount usage) are visible to the member, to the
 * unions on the member's organization chain, and to the PLATFORM. Nobody else.
 */
export function canReadMemberAccount(principal: Principal, member: MemberFacts | null): boolean {
  if (!member) return false;
  switch (principal.kind) {
    case 'MEMBER':
      return principal.id === member.id;
    case 'UNION':
      return !!principal.organizationId && member.organizationChain.includes(principal.organizationId);
    case 'PLATFORM':
    case 'SERVICE':
      return true;
    default:
      return false;
  }
}

/** Is `organizationChain` (nearest first) inside the subtree of a UNION caller's organization? */
export function inUnionSubtree(principal: Principal, organizationChain: string[]): boolean {
  return principal.kind === 'UNION' && !!principal.organizationId && organizationChain.includes(principal.organizationId);
}
