import { isUuid, type InternalRoute, type MemberFacts, type OrganizationFacts } from '@union/common';
import type { DataSource } from 'typeorm';
import { organizationChainSql } from './modules/organization/organization.service';
import { verificationFacts } from './modules/verification/verification.route';

const idsOf = (body: unknown): string[] => {
  const ids = (body as { ids?: unknown })?.ids;
  return Array.isArray(ids) ? ids.filter(isUuid).slice(0, 5000) : [];
};

/**
 * What other subgraphs may ask the member subgraph (service callers only): the facts they need
 * for eligibility and visibility decisions, never personal data.
 */
export function memberInternalRoutes(db: DataSource): Record<string, InternalRoute> {
  return {
    'member-facts': async (body) => {
      const rows: Array<{ id: string; status: MemberFacts['status']; real_name_verified: boolean; organization_id: string; chain: string[] }> = await db.query(
        `SELECT m.id, m.status, m.real_name_verified, m.organization_id, ${organizationChainSql('m.org_path')} AS chain
             FROM members m WHERE m.id = ANY($1::uuid[])`,
        [idsOf(body)],
      );
      return rows.map((r): MemberFacts => ({
        id: r.id,
        status: r.status,
        realNameVerified: r.real_name_verified,
        organizationId: r.organization_id,
        organizationChain: r.chain,
      }));
    },
    'organization-facts': async (body) => {
      const rows: Array<{ id: string; chain: string[] }> = await db.query(
        `SELECT o2.id, ${organizationChainSql('o2.path')} AS chain FROM organizations o2 WHERE o2.id = ANY($1::uuid[])`,
        [idsOf(body)],
      );
      return rows.map((r): OrganizationFacts => ({ id: r.id, chain: r.chain }));
    },
    verification: (body) => verificationFacts(db, body),
  };
}
