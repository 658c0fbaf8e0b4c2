import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The feed and the webhooks. `events.position` is assigned by the relay, one transaction at a
 * time (feed_state is its counter), so positions follow commit order and have no gaps: a cursor
 * never passes an event that commits later. `event_audience` has one row per entry that may see an
 * event (partner:<id>, org:<id>), so a partner's or union's page is an index range scan.
 */
export class EventsAndWebhooks1767000013300 implements MigrationInterface {
  name = 'EventsAndWebhooks1767000013300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE events (
        position bigint PRIMARY KEY,
        id uuid NOT NULL UNIQUE,
        source text NOT NULL,
        type text NOT NULL,
        subject_id text NOT NULL,
        data jsonb NOT NULL,
        audience text[] NOT NULL,
        occurred_at timestamptz NOT NULL,
        relayed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX events_type_position_idx ON events (type, position)`);
    await q.query(`
      CREATE TABLE event_audience (
        entry text NOT NULL,
        position bigint NOT NULL REFERENCES events (position),
        type text NOT NULL,
        PRIMARY KEY (entry, position)
      )`);
    await q.query(`CREATE TABLE feed_state (id boolean PRIMARY KEY DEFAULT true CHECK (id), last_position bigint NOT NULL)`);
    await q.query(`INSERT INTO feed_state (id, last_position) VALUES (true, 0)`);
    await q.query(`
      CREATE TABLE relay_cursors (
        source text PRIMARY KEY,
        xid text NOT NULL,
        seq text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE webhook_endpoints (
        id uuid PRIMARY KEY,
        owner_kind text NOT NULL,
        owner_id text NOT NULL,
        -- the audience entry the owner sees events through: partner:<id>, org:<id>, or * (PLATFORM)
        owner_entry text NOT NULL,
        url text NOT NULL,
        event_types text[] NOT NULL CHECK (cardinality(event_types) > 0),
        secret text NOT NULL,
        previous_secret text,
        previous_secret_expires_at timestamptz,
        enabled boolean NOT NULL DEFAULT true,
        failing_since timestamptz,
        disabled_at timestamptz,
        disabled_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    await q.query(`CREATE INDEX webhook_endpoints_owner_idx ON webhook_endpoints (owner_kind, owner_id) WHERE deleted_at IS NULL`);
    await q.query(`CREATE INDEX webhook_endpoints_live_idx ON webhook_endpoints (owner_entry) WHERE enabled AND deleted_at IS NULL`);
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY,
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id),
        event_position bigint NOT NULL REFERENCES events (position),
        subject_id text NOT NULL,
        -- redeliverEvent: sent out of order on purpose, never holds back the subject's other events
        redelivery boolean NOT NULL DEFAULT false,
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SENDING', 'DELIVERED', 'FAILED', 'CANCELLED')),
        attempts int NOT NULL DEFAULT 0,
        first_attempt_at timestamptz,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_until timestamptz,
        last_status int,
        last_error text,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE INDEX webhook_deliveries_lane_idx ON webhook_deliveries (endpoint_id, subject_id, event_position)
       WHERE status IN ('PENDING', 'SENDING') AND NOT redelivery`);
    await q.query(`CREATE INDEX webhook_deliveries_open_idx ON webhook_deliveries (next_attempt_at) WHERE status IN ('PENDING', 'SENDING')`);
    await q.query(`CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_position)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_deliveries, webhook_endpoints, relay_cursors, feed_state, event_audience, events`);
  }
}
