import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What local unions need on top of the member directory: card numbers for online enrollment,
 * the membership history (enrollments and transfers) and the audit trail of member exports.
 *
 * Card numbers are 'GD' + year + 8 digits. Members imported in bulk (demo and scale data, an
 * existing member register) are numbered below 90000000; online enrollment draws from a sequence
 * in the 9xxxxxxx block, so the two can never collide and concurrent enrollments never wait on
 * each other for a number (a sequence hands out values outside transactions).
 *
 * It also replaces the functions of the subtree-counter triggers. They applied each statement's
 * deltas with INSERT ... ON CONFLICT DO UPDATE, but PostgreSQL checks CHECK constraints on the
 * row proposed for insertion before it finds the conflict: a negative delta (a transfer out, a
 * status change away from ACTIVE, a delete) broke `member_count >= 0` and the statement failed.
 * Now missing counter rows are inserted as zeros, the affected rows are locked in id order (so
 * concurrent statements over shared ancestors cannot deadlock), then updated by their deltas.
 */
export class LocalUnions1767000002000 implements MigrationInterface {
  name = 'LocalUnions1767000002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE member_card_seq AS bigint MINVALUE 90000000 MAXVALUE 99999999 START 90000000 NO CYCLE`);

    await q.query(`
      CREATE TABLE membership_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        member_id uuid NOT NULL REFERENCES members(id),
        kind text NOT NULL CHECK (kind IN ('ENROLLED', 'TRANSFERRED')),
        from_organization_id uuid REFERENCES organizations(id),
        to_organization_id uuid NOT NULL REFERENCES organizations(id),
        actor_kind text NOT NULL,
        actor_id text NOT NULL,
        actor_name text NOT NULL,
        occurred_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((kind = 'ENROLLED') = (from_organization_id IS NULL)),
        CHECK (from_organization_id IS DISTINCT FROM to_organization_id)
      )`);
    await q.query(`CREATE INDEX membership_events_member_idx ON membership_events (member_id, id)`);

    // One row per export, written before the first byte is sent and closed when the stream ends,
    // so an export that dies half-way still leaves a trace of who asked for what.
    await q.query(`
      CREATE TABLE member_exports (
        id uuid PRIMARY KEY,
        actor_kind text NOT NULL,
        actor_id text NOT NULL,
        actor_name text NOT NULL,
        organization_id uuid NOT NULL REFERENCES organizations(id),
        format text NOT NULL CHECK (format IN ('csv', 'ndjson')),
        filter jsonb NOT NULL,
        masked boolean NOT NULL,
        status text NOT NULL CHECK (status IN ('STREAMING', 'COMPLETED', 'ABORTED', 'FAILED')),
        row_count bigint NOT NULL DEFAULT 0 CHECK (row_count >= 0),
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        CHECK ((status = 'STREAMING') = (finished_at IS NULL))
      )`);
    await q.query(`CREATE INDEX member_exports_actor_idx ON member_exports (actor_id, started_at)`);

    const delta = (rows: string, sign: string) =>
      `SELECT org_path, ${sign} AS n,
              ${sign} * (status = 'ACTIVE')::int AS active,
              ${sign} * real_name_verified::int AS verified,
              ${sign} * new_employment_form::int AS nef
         FROM ${rows}`;
    const apply = (deltas: string) => `
      DECLARE
        ids uuid[]; ns bigint[]; actives bigint[]; verifieds bigint[]; nefs bigint[];
      BEGIN
        SELECT array_agg(x.id ORDER BY x.id), array_agg(x.n ORDER BY x.id), array_agg(x.active ORDER BY x.id),
               array_agg(x.verified ORDER BY x.id), array_agg(x.nef ORDER BY x.id)
          INTO ids, ns, actives, verifieds, nefs
          FROM (SELECT o.id, sum(d.n) AS n, sum(d.active) AS active, sum(d.verified) AS verified, sum(d.nef) AS nef
                  FROM (${deltas}) d
                  CROSS JOIN LATERAL unnest(string_to_array(trim(both '/' from d.org_path), '/')::bigint[]) AS a(node_no)
                  JOIN organizations o ON o.node_no = a.node_no
                 GROUP BY o.id
                HAVING sum(d.n) <> 0 OR sum(d.active) <> 0 OR sum(d.verified) <> 0 OR sum(d.nef) <> 0) x;
        IF ids IS NULL THEN RETURN NULL; END IF;
        INSERT INTO organization_stats (organization_id) SELECT unnest(ids) ON CONFLICT (organization_id) DO NOTHING;
        PERFORM 1 FROM organization_stats WHERE organization_id = ANY (ids) ORDER BY organization_id FOR UPDATE;
        UPDATE organization_stats s
           SET member_count = s.member_count + u.n,
               active_count = s.active_count + u.active,
               verified_count = s.verified_count + u.verified,
               new_employment_form_count = s.new_employment_form_count + u.nef
          FROM unnest(ids, ns, actives, verifieds, nefs) AS u(id, n, active, verified, nef)
         WHERE s.organization_id = u.id;
        RETURN NULL;
      END`;
    await q.query(`CREATE OR REPLACE FUNCTION member_stats_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$${apply(delta('new_rows', '1'))}$$`);
    await q.query(`CREATE OR REPLACE FUNCTION member_stats_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$${apply(delta('old_rows', '-1'))}$$`);
    await q.query(
      `CREATE OR REPLACE FUNCTION member_stats_on_update() RETURNS trigger LANGUAGE plpgsql AS $$${apply(`${delta('new_rows', '1')} UNION ALL ${delta('old_rows', '-1')}`)}$$`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    // The counter functions stay in their corrected form: the earlier one cannot apply negative deltas.
    await q.query(`DROP TABLE member_exports, membership_events`);
    await q.query(`DROP SEQUENCE member_card_seq`);
  }
}
