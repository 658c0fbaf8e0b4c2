import { memberDirectoryRoutes, type InternalRoute } from '@union/common';
import type { DataSource } from 'typeorm';
import { memberFactsByIds, organizationFactsByIds } from './modules/directory/directory.store';
import { verificationFacts } from './modules/verification/verification.route';

/**
 * What other subgraphs may ask the member subgraph (service callers only): the member directory
 * contract (packages/common member-directory.ts), facts for eligibility and visibility decisions,
 * never personal data.
 */
export function memberInternalRoutes(db: DataSource): Record<string, InternalRoute> {
  return memberDirectoryRoutes({
    memberFacts: ({ ids }) => memberFactsByIds(db, ids),
    organizationFacts: ({ ids }) => organizationFactsByIds(db, ids),
    verification: (request) => verificationFacts(db, request),
  });
}
