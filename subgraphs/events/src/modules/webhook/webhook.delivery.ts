import { randomUUID } from 'node:crypto';
import PgBoss from 'pg-boss';
import type { DataSource, QueryRunner } from 'typeorm';
import type { WebhookSettings } from '../../config';
import { jobDb, rowsOf } from '../../sql';
import { postWebhook } from './webhook.sender';
import { webhookHeaders } from './webhook.signing';

/** The pg-boss queue of deliveries; one job names one delivery row. */
export const DELIVERY_QUEUE = 'webhook-delivery';

interface DeliveryJob {
  deliveryId: string;
}

/** An older delivery of the same subject to the same endpoint is still open: this one waits for it. */
const LANE_IS_FREE = `(d.redelivery OR NOT EXISTS (
  SELECT 1 FROM webhook_deliveries o
   WHERE o.endpoint_id = d.endpoint_id AND o.subject_id = d.subject_id AND NOT o.redelivery
     AND o.status IN ('PENDING', 'SENDING') AND o.event_position < d.event_position))`;

/** Jobs one worker fetches at a time (WEBHOOK_CONCURRENCY / this workers poll the queue). */
const JOBS_PER_FETCH = 4;

/** Deliveries of one lane one job sends back to back before it hands the rest to the queue. */
const MAX_CHAINED_ATTEMPTS = 100;

/** The pause before attempt n + 1: doubling from the first pause up to the maximum, ±25 % jitter so failed receivers are not hit in step. */
export function retryPauseMs(attempts: number, settings: Pick<WebhookSettings, 'firstPauseMs' | 'maxPauseMs'>, random: () => number = Math.random): number {
  const base = Math.min(settings.firstPauseMs * 2 ** Math.max(0, attempts - 1), settings.maxPauseMs);
  return Math.round(base * (0.75 + random() * 0.5));
}

/**
 * Delivers webhooks on pg-boss (same PostgreSQL): any number of replicas share the queue. A
 * delivery row is the truth; a job only says "look at this row now". Each attempt first leases the
 * row (status SENDING, lease_until) with a guarded UPDATE, so one delivery is never sent twice at
 * the same time, and a crashed attempt is taken over once its lease ends (the sweeper re-queues
 * it). Deliveries of one subject to one endpoint go out in feed order: a delivery waits while an
 * older one of its lane is open, and the older one wakes it when it is done.
 */
