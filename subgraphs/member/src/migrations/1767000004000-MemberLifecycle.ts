import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The member lifecycle of local unions: join invitations and applications (扫码入会), updates and
 * status changes in the membership history, bulk imports, and incremental sync (updatedAt).
 *
 * - `members.updated_at` is kept by the database: a BEFORE UPDATE trigger stamps every update
 *   that changes the row, whichever statement made it (services, operators, future code), so
 *   `MemberFilter.changedSince` cannot miss a change someone forgot to stamp.
 * - `members_changed_idx (org_path, updated_at, id)`: "changed since T in this subtree" is one
 *   range of the index (org_path range, then updated_at bound checked inside the index).
 * - The membership history gets UPDATED and STATUS_CHANGED entries (which fields, never values:
 *   the history is read by every union on the chain, a phone number is personal data).
 * - Join applications are rate-limited per invitation and per ID number by counters in
 *   `join_rate_windows`, incremented in the same transaction as the application.
 */
export class MemberLifecycle1767000004000 implements MigrationInterface {
  name = 'MemberLifecycle1767000004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE FUNCTION member_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF ROW(NEW.*) IS DISTINCT FROM ROW(OLD.*) THEN NEW.updated_at := now(); END IF;
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER members_touch_updated_at BEFORE UPDATE ON members FOR EACH ROW EXECUTE FUNCTION member_touch_updated_at()`);
    await q.query(`CREATE INDEX members_changed_idx ON members (org_path, updated_at, id)`);

    await q.query(`ALTER TABLE membership_events DROP CONSTRAINT membership_events_kind_check`);
    await q.query(`ALTER TABLE membership_events DROP CONSTRAINT membership_events_check`);
    await q.query(`ALTER TABLE membership_events DROP CONSTRAINT membership_events_check1`);
    await q.query(`ALTER TABLE membership_events
      ADD COLUMN from_status text,
      ADD COLUMN to_status text,
      ADD COLUMN reason text CHECK (length(reason) BETWEEN 1 AND 500),
      ADD COLUMN changed_fields text[],
      ADD CONSTRAINT membership_events_kind_check CHECK (kind IN ('ENROLLED', 'TRANSFERRED', 'UPDATED', 'STATUS_CHANGED')),
      ADD CONSTRAINT membership_events_from_check CHECK ((kind = 'TRANSFERRED') = (from_organization_id IS NOT NULL)),
      ADD CONSTRAINT membership_events_move_check CHECK (from_organization_id IS DISTINCT FROM to_organization_id),
      ADD CONSTRAINT membership_events_status_check CHECK ((kind = 'STATUS_CHANGED') = (to_status IS NOT NULL AND from_status IS NOT NULL AND reason IS NOT NULL)),
      ADD CONSTRAINT membership_events_fields_check CHECK ((kind = 'UPDATED') = (changed_fields IS NOT NULL))`);

    await q.query(`
      CREATE TABLE join_invitations (
        id uuid PRIMARY KEY,
        organization_id uuid NOT NULL REFERENCES organizations(id),
        code text NOT NULL UNIQUE,
        auto_approve boolean NOT NULL,
        expires_at timestamptz,
        max_applications int CHECK (max_applications BETWEEN 1 AND 1000000),
        application_count int NOT NULL DEFAULT 0 CHECK (application_count >= 0),
        created_by_kind text NOT NULL,
        created_by_id text NOT NULL,
        created_by_name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (max_applications IS NULL OR application_count <= max_applications)
      )`);
    await q.query(`CREATE INDEX join_invitations_organization_idx ON join_invitations (organization_id, created_at)`);

    await q.query(`
      CREATE TABLE join_applications (
        id uuid PRIMARY KEY,
        invitation_id uuid NOT NULL REFERENCES join_invitations(id),
        organization_id uuid NOT NULL REFERENCES organizations(id),
        org_path text COLLATE "C" NOT NULL,
        full_name text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 50),
        id_number_hash bytea NOT NULL,
        id_number_last4 char(4) NOT NULL,
        phone text NOT NULL CHECK (phone ~ '^1[0-9]{10}$'),
        new_employment_form boolean NOT NULL,
        employer text CHECK (length(employer) BETWEEN 1 AND 100),
        status text NOT NULL CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED')),
        submitted_by text NOT NULL,
        -- Milliseconds, as JavaScript dates carry them: the (submitted_at, id) keyset cursor round-trips exactly.
        submitted_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        decided_at timestamptz,
        decided_by_kind text,
        decided_by_id text,
        decided_by_name text,
        rejection_reason text CHECK (length(rejection_reason) BETWEEN 1 AND 500),
        member_id uuid REFERENCES members(id),
        UNIQUE (invitation_id, id_number_hash),
        CHECK ((status = 'PENDING') = (decided_at IS NULL)),
        CHECK ((status = 'REJECTED') = (rejection_reason IS NOT NULL)),
        CHECK ((status = 'APPROVED') = (member_id IS NOT NULL))
      )`);
    // A union's review queue: its subtree's applications of one status, oldest first.
    await q.query(`CREATE INDEX join_applications_queue_idx ON join_applications (org_path, status, submitted_at, id)`);

    await q.query(`
      CREATE TABLE join_rate_windows (
        limit_key text NOT NULL,
        window_start timestamptz NOT NULL,
        used int NOT NULL CHECK (used >= 0),
        PRIMARY KEY (limit_key, window_start)
      )`);

    // One row per bulk import (dry runs included), written before the first row is read and
    // closed when the answer is sent: who loaded which file into which subtree, with the outcome.
    await q.query(`
      CREATE TABLE member_imports (
        id uuid PRIMARY KEY,
        actor_kind text NOT NULL,
        actor_id text NOT NULL,
        actor_name text NOT NULL,
        organization_id uuid NOT NULL REFERENCES organizations(id),
        dry_run boolean NOT NULL,
        format text CHECK (format IN ('csv', 'xlsx')),
        status text NOT NULL CHECK (status IN ('RUNNING', 'COMPLETED', 'REFUSED', 'FAILED')),
        bytes bigint NOT NULL DEFAULT 0,
        total_rows int NOT NULL DEFAULT 0,
        created int NOT NULL DEFAULT 0,
        already_members int NOT NULL DEFAULT 0,
        rejected int NOT NULL DEFAULT 0,
        refusal text,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        CHECK ((status = 'RUNNING') = (finished_at IS NULL))
      )`);
    await q.query(`CREATE INDEX member_imports_actor_idx ON member_imports (actor_id, started_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE member_imports, join_rate_windows, join_applications, join_invitations`);
    await q.query(`ALTER TABLE membership_events DROP CONSTRAINT membership_events_kind_check, DROP CONSTRAINT membership_events_from_check,
      DROP CONSTRAINT membership_events_move_check, DROP CONSTRAINT membership_events_status_check, DROP CONSTRAINT membership_events_fields_check`);
    await q.query(`ALTER TABLE membership_events DROP COLUMN from_status, DROP COLUMN to_status, DROP COLUMN reason, DROP COLUMN changed_fields`);
    await q.query(`ALTER TABLE membership_events ADD CONSTRAINT membership_events_kind_check CHECK (kind IN ('ENROLLED', 'TRANSFERRED')),
      ADD CONSTRAINT membership_events_check CHECK ((kind = 'ENROLLED') = (from_organization_id IS NULL)),
      ADD CONSTRAINT membership_events_check1 CHECK (from_organization_id IS DISTINCT FROM to_organization_id)`);
    await q.query(`DROP INDEX members_changed_idx`);
    await q.query(`DROP TRIGGER members_touch_updated_at ON members`);
    await q.query(`DROP FUNCTION member_touch_updated_at`);
  }
}
