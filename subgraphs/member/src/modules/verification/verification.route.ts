import { isUuid, type MemberFacts, type VerificationFacts } from '@union/common';
import type { DataSource } from 'typeorm';
import { organizationChainSql } from '../organization/organization.service';

/** POST /internal/verification {id}: the verification and its member's current facts, or null. */
export async function verificationFacts(db: DataSource, body: unknown): Promise<VerificationFacts | null> {
  const id = (body as { id?: unknown } | null)?.id;
  if (!isUuid(id)) return null;
  // The chain is the member's organization and its ancestors, nearest first, as member-facts answers it.
  const rows: Array<Record<string, unknown>> = await db.query(
    `SELECT v.id, v.partner_id, v.purpose, v.method, v.expires_at,
            m.id AS member_id, m.status, m.real_name_verified, m.organization_id,
            ${organizationChainSql('m.org_path')} AS chain
       FROM member_verifications v JOIN members m ON m.id = v.member_id
      WHERE v.id = $1`,
    [id],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    id: row.id as string,
    partnerId: row.partner_id as string,
    purpose: row.purpose as VerificationFacts['purpose'],
    method: row.method as VerificationFacts['method'],
    expiresAt: (row.expires_at as Date).toISOString(),
    member: {
      id: row.member_id as string,
      status: row.status as MemberFacts['status'],
      realNameVerified: row.real_name_verified as boolean,
      organizationId: row.organization_id as string,
      organizationChain: row.chain as string[],
    },
  };
}
