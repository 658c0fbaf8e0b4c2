import type { Client } from 'pg';

/** Counters vs. a recount from the members table, for every organization: both must agree. */
export async function statsDrift(sql: Client): Promise<unknown[]> {
  const { rows } = await sql.query(`
    WITH recount AS (
      SELECT o.id,
             count(m.id) AS member_count,
             count(m.id) FILTER (WHERE m.status = 'ACTIVE') AS active_count,
             count(m.id) FILTER (WHERE m.real_name_verified) AS verified_count,
             count(m.id) FILTER (WHERE m.new_employment_form) AS new_employment_form_count
        FROM organizations o
        LEFT JOIN members m ON m.org_path >= o.path AND m.org_path < left(o.path, -1) || '0'
       GROUP BY o.id)
    SELECT r.*, s.member_count AS c_member, s.active_count AS c_active, s.verified_count AS c_verified, s.new_employment_form_count AS c_nef
      FROM recount r LEFT JOIN organization_stats s ON s.organization_id = r.id
     WHERE coalesce(s.member_count, 0) <> r.member_count OR coalesce(s.active_count, 0) <> r.active_count
        OR coalesce(s.verified_count, 0) <> r.verified_count OR coalesce(s.new_employment_form_count, 0) <> r.new_employment_form_count`);
  return rows;
}