export class WebhookDispatcher {
  private boss: PgBoss | null = null;
  private workerIds: string[] = [];
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly db: DataSource,
    private readonly options: { databaseUrl: string; jobSchema: string; production: boolean; settings: WebhookSettings; log: (line: string) => void },
  ) {}

  async start(): Promise<void> {
    const { settings } = this.options;
    const boss = new PgBoss({
      connectionString: this.options.databaseUrl,
      schema: this.options.jobSchema,
      application_name: 'events-webhook-jobs',
      max: 8,
      schedule: false,
      supervise: true,
      maintenanceIntervalSeconds: settings.jobMaintenanceSeconds,
    });
    boss.on('error', (error: Error) => this.options.log(`events: job queue: ${error.message}`));
    await boss.start();
    this.boss = boss;
    if (!(await boss.getQueue(DELIVERY_QUEUE))) {
      await boss
        .createQueue(DELIVERY_QUEUE, {
          name: DELIVERY_QUEUE,
          // Not 'stately': a crashed worker's job stays active until it expires, and a stately queue
          // would refuse to start the re-queued job of the same delivery until then. A duplicate job
          // is harmless: the lease on the delivery row lets only one attempt run.
          policy: 'standard',
          retryLimit: 5,
          retryDelay: 2,
          expireInSeconds: Math.ceil((settings.leaseMs + settings.timeoutMs) / 1000) + 5,
        })
        .catch((error: unknown) => {
          if (!/already exists|duplicate/i.test((error as Error).message)) throw error;
        });
    }
    // A few workers, each taking a small batch and running it concurrently: WEBHOOK_CONCURRENCY
    // deliveries at a time with few idle polls. A worker that found work asks again at once
    // (notifyWorker) instead of waiting out its polling interval.
    const workers = Math.max(1, Math.min(settings.concurrency, Math.ceil(settings.concurrency / JOBS_PER_FETCH)));
    const batchSize = Math.ceil(settings.concurrency / workers);
    for (let i = 0; i < workers; i++) {
      let workerId = '';
      workerId = await boss.work<DeliveryJob>(DELIVERY_QUEUE, { batchSize, pollingIntervalSeconds: settings.pollSeconds }, async (jobs) => {
        await Promise.all(jobs.map((job) => this.track(this.attempt(job.data.deliveryId))));
        if (jobs.length > 0) this.boss?.notifyWorker(workerId);
      });
      this.workerIds.push(workerId);
    }
    const sweep = () => {
      this.sweep()
        .catch((error: unknown) => this.options.log(`events: delivery sweep failed: ${(error as Error).message}`))
        .finally(() => {
          if (this.boss) this.sweepTimer = setTimeout(sweep, settings.sweepIntervalMs);
        });
    };
    this.sweepTimer = setTimeout(sweep, settings.sweepIntervalMs);
  }

  async stop(): Promise<void> {
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    const boss = this.boss;
    this.boss = null;
    if (boss) await boss.stop({ graceful: true, wait: true, timeout: 5000 }).catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
  }

  /** Wakes this process's workers (after a relay committed new deliveries): no wait for the next poll. */
  wake(): void {
    for (const id of this.workerIds) this.boss?.notifyWorker(id);
  }

  private track(work: Promise<void>): Promise<void> {
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }

  /** Inside the relay transaction: one delivery per (new event, enabled endpoint that subscribed to its type and may see it), and their jobs. */
  async fanOut(tx: QueryRunner, firstPosition: string, lastPosition: string): Promise<void> {
    const created = await rowsOf<{ id: string }>(
      tx,
      `INSERT INTO webhook_deliveries (id, endpoint_id, event_position, subject_id)
       SELECT gen_random_uuid(), w.id, e.position, e.subject_id
         FROM events e
         JOIN webhook_endpoints w ON w.enabled AND w.deleted_at IS NULL AND e.type = ANY (w.event_types)
                                 AND (w.owner_entry = '*' OR w.owner_entry = ANY (e.audience))
        WHERE e.position BETWEEN $1 AND $2
        ORDER BY e.position
       RETURNING id`,
      [firstPosition, lastPosition],
    );
    await this.enqueue(
      created.map((d) => d.id),
      tx,
    );
  }

  /** redeliverEvent: a delivery of its own, outside the subject's order, with the event's original id. */
  async redeliver(endpointId: string, eventPosition: string, subjectId: string): Promise<void> {
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const id = randomUUID();
      await runner.query(`INSERT INTO webhook_deliveries (id, endpoint_id, event_position, subject_id, redelivery) VALUES ($1, $2, $3, $4, true)`, [
        id,
        endpointId,
        eventPosition,
        subjectId,
      ]);
      await this.enqueue([id], runner);
      await runner.commitTransaction();
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
    this.wake();
  }

  private async enqueue(deliveryIds: string[], tx?: QueryRunner, startAfter?: Date): Promise<void> {
    if (deliveryIds.length === 0 || !this.boss) return;
    const jobs = deliveryIds.map((deliveryId) => ({ name: DELIVERY_QUEUE, data: { deliveryId }, ...(startAfter ? { startAfter } : {}) }));
    await this.boss.insert(jobs, tx ? { db: jobDb(tx) } : {});
  }

  /** Deliveries whose job was lost (a crash mid-attempt, a wake-up that never came): back on the queue. */
  async sweep(): Promise<number> {
    const stale = await rowsOf<{ id: string }>(
      this.db,
      `SELECT d.id FROM webhook_deliveries d
        WHERE ((d.status = 'SENDING' AND d.lease_until < now())
            OR (d.status = 'PENDING' AND d.next_attempt_at < now() - $1 * interval '1 millisecond'))
          AND ${LANE_IS_FREE}
        ORDER BY d.next_attempt_at LIMIT 500`,
      [this.options.settings.sweepIntervalMs],
    );
    await this.enqueue(stale.map((d) => d.id));
    return stale.length;
  }

  /**
   * One attempt of one delivery (a job's work), then the next ones of the same lane while they
   * succeed: a busy subject drains in one worker without a queue round trip per event. Never
   * throws: the rows record what happened.
   */
  async attempt(deliveryId: string): Promise<void> {
    let next: string | null = deliveryId;
    for (let chained = 0; next && chained < MAX_CHAINED_ATTEMPTS; chained++) {
      const current: string = next;
      try {
        next = await this.attemptOrThrow(current);
      } catch (error) {
        // The lease runs out and the sweeper re-queues it.
        this.options.log(`events: delivery ${current} attempt failed: ${(error as Error).message}`);
        return;
      }
    }
    if (next) {
      await this.enqueue([next]).catch(() => undefined);
      this.wake();
    }
  }

  /** Answers the lane's next delivery when it may go right away. */
  private async attemptOrThrow(deliveryId: string): Promise<string | null> {
    const { settings } = this.options;
    const [claimed] = await rowsOf<{
      id: string;
      endpoint_id: string;
      event_position: string;
      subject_id: string;
      attempts: number;
      first_attempt_at: Date;
      redelivery: boolean;
    }>(
      this.db,
      `UPDATE webhook_deliveries d
          SET status = 'SENDING', lease_until = now() + $2 * interval '1 millisecond', attempts = d.attempts + 1,
              first_attempt_at = coalesce(d.first_attempt_at, now())
        WHERE d.id = $1
          AND (d.status = 'PENDING' OR (d.status = 'SENDING' AND d.lease_until < now()))
          AND d.next_attempt_at <= now() + interval '1 second'
          AND ${LANE_IS_FREE}
        RETURNING d.id, d.endpoint_id, d.event_position::text AS event_position, d.subject_id, d.attempts, d.first_attempt_at, d.redelivery`,
      [deliveryId, settings.leaseMs],
    );
    if (!claimed) return null;

    const [target] = await rowsOf<{
      url: string;
      enabled: boolean;
      deleted_at: Date | null;
      secret: string;
      previous_secret: string | null;
      previous_live: boolean;
      event_id: string;
      type: string;
      data: unknown;
      occurred_at: Date;
    }>(
      this.db,
      `SELECT w.url, w.enabled, w.deleted_at, w.secret, w.previous_secret, coalesce(w.previous_secret_expires_at > now(), false) AS previous_live,
              e.id AS event_id, e.type, e.data, e.occurred_at
         FROM webhook_endpoints w, events e WHERE w.id = $1 AND e.position = $2`,
      [claimed.endpoint_id, claimed.event_position],
    );
    if (!target || !target.enabled || target.deleted_at) {
      await this.db.query(`UPDATE webhook_deliveries SET status = 'CANCELLED', lease_until = NULL WHERE id = $1`, [claimed.id]);
      return this.wakeLane(claimed);
    }

    const body = JSON.stringify({ type: target.type, timestamp: target.occurred_at.toISOString(), data: target.data });
    const secrets = [target.secret, ...(target.previous_secret && target.previous_live ? [target.previous_secret] : [])];
    const headers = webhookHeaders(secrets, target.event_id, Math.floor(Date.now() / 1000), body);
    const result = await postWebhook(target.url, headers, body, { timeoutMs: settings.timeoutMs, production: this.options.production });

    if (result.ok) {
      await this.db.query(
        `UPDATE webhook_deliveries SET status = 'DELIVERED', delivered_at = now(), last_status = $2, last_error = NULL, lease_until = NULL WHERE id = $1 AND status = 'SENDING'`,
        [claimed.id, result.status],
      );
      await this.db.query(`UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL`, [claimed.endpoint_id]);
      return this.wakeLane(claimed);
    }

    const error = (result.error ?? 'failed').slice(0, 500);
    const pause = retryPauseMs(claimed.attempts, settings);
    const elapsed = Date.now() - claimed.first_attempt_at.getTime();
    if (elapsed + pause > settings.retryWindowMs) {
      await this.db.query(`UPDATE webhook_deliveries SET status = 'FAILED', last_status = $2, last_error = $3, lease_until = NULL WHERE id = $1`, [
        claimed.id,
        result.status,
        error,
      ]);
      await this.markFailing(claimed.endpoint_id, claimed.attempts, error);
      return this.wakeLane(claimed);
    }
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const [next] = await rowsOf<{ next_attempt_at: Date }>(
        runner,
        `UPDATE webhook_deliveries SET status = 'PENDING', next_attempt_at = now() + $2 * interval '1 millisecond', last_status = $3, last_error = $4, lease_until = NULL
          WHERE id = $1 AND status = 'SENDING' RETURNING next_attempt_at`,
        [claimed.id, pause, result.status, error],
      );
      if (next) await this.enqueue([claimed.id], runner, next.next_attempt_at);
      await runner.commitTransaction();
    } catch (failure) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw failure;
    } finally {
      await runner.release();
    }
    await this.disableIfFailingTooLong(claimed.endpoint_id, error);
    return null;
  }

  /** A delivery given up: the endpoint is failing from now (unless it already was). */
  private async markFailing(endpointId: string, attempts: number, error: string): Promise<void> {
    await this.db.query(`UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, now()) WHERE id = $1`, [endpointId]);
    this.options.log(`events: webhook endpoint ${endpointId}: an event was given up after ${attempts} attempts (${error})`);
    await this.disableIfFailingTooLong(endpointId, error);
  }

  private async disableIfFailingTooLong(endpointId: string, error: string): Promise<void> {
    const disabled = await rowsOf<{ id: string }>(
      this.db,
      `UPDATE webhook_endpoints
          SET enabled = false, disabled_at = now(),
              disabled_reason = 'deliveries failed since ' || to_char(failing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '; last error: ' || $3
        WHERE id = $1 AND enabled AND failing_since IS NOT NULL AND failing_since < now() - $2 * interval '1 millisecond'
        RETURNING id`,
      [endpointId, this.options.settings.disableAfterMs, error],
    );
    if (disabled.length > 0) {
      await this.db.query(`UPDATE webhook_deliveries SET status = 'CANCELLED', lease_until = NULL WHERE endpoint_id = $1 AND status = 'PENDING'`, [endpointId]);
      this.options.log(`events: webhook endpoint ${endpointId} disabled: failing for longer than allowed`);
    }
  }

  /** The next open delivery of the same subject to the same endpoint may go now: answered when due, else queued for its time. */
  private async wakeLane(done: { endpoint_id: string; subject_id: string; redelivery: boolean }): Promise<string | null> {
    if (done.redelivery) return null;
    const [next] = await rowsOf<{ id: string; due: boolean; next_attempt_at: Date }>(
      this.db,
      `SELECT id, next_attempt_at <= now() AS due, next_attempt_at FROM webhook_deliveries
        WHERE endpoint_id = $1 AND subject_id = $2 AND NOT redelivery AND status = 'PENDING'
        ORDER BY event_position LIMIT 1`,
      [done.endpoint_id, done.subject_id],
    );
    if (!next) return null;
    if (next.due) return next.id;
    await this.enqueue([next.id], undefined, next.next_attempt_at);
    return null;
  }
}
