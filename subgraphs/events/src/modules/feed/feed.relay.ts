import { EventOutboxClient, InternalClient, OUTBOX_START, type OutboxPage, type OutboxPosition } from '@union/common';
import type { DataSource, QueryRunner } from 'typeorm';
import { rowsOf } from '../../sql';

/** Called inside the relay transaction with the positions just assigned (webhook fan-out). */
export type RelayListener = (tx: QueryRunner, firstPosition: string, lastPosition: string) => Promise<void>;

/** One relayer per source across every replica (positions are serialized by the feed_state row lock). */
const sourceLock = (source: string) => `hashtext('union-events-relay:' || ${`'${source.replace(/'/g, "''")}'`})`;

/**
 * Moves committed events from each service's outbox into the feed. Each round, for each source,
 * in ONE transaction under that source's advisory lock: read the next outbox page (only rows of
 * finished transactions, see eventOutboxRoute), take the next feed positions from feed_state,
 * write the events and who may see them, fan out webhook deliveries, and move the source's cursor.
 * Sources are read in parallel, but taking positions locks the feed_state row until commit, so
 * relays commit one after the other in position order: a reader can never see position n+1
 * before n. A crash before commit relays the page again.
 *
 * An idle source costs one outbox read a round and nothing here: the relay first peeks from where
 * it last knew the source to be (in memory), and opens the transaction only when that read found
 * events. The peek is only a hint; the cursor in the database decides what is relayed.
 */
export class EventRelay {
  private readonly sources: Array<[string, EventOutboxClient]>;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly failing = new Set<string>();
  /** Per source, a position up to which this replica knows every event is in the feed. */
  private readonly knownRelayed = new Map<string, OutboxPosition>();

  constructor(
    private readonly db: DataSource,
    sourceUrls: Record<string, string>,
    internalSecret: string,
    private readonly options: { batch: number; intervalMs: number; onRelayed?: RelayListener; afterCommit?: () => void; log: (line: string) => void },
  ) {
    this.sources = Object.entries(sourceUrls).map(([name, url]) => [name, new EventOutboxClient(new InternalClient(url, 'events', internalSecret))]);
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.relayAll()
        .then((backlog) => {
          if (!this.stopped) this.timer = setTimeout(tick, backlog ? 0 : this.options.intervalMs);
        })
        .catch((error: unknown) => {
          this.options.log(`events: relay round failed: ${(error as Error).message}`);
          if (!this.stopped) this.timer = setTimeout(tick, this.options.intervalMs);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /**
   * One round over every source (in parallel); answers whether a source filled its page (more may
   * be waiting, so the next round starts at once). A round that found less waits the interval:
   * going again at once whenever anything came made a rush pay a relay round (a transaction here
   * and an outbox read at every source) for every few claims. A source that is down costs only its
   * own events.
   */
  async relayAll(): Promise<boolean> {
    const counts = await Promise.all(
      this.sources.map(async ([name, client]) => {
        try {
          const relayed = await this.relaySource(name, client);
          if (this.failing.delete(name)) this.options.log(`events: relay from ${name} works again`);
          if (relayed > 0) this.options.afterCommit?.();
          return relayed;
        } catch (error) {
          if (!this.failing.has(name)) this.options.log(`events: relay from ${name} failed (retrying every round): ${(error as Error).message}`);
          this.failing.add(name);
          return 0;
        }
      }),
    );
    return counts.some((count) => count >= this.options.batch);
  }

  private async relaySource(name: string, client: EventOutboxClient): Promise<number> {
    const known = this.knownRelayed.get(name);
    let peeked: { from: OutboxPosition; page: OutboxPage } | null = null;
    if (known) {
      const page = await client.read(known, this.options.batch);
      if (page.events.length === 0) {
        this.knownRelayed.set(name, page.next);
        return 0;
      }
      peeked = { from: known, page };
    }
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const [{ locked }] = (await runner.query(`SELECT pg_try_advisory_xact_lock(${sourceLock(name)}) AS locked`)) as Array<{ locked: boolean }>;
      if (!locked) {
        await runner.rollbackTransaction();
        return 0;
      }
      const [stored] = (await runner.query(`SELECT xid, seq FROM relay_cursors WHERE source = $1`, [name])) as OutboxPosition[];
      const cursor = stored ?? OUTBOX_START;
      // The peeked page is the one to relay unless another replica moved the cursor meanwhile.
      const page = peeked && samePosition(peeked.from, cursor) ? peeked.page : await client.read(cursor, this.options.batch);
      const count = page.events.length;
      if (count === 0) {
        // Nothing to write: the cursor may stay behind the horizon, the next read finds no row
        // between the two (every row below the horizon was in this page).
        await runner.rollbackTransaction();
        this.knownRelayed.set(name, page.next);
        return 0;
      }
      const [{ last }] = await rowsOf<{ last: string }>(
        runner,
        `UPDATE feed_state SET last_position = last_position + $1 RETURNING last_position::text AS last`,
        [count],
      );
      const first = (BigInt(last) - BigInt(count) + 1n).toString();
      await runner.query(
        `INSERT INTO events (position, id, source, type, subject_id, data, audience, occurred_at)
         SELECT $1::bigint + r.n - 1, (r.doc->>'id')::uuid, $2, r.doc->>'type', r.doc->>'subject_id', r.doc->'data',
                ARRAY(SELECT jsonb_array_elements_text(r.doc->'audience')), (r.doc->>'occurred_at')::timestamptz
           FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS r(doc, n)`,
        [
          first,
          name,
          JSON.stringify(
            page.events.map((e) => ({ id: e.id, type: e.type, subject_id: e.subjectId, data: e.data, audience: e.audience, occurred_at: e.occurredAt })),
          ),
        ],
      );
      await runner.query(
        `INSERT INTO event_audience (entry, position, type)
         SELECT DISTINCT a.entry, e.position, e.type FROM events e CROSS JOIN LATERAL unnest(e.audience) AS a(entry)
          WHERE e.position BETWEEN $1 AND $2`,
        [first, last],
      );
      await this.options.onRelayed?.(runner, first, last);
      await runner.query(
        `INSERT INTO relay_cursors (source, xid, seq, updated_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (source) DO UPDATE SET xid = EXCLUDED.xid, seq = EXCLUDED.seq, updated_at = now()`,
        [name, page.next.xid, page.next.seq],
      );
      await runner.commitTransaction();
      this.knownRelayed.set(name, page.next);
      return count;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }
}

const samePosition = (a: OutboxPosition, b: OutboxPosition) => a.xid === b.xid && a.seq === b.seq;
