import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The partner registry and the audit trail. Table names are unqualified: the gateway's DataSource
 * sets search_path to the `gateway` schema, so everything lands there.
 */
export class PartnerRegistry1795364000000 implements MigrationInterface {
  name = 'PartnerRegistry1795364000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE partners (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(btrim(name)) > 0),
        kind text NOT NULL CHECK (kind IN ('HOSPITAL', 'TRAVEL_PARTNER', 'MERCHANT', 'UNION', 'PLATFORM')),
        -- Which scopes a kind may hold is policy in code (auth/scopes.ts); the database only refuses
        -- a partner that could never be issued a token.
        scopes text[] NOT NULL CHECK (cardinality(scopes) > 0 AND NOT ('member:self' = ANY (scopes))),
        -- A union acts on its organization's subtree; other kinds act on no organization at all.
        organization_id uuid NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
        client_id text NOT NULL UNIQUE,
        -- scrypt$N$r$p$salt$hash: the secret itself is never stored.
        secret_hash text NOT NULL CHECK (secret_hash LIKE 'scrypt$%'),
        secret_rotated_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        disabled_at timestamptz NULL,
        -- Per-partner override of the cost budget per minute; NULL means the gateway default.
        rate_limit_per_minute integer NULL CHECK (rate_limit_per_minute IS NULL OR rate_limit_per_minute > 0),
        CONSTRAINT partners_union_has_organization CHECK ((kind = 'UNION') = (organization_id IS NOT NULL)),
        CONSTRAINT partners_disabled_at_matches_status CHECK ((status = 'disabled') = (disabled_at IS NOT NULL))
      )
    `);

    // No foreign key to partners: an audit record must be written (and kept) whatever happens to
    // the partner row, and SERVICE principals have no partner at all.
    await queryRunner.query(`
      CREATE TABLE audit_records (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        partner_id uuid NULL,
        principal_kind text NOT NULL,
        operation_name text NULL,
        member_ids uuid[] NOT NULL DEFAULT '{}',
        fields text[] NOT NULL DEFAULT '{}',
        detail jsonb NULL
      )
    `);
    await queryRunner.query(`CREATE INDEX audit_records_at_idx ON audit_records (at)`);
    await queryRunner.query(`CREATE INDEX audit_records_partner_at_idx ON audit_records (partner_id, at)`);
    // "Who looked at member X" is the question a member or an inspector asks of the trail.
    await queryRunner.query(`CREATE INDEX audit_records_member_ids_idx ON audit_records USING gin (member_ids)`);

    // Append-only in the database itself, so that neither an application bug nor a hand-written
    // statement through the service's own connection can rewrite history.
    await queryRunner.query(`
      CREATE FUNCTION audit_records_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_records is append-only: % is not allowed', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END
      $$
    `);
    await queryRunner.query(`
      CREATE TRIGGER audit_records_append_only
        BEFORE UPDATE OR DELETE ON audit_records
        FOR EACH ROW EXECUTE FUNCTION audit_records_refuse_change()
    `);
    // Row triggers do not fire on TRUNCATE, which would otherwise empty the trail in one statement.
    await queryRunner.query(`
      CREATE TRIGGER audit_records_no_truncate
        BEFORE TRUNCATE ON audit_records
        FOR EACH STATEMENT EXECUTE FUNCTION audit_records_refuse_change()
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE audit_records`);
    await queryRunner.query(`DROP FUNCTION audit_records_refuse_change()`);
    await queryRunner.query(`DROP TABLE partners`);
  }
}
