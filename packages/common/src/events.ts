import { randomUUID } from 'node:crypto';
import type { InternalClient } from './internal-client';
import type { InternalRoute } from './subgraph-server';

/** Every kind of event the API publishes (contract enum EventType), with what it means. */
export const EVENT_TYPE_DESCRIPTIONS = {
  MEMBER_ENROLLED: 'A member joined a union organization (enrollMember, or an approved join application).',
  MEMBER_UPDATED: "A member's details changed (updateMember).",
  MEMBER_STATUS_CHANGED: "A member's status changed: SUSPENDED, LAPSED or ACTIVE again.",
  MEMBER_TRANSFERRED: 'A member moved to another organization (转会).',
  JOIN_APPLICATION_SUBMITTED: 'A worker applied to join through a join invitation.',
  JOIN_APPLICATION_DECIDED: 'A join application was approved or rejected.',
  DISCOUNT_CLAIM_APPLIED: 'A hospital applied a discount to a bill.',
  DISCOUNT_CLAIM_VOIDED: 'A hospital voided a discount claim; the annual cap came back.',
  VOUCHER_CLAIMED: 'A member claimed a voucher.',
  VOUCHER_GRANTED: 'A union granted a voucher to a member.',
  VOUCHER_REDEEMED: 'A travel partner or merchant redeemed a voucher.',
  REDEMPTION_CANCELLED: 'A redemption was cancelled (order refunded); the voucher may be ISSUED again.',
  POINTS_AWARDED: 'Points were awarded to a member.',
  REWARD_ORDER_PLACED: 'A member spent points on a reward in the points mall.',
  REWARD_ORDER_CANCELLED: 'A reward order was cancelled; points and stock came back.',
} as const;

export type EventTypeName = keyof typeof EVENT_TYPE_DESCRIPTIONS;
export const EVENT_TYPES = Object.keys(EVENT_TYPE_DESCRIPTIONS) as EventTypeName[];
export const isEventType = (value: string): value is EventTypeName => Object.prototype.hasOwnProperty.call(EVENT_TYPE_DESCRIPTIONS, value);

/**
 * Who may see an event besides PLATFORM (which sees every event): partners by id (the hospital of
 * a claim, the partners that may redeem a batch) and organizations by id (every organization on
 * the member's or the sponsor's chain: a union sees the event when its own organization is listed).
 */
export interface EventAudience {
  partnerIds?: readonly string[];
  /** Whole chains, nearest first or in any order: a union on any of them sees the event. */
  organizationIds?: readonly string[];
}

/** Audience entries as stored: `partner:<id>` and `org:<id>`. The feed and the webhooks match on them. */
export const partnerAudience = (partnerId: string) => `partner:${partnerId}`;
export const organizationAudience = (organizationId: string) => `org:${organizationId}`;

export function audienceEntries(audience: EventAudience): string[] {
  return [...new Set([...(audience.partnerIds ?? []).map(partnerAudience), ...(audience.organizationIds ?? []).map(organizationAudience)])];
}

/** What a business write records. `data` carries ids and masked personal data only. */
export interface NewEvent {
  type: EventTypeName;
  /** The member, claim, voucher, redemption, order or application it happened to. */
  subjectId: string;
  data: Record<string, unknown>;
  audience: EventAudience;
}

/** A TypeORM EntityManager or QueryRunner (or anything with `query`) INSIDE the write's transaction. */
export interface SqlRunner {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query(sql: string, parameters?: any[]): Promise<any>;
}

/**
 * Records events of a business write in the service's outbox. Call it with the transaction's
 * manager or query runner: the event then exists if and only if the write commits. Returns the
 * event ids (the ids partners see in the feed and in webhook-id).
 */
export async function recordEvents(tx: SqlRunner, events: readonly NewEvent[]): Promise<string[]> {
  if (events.length === 0) return [];
  const ids = events.map(() => randomUUID());
  await tx.query(
    `INSERT INTO event_outbox (id, type, subject_id, data, audience)
     SELECT id, type, subject_id, data, ARRAY(SELECT jsonb_array_elements_text(audience))
       FROM jsonb_to_recordset($1::jsonb) AS e(id uuid, type text, subject_id text, data jsonb, audience jsonb)`,
    [JSON.stringify(events.map((e, i) => ({ id: ids[i], type: e.type, subject_id: e.subjectId, data: e.data, audience: audienceEntries(e.audience) })))],
  );
  return ids;
}

/** One event: `await recordEvent(tx, { type, subjectId, data, audience })`. */
export async function recordEvent(tx: SqlRunner, event: NewEvent): Promise<string> {
  const [id] = await recordEvents(tx, [event]);
  return id!;
}

