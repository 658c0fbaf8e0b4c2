import { join } from 'node:path';
import { DEMO_PARTNERS, DEMO_PROGRAMS } from '@union/common';
import type { Partner } from '@union/gateway/dist/auth/partners';
import { loadOrCreateSigningKey, TokenService } from '@union/gateway/dist/auth/tokens';
import type { Client } from 'pg';
import type { LaunchedSystem } from '../system';

/**
 * Members for the benchmarks: the demo world has too few in one subtree. They are inserted straight
 * into the member schema in one statement (the only place anything writes another service's
 * schema), ACTIVE and real-name verified, in the given organization. `sql` must have
 * search_path=member: the schema's triggers name its tables unqualified.
 */
export async function addBenchMembers(sql: Client, organizationId: string, count: number): Promise<string[]> {
  const { rows } = await sql.query(
    `INSERT INTO member.members (id, organization_id, org_path, full_name, id_number_hash, id_number_last4, phone, card_number,
                                 status, real_name_verified, new_employment_form, joined_at)
     SELECT gen_random_uuid(), o.id, o.path, '压测会员' || i, decode(md5('bench-member-' || i), 'hex'), lpad((i % 10000)::text, 4, '0'),
            '139' || lpad(i::text, 8, '0'), 'GD8' || lpad(i::text, 11, '0'), 'ACTIVE', true, false, now()
       FROM member.organizations o, generate_series(1, $2) AS i
      WHERE o.id = $1
     RETURNING id`,
    [organizationId, count],
  );
  return rows.map((r) => r.id as string);
}

/**
 * MEMBER tokens as the token exchange issues them, signed with the gateway's key from dataDir (the
 * exchange itself verifies the platform's hashed secret per call, ~30/s, and is not what a
 * benchmark of member operations measures).
 */
export async function memberTokenMinter(dataDir: string, system: LaunchedSystem): Promise<(memberId: string) => Promise<string>> {
  const tokens = new TokenService({
    signingKey: await loadOrCreateSigningKey({ keyFile: join(dataDir, 'gateway-signing-key.pem') }),
    memberTokenTtlSeconds: 3600,
  });
  const platform = {
    id: DEMO_PARTNERS.platform.id,
    name: DEMO_PARTNERS.platform.name,
    kind: 'PLATFORM',
    status: 'active',
    scopes: ['member:act-as'],
    clientId: system.credentials.partners.platform.clientId,
  } as unknown as Partner;
  return async (memberId: string) => (await tokens.issueMemberToken(memberId, platform)).accessToken;
}

/** A batch of movie tickets in the demo welfare program, open for claims now, one per member: what a rush claims. */
export function rushBatchInput(quantity: number): Record<string, unknown> {
  const now = Date.now();
  return {
    programId: DEMO_PROGRAMS.welfare,
    name: '压测 观影券',
    voucherKind: 'MOVIE',
    faceValueFen: 3500,
    totalQuantity: quantity,
    perMemberLimit: 1,
    claimStartsAt: new Date(now - 60_000).toISOString(),
    claimEndsAt: new Date(now + 86_400_000).toISOString(),
    validFrom: new Date(now - 60_000).toISOString(),
    validTo: new Date(now + 30 * 86_400_000).toISOString(),
    redeemablePartnerIds: [DEMO_PARTNERS.merchant.id],
  };
}
