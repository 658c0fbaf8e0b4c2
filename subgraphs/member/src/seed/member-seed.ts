import type { DemoWorld } from '@union/common';
import type { DataSource } from 'typeorm';
import { hashIdNumber } from '../modules/member/member.identity';
import { insertOrganization } from '../modules/organization/organization.service';
import { type DemoData, generateDemoData } from './demo-data';

const CHUNK = 1000;

/**
 * Loads the deterministic demo world into an empty member schema (organizations first, parents
 * before children; members in chunks). Does nothing when organizations already exist, so a second
 * `npm start` keeps the data it has.
 */
export async function seedMemberDemo(db: DataSource, idNumberHmacKey: string, data: DemoData = generateDemoData()): Promise<boolean> {
  return db.transaction(async (tx) => {
    // Two starters seeding the same empty database: the second waits here, then finds data.
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('member-demo-seed'))`);
    const [{ n }] = await tx.query(`SELECT count(*)::int AS n FROM organizations`);
    if (n > 0) return false;
    for (const organization of data.organizations) await insertOrganization(tx, organization);
    for (let start = 0; start < data.members.length; start += CHUNK) {
      const chunk = data.members.slice(start, start + CHUNK);
      await tx.query(
        `INSERT INTO members (id, organization_id, org_path, full_name, id_number_hash, id_number_last4, phone, card_number,
                              status, real_name_verified, new_employment_form, joined_at)
         SELECT m.id, m.organization_id, o.path, m.full_name, m.id_number_hash, m.last4, m.phone, m.card_number,
                m.status, m.real_name_verified, m.new_employment_form, m.joined_at
           FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bytea[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bool[], $10::bool[], $11::timestamptz[])
                AS m(id, organization_id, full_name, id_number_hash, last4, phone, card_number, status, real_name_verified, new_employment_form, joined_at)
           JOIN organizations o ON o.id = m.organization_id`,
        [
          chunk.map((m) => m.id),
          chunk.map((m) => m.organizationId),
          chunk.map((m) => m.fullName),
          chunk.map((m) => hashIdNumber(idNumberHmacKey, m.idNumber)),
          chunk.map((m) => m.idNumber.slice(-4)),
          chunk.map((m) => m.phone),
          chunk.map((m) => m.cardNumber),
          chunk.map((m) => m.status),
          chunk.map((m) => m.realNameVerified),
          chunk.map((m) => m.newEmploymentForm),
          chunk.map((m) => m.joinedAt),
        ],
      );
    }
    return true;
  });
}

/** The landmarks and fixture members every other service's demo seed builds on. */
export function demoWorld(data: DemoData = generateDemoData()): DemoWorld {
  const ref = (m: DemoData['members'][number]) => ({ id: m.id, cardNumber: m.cardNumber, fullName: m.fullName, organizationId: m.organizationId });
  const f = data.fixtures;
  return {
    organizations: {
      provinceId: f.provinceId,
      cityUnionOrgId: f.cityUnionOrgId,
      districtUnionOrgId: f.districtUnionOrgId,
      siblingDistrictUnionOrgId: f.siblingDistrictUnionOrgId,
      liaochengOrgId: f.liaochengOrgId,
    },
    districtMembers: f.districtMembers.map(ref),
    siblingDistrictMembers: f.siblingDistrictMembers.map(ref),
    allMemberIds: data.members.map((m) => m.id),
  };
}
