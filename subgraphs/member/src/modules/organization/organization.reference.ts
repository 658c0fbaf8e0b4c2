import { isUuid } from '@union/common';
import type { MemberContext } from '../../context';
import type { OrganizationEntity } from './organization.entity';

/**
 * Organization references from other subgraphs (a program's sponsor, a viewer's organization).
 * The referencing subgraph already decided the caller may see the parent record, and names of
 * union organizations are public; what is inside an organization (members, children, stats) is
 * guarded on those fields, which check the caller's subtree again.
 */
export async function resolveOrganizationReference(reference: { id: string }, ctx: MemberContext): Promise<OrganizationEntity | null> {
  if (!isUuid(reference.id)) return null;
  return ctx.loaders.organizationById.load(reference.id);
}
