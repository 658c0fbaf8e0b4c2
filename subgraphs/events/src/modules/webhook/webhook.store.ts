import type { EventTypeName } from '@union/common';
import type { DataSource } from 'typeorm';
import { rowsOf } from '../../sql';
import { WebhookEndpoint } from './webhook.types';

export interface EndpointRow {
  id: string;
  owner_kind: string;
  owner_id: string;
  owner_entry: string;
  url: string;
  event_types: EventTypeName[];
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  enabled: boolean;
  failing_since: Date | null;
  disabled_reason: string | null;
  created_at: Date;
  deleted_at: Date | null;
}

export function endpointFromRow(row: EndpointRow): WebhookEndpoint {
  return Object.assign(new WebhookEndpoint(), {
    id: row.id,
    url: row.url,
    eventTypes: row.event_types,
    enabled: row.enabled && row.deleted_at === null,
    createdAt: row.created_at,
    failingSince: row.failing_since,
    disabledReason: row.disabled_reason,
  });
}

export interface EndpointOwner {
  kind: string;
  id: string;
}

/** Webhook endpoints, one row each; only their owner ever reads or changes one. */
export const webhookStore = {
  async listOwn(db: DataSource, owner: EndpointOwner): Promise<EndpointRow[]> {
    return db.query(`SELECT * FROM webhook_endpoints WHERE owner_kind = $1 AND owner_id = $2 AND deleted_at IS NULL ORDER BY created_at, id`, [
      owner.kind,
      owner.id,
    ]);
  },

  async findOwn(db: DataSource, owner: EndpointOwner, id: string): Promise<EndpointRow | null> {
    const rows: EndpointRow[] = await db.query(`SELECT * FROM webhook_endpoints WHERE id = $1 AND owner_kind = $2 AND owner_id = $3 AND deleted_at IS NULL`, [
      id,
      owner.kind,
      owner.id,
    ]);
    return rows[0] ?? null;
  },

  /** Inserts unless the owner already has `max` endpoints (counted under a per-owner advisory lock, so racing creates cannot pass it). */
  async insert(
    db: DataSource,
    row: { id: string; owner: EndpointOwner; ownerEntry: string; url: string; eventTypes: EventTypeName[]; secret: string },
    max: number,
  ): Promise<EndpointRow | null> {
    return db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('webhook-owner:' || $1 || ':' || $2))`, [row.owner.kind, row.owner.id]);
      const [{ n }] = await tx.query(`SELECT count(*)::int AS n FROM webhook_endpoints WHERE owner_kind = $1 AND owner_id = $2 AND deleted_at IS NULL`, [
        row.owner.kind,
        row.owner.id,
      ]);
      if (n >= max) return null;
      const inserted: EndpointRow[] = await tx.query(
        `INSERT INTO webhook_endpoints (id, owner_kind, owner_id, owner_entry, url, event_types, secret)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
        [row.id, row.owner.kind, row.owner.id, row.ownerEntry, row.url, row.eventTypes, row.secret],
      );
      return inserted[0]!;
    });
  },

  /** Soft delete (deliveries keep their endpoint row); open deliveries are cancelled. */
  async delete(db: DataSource, owner: EndpointOwner, id: string): Promise<boolean> {
    return db.transaction(async (tx) => {
      const [rows] = await tx.query(
        `UPDATE webhook_endpoints SET deleted_at = now(), enabled = false WHERE id = $1 AND owner_kind = $2 AND owner_id = $3 AND deleted_at IS NULL RETURNING id`,
        [id, owner.kind, owner.id],
      );
      if ((rows as unknown[]).length === 0) return false;
      await tx.query(`UPDATE webhook_deliveries SET status = 'CANCELLED', lease_until = NULL WHERE endpoint_id = $1 AND status = 'PENDING'`, [id]);
      return true;
    });
  },

  /** The old secret keeps signing until `previousValidMs` from now; a second rotation within that window replaces it. */
  async rotate(db: DataSource, owner: EndpointOwner, id: string, secret: string, previousValidMs: number): Promise<EndpointRow | null> {
    const rows = await rowsOf<EndpointRow>(
      db,
      `UPDATE webhook_endpoints
          SET previous_secret = secret, previous_secret_expires_at = now() + $5 * interval '1 millisecond', secret = $4
        WHERE id = $1 AND owner_kind = $2 AND owner_id = $3 AND deleted_at IS NULL
        RETURNING *`,
      [id, owner.kind, owner.id, secret, previousValidMs],
    );
    return rows[0] ?? null;
  },
};
