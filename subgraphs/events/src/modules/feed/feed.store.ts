import type { EventTypeName } from '@union/common';
import type { DataSource } from 'typeorm';
import type { FeedViewer } from './feed.access';
import { Event } from './feed.types';

interface EventRow {
  position: string;
  id: string;
  type: EventTypeName;
  subject_id: string;
  data: unknown;
  occurred_at: Date;
}

export const EVENT_COLUMNS = `e.position::text AS position, e.id, e.type, e.subject_id, e.data, e.occurred_at`;

export function eventFromRow(row: EventRow): Event {
  return Object.assign(new Event(), {
    position: row.position,
    id: row.id,
    type: row.type,
    subjectId: row.subject_id,
    data: JSON.stringify(row.data),
    occurredAt: row.occurred_at,
  });
}

/**
 * One page of the feed after `afterPosition`, `limit` rows. PLATFORM reads the events table by
 * position; everyone else reads its own audience entries ((entry, position) primary key), so a
 * page costs an index range scan however many events others have.
 */
export async function feedPage(db: DataSource, viewer: FeedViewer, afterPosition: string, limit: number, types: EventTypeName[] | null): Promise<Event[]> {
  if ('none' in viewer) return [];
  const rows: EventRow[] =
    'all' in viewer
      ? await db.query(
          `SELECT ${EVENT_COLUMNS} FROM events e
            WHERE e.position > $1 AND ($2::text[] IS NULL OR e.type = ANY($2::text[]))
            ORDER BY e.position LIMIT $3`,
          [afterPosition, types, limit],
        )
      : await db.query(
          `SELECT ${EVENT_COLUMNS} FROM event_audience a JOIN events e ON e.position = a.position
            WHERE a.entry = $1 AND a.position > $2 AND ($3::text[] IS NULL OR a.type = ANY($3::text[]))
            ORDER BY a.position LIMIT $4`,
          [viewer.entry, afterPosition, types, limit],
        );
  return rows.map(eventFromRow);
}

/** One event, if the viewer may see it (redeliverEvent). */
export async function visibleEvent(db: DataSource, viewer: FeedViewer, eventId: string): Promise<Event | null> {
  if ('none' in viewer) return null;
  const rows: EventRow[] = await db.query(`SELECT ${EVENT_COLUMNS} FROM events e WHERE e.id = $1 AND ($2::text IS NULL OR $2 = ANY(e.audience))`, [
    eventId,
    'all' in viewer ? null : viewer.entry,
  ]);
  return rows[0] ? eventFromRow(rows[0]) : null;
}
