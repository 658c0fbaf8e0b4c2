import { isUuid } from '@union/common';
import type { MemberBenefits } from './member.types';

/**
 * Member references carry only the id here; who may read what is decided on each field
 * (vouchers, hospitalDiscountUsedFen), with the member's union chain from the member subgraph.
 */
export function resolveMemberReference(reference: { id: string }): MemberBenefits | null {
  return isUuid(reference.id) ? { id: reference.id } : null;
}
