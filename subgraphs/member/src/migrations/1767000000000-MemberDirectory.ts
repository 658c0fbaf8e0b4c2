import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The organization tree and its members.
 *
 * Subtrees are found through a materialized path ('/1/5/23/', node numbers of the ancestors and
 * the organization itself) in the "C" collation, so "every member under X" is one btree range
 * scan on (org_path, id): it also gives keyset pagination in index order, however deep the page.
 * Members carry a copy of their organization's path; moving a member rewrites that one row.
 *
 * organization_stats holds subtree counters maintained by statement-level triggers, so a province
 * root with 15 million members answers its stats from one row instead of scanning them.
 */
export class MemberDirectory1767000000000 implements MigrationInterface {
  name = 'MemberDirectory1767000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE organizations (
        id uuid PRIMARY KEY,
        node_no bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        parent_id uuid REFERENCES organizations(id),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        kind text NOT NULL CHECK (kind IN ('FEDERATION', 'INDUSTRY_FEDERATION', 'REGIONAL', 'ENTERPRISE')),
        path text COLLATE "C" NOT NULL UNIQUE,
        depth int NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX organizations_parent_idx ON organizations (parent_id, name, id)`);

    await q.query(`
      CREATE TABLE members (
        id uuid PRIMARY KEY,
        organization_id uuid NOT NULL REFERENCES organizations(id),
        org_path text COLLATE "C" NOT NULL,
        full_name text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 50),
        id_number_hash bytea NOT NULL UNIQUE,
        id_number_last4 char(4) NOT NULL,
        phone text NOT NULL CHECK (phone ~ '^1[0-9]{10}$'),
        card_number text NOT NULL UNIQUE CHECK (card_number ~ '^GD[0-9]{12}$'),
        status text NOT NULL CHECK (status IN ('ACTIVE', 'SUSPENDED', 'TRANSFERRED_OUT', 'LAPSED')),
        real_name_verified boolean NOT NULL,
        new_employment_form boolean NOT NULL,
        joined_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX members_subtree_idx ON members (org_path, id)`);
    await q.query(`CREATE INDEX members_name_idx ON members (full_name COLLATE "C", id)`);

    await q.query(`
      CREATE TABLE organization_stats (
        organization_id uuid PRIMARY KEY REFERENCES organizations(id),
        member_count bigint NOT NULL DEFAULT 0 CHECK (member_count >= 0),
        active_count bigint NOT NULL DEFAULT 0 CHECK (active_count >= 0),
        verified_count bigint NOT NULL DEFAULT 0 CHECK (verified_count >= 0),
        new_employment_form_count bigint NOT NULL DEFAULT 0 CHECK (new_employment_form_count >= 0)
      )`);

    // One aggregate per statement, over the rows the statement touched, applied to every ancestor
    // (locked in id order so concurrent enrollments cannot deadlock on shared ancestors).
    const delta = (rows: string, sign: string) =>
      `SELECT org_path, ${sign} AS n,
              ${sign} * (status = 'ACTIVE')::int AS active,
              ${sign} * real_name_verified::int AS verified,
              ${sign} * new_employment_form::int AS nef
         FROM ${rows}`;
    const apply = (deltas: string) => `
      INSERT INTO organization_stats AS s (organization_id, member_count, active_count, verified_count, new_employment_form_count)
      SELECT o.id, sum(d.n), sum(d.active), sum(d.verified), sum(d.nef)
        FROM (${deltas}) d
        CROSS JOIN LATERAL unnest(string_to_array(trim(both '/' from d.org_path), '/')::bigint[]) AS a(node_no)
        JOIN organizations o ON o.node_no = a.node_no
       GROUP BY o.id
      HAVING sum(d.n) <> 0 OR sum(d.active) <> 0 OR sum(d.verified) <> 0 OR sum(d.nef) <> 0
       ORDER BY o.id
      ON CONFLICT (organization_id) DO UPDATE SET
        member_count = s.member_count + EXCLUDED.member_count,
        active_count = s.active_count + EXCLUDED.active_count,
        verified_count = s.verified_count + EXCLUDED.verified_count,
        new_employment_form_count = s.new_employment_form_count + EXCLUDED.new_employment_form_count`;

    await q.query(`CREATE FUNCTION member_stats_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN ${apply(delta('new_rows', '1'))}; RETURN NULL; END $$`);
    await q.query(`CREATE FUNCTION member_stats_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN ${apply(delta('old_rows', '-1'))}; RETURN NULL; END $$`);
    await q.query(`CREATE FUNCTION member_stats_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN ${apply(`${delta('new_rows', '1')} UNION ALL ${delta('old_rows', '-1')}`)}; RETURN NULL; END $$`);
    await q.query(`CREATE TRIGGER members_stats_insert AFTER INSERT ON members REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION member_stats_on_insert()`);
    await q.query(`CREATE TRIGGER members_stats_delete AFTER DELETE ON members REFERENCING OLD TABLE AS old_rows
      FOR EACH STATEMENT EXECUTE FUNCTION member_stats_on_delete()`);
    await q.query(`CREATE TRIGGER members_stats_update AFTER UPDATE ON members REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
      FOR EACH STATEMENT EXECUTE FUNCTION member_stats_on_update()`);

    // Bulk loaders (the scale generator) switch the triggers off and rebuild the counters at once.
    await q.query(`CREATE FUNCTION rebuild_organization_stats() RETURNS void LANGUAGE sql AS $$
      DELETE FROM organization_stats;
      INSERT INTO organization_stats (organization_id)
        SELECT id FROM organizations;
      ${apply(delta('members', '1'))};
    $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE organization_stats, members, organizations CASCADE`);
    await q.query(`DROP FUNCTION member_stats_on_insert, member_stats_on_delete, member_stats_on_update, rebuild_organization_stats`);
  }
}