/**
 * The outbox table, created by one migration in every service that writes events. `xid` is the
 * writing transaction's id: the relay reads only rows of transactions older than every one still
 * running (pg_snapshot_xmin), so a row that commits late can never fall behind a cursor.
 */
export async function createEventOutbox(q: SqlRunner): Promise<void> {
  await q.query(`
    CREATE TABLE event_outbox (
      seq bigserial PRIMARY KEY,
      id uuid NOT NULL UNIQUE,
      type text NOT NULL,
      subject_id text NOT NULL,
      data jsonb NOT NULL,
      audience text[] NOT NULL,
      occurred_at timestamptz NOT NULL DEFAULT now(),
      xid xid8 NOT NULL DEFAULT pg_current_xact_id()
    )`);
  await q.query(`CREATE INDEX event_outbox_relay_idx ON event_outbox (xid, seq)`);
}

export async function dropEventOutbox(q: SqlRunner): Promise<void> {
  await q.query(`DROP TABLE event_outbox`);
}

/** Internal route every event-writing service serves: its committed outbox rows, in relay order. */
export const EVENT_OUTBOX_ROUTE = 'event-outbox';

/** A place in one service's outbox: (transaction id, row sequence). */
export interface OutboxPosition {
  xid: string;
  seq: string;
}

export interface OutboxEvent {
  id: string;
  type: EventTypeName;
  subjectId: string;
  data: Record<string, unknown>;
  audience: string[];
  occurredAt: string;
  xid: string;
  seq: string;
}

export interface OutboxPage {
  events: OutboxEvent[];
  /** Where to continue: past the last row, or past every transaction finished when this page was read. */
  next: OutboxPosition;
}

export const OUTBOX_START: OutboxPosition = { xid: '0', seq: '0' };
const DIGITS = /^\d{1,20}$/;

/**
 * Serves EVENT_OUTBOX_ROUTE {after, limit}. Rows come in (xid, seq) order and only from
 * transactions below the current snapshot's xmin: all of those have finished, so every row a
 * later read can return sorts after this page. A long-running transaction anywhere holds the
 * horizon back (events wait, none is skipped).
 */
export function eventOutboxRoute(db: SqlRunner): InternalRoute {
  return async (body) => {
    const request = (body ?? {}) as { after?: Partial<OutboxPosition> | null; limit?: unknown };
    const after =
      request.after && DIGITS.test(String(request.after.xid)) && DIGITS.test(String(request.after.seq)) ? (request.after as OutboxPosition) : OUTBOX_START;
    const limit = Math.min(Math.max(Number(request.limit) || 100, 1), 1000);
    const [{ horizon }] = (await db.query(`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon`)) as Array<{ horizon: string }>;
    const rows = (await db.query(
      `SELECT id, type, subject_id, data, audience, occurred_at, xid::text AS xid, seq::text AS seq
         FROM event_outbox
        WHERE xid < $1::xid8 AND (xid, seq) > ($2::xid8, $3::bigint)
        ORDER BY xid, seq
        LIMIT $4`,
      [horizon, after.xid, after.seq, limit],
    )) as Array<{
      id: string;
      type: EventTypeName;
      subject_id: string;
      data: Record<string, unknown>;
      audience: string[];
      occurred_at: Date;
      xid: string;
      seq: string;
    }>;
    const events = rows.map((r): OutboxEvent => ({
      id: r.id,
      type: r.type,
      subjectId: r.subject_id,
      data: r.data,
      audience: r.audience,
      occurredAt: r.occurred_at.toISOString(),
      xid: r.xid,
      seq: r.seq,
    }));
    const last = events[events.length - 1];
    const next = events.length === limit && last ? { xid: last.xid, seq: last.seq } : maxPosition(after, { xid: horizon, seq: '0' });
    return { events, next } satisfies OutboxPage;
  };
}

function maxPosition(a: OutboxPosition, b: OutboxPosition): OutboxPosition {
  const [ax, bx] = [BigInt(a.xid), BigInt(b.xid)];
  if (ax !== bx) return ax > bx ? a : b;
  return BigInt(a.seq) >= BigInt(b.seq) ? a : b;
}

/** The typed client of EVENT_OUTBOX_ROUTE (the events subgraph reads each service's outbox with it). */
export class EventOutboxClient {
  constructor(private readonly client: InternalClient) {}

  read(after: OutboxPosition, limit: number): Promise<OutboxPage> {
    return this.client.call<OutboxPage>(EVENT_OUTBOX_ROUTE, { after, limit });
  }
}
