import { isUuid } from '@union/common';
import type { MemberPoints } from './member.types';

/**
 * Member references carry only the id here; who may read what is decided on each field
 * (points), with the member's union chain from the member subgraph.
 */
export function resolveMemberReference(reference: { id: string }): MemberPoints | null {
  return isUuid(reference.id) ? { id: reference.id } : null;
}
