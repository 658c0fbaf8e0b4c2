import { createHash } from 'node:crypto';
import { CoalescedLookup, contractError, perDataSource, preparedRows, retryingDeadlocks, type ErrorCode, type PreparedStatement } from '@union/common';
import { GraphQLError } from 'graphql';
import type { DataSource, EntityManager } from 'typeorm';
import { BenefitErrors } from '../../errors';
import { VoucherErrors } from '../voucher/voucher.errors';
import { rowsOf } from '../../sql';

/** How long a key's first answer is kept and replayed (the contract promises at least 24 hours). */
export const IDEMPOTENCY_RETENTION_HOURS = 24;
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

/**
 * Refusals that are the answer to a request, stored and replayed like a success. Anything else
 * (FORBIDDEN, BAD_USER_INPUT, NOT_FOUND, a database or member-service failure) writes nothing
 * under the key, so a retry after a transient failure does the work.
 */
const REPLAYED_ERROR_CODES = new Set<ErrorCode>(['SOLD_OUT', 'LIMIT_REACHED', 'CLAIM_NOT_OPEN', 'NOT_ELIGIBLE']);

export interface IdempotentRequest {
  callerKind: string;
  callerId: string;
  key: string;
  operation: 'claimVoucher' | 'grantVouchers';
  /** What the request asked for; the same key with another fingerprint is IDEMPOTENCY_CONFLICT. */
  fingerprint: string;
}

type StoredError = { error: { code: string; message: string; extensions: Record<string, unknown> } };
export type StoredOutcome<T> = { result: T } | StoredError;

interface Row {
  operation: string;
  fingerprint: string;
  outcome: StoredOutcome<unknown>;
}

/** A fingerprint of the arguments, so the stored row neither grows with them nor repeats member ids. */
export function requestFingerprint(operation: string, ...parts: unknown[]): string {
  return createHash('sha256')
    .update(JSON.stringify([operation, ...parts]))
    .digest('base64url');
}

// Control characters and lone surrogates: a key is compared byte for byte, so it must be plain text.
const UNPRINTABLE = /[\u0000-\u001f\u007f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Checks a key as given by the caller: 1 to 255 printable characters. */
export function checkIdempotencyKey(key: string): string {
  if (key.length < 1 || key.length > IDEMPOTENCY_KEY_MAX_LENGTH || UNPRINTABLE.test(key)) {
    throw BenefitErrors.badInput(`idempotencyKey must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} printable characters`, 'idempotencyKey');
  }
  return key;
}

const isReplayedError = (error: unknown): error is GraphQLError =>
  error instanceof GraphQLError && REPLAYED_ERROR_CODES.has(error.extensions?.code as ErrorCode);

function storedError(error: GraphQLError): StoredError {
  const { code, ...extensions } = error.extensions as Record<string, unknown>;
  return { error: { code: String(code), message: error.message, extensions } };
}

/** A key as one string: what the keyed requests of a turn are told apart by. */
const keyId = (request: Pick<IdempotentRequest, 'callerKind' | 'callerId' | 'key'>) => JSON.stringify([request.callerKind, request.callerId, request.key]);

/** The rows under keys while within the retention window (a key whose request is still in flight is not seen yet). */
const FIND_RECORDS: PreparedStatement = {
  name: 'benefit.idempotent_requests_find',
  text: `SELECT r.caller_kind, r.caller_id, r.idempotency_key, r.operation, r.fingerprint, r.outcome
           FROM unnest($1::text[], $2::uuid[], $3::text[]) AS k(caller_kind, caller_id, idempotency_key)
           JOIN idempotent_requests r USING (caller_kind, caller_id, idempotency_key)
          WHERE r.created_at > now() - make_interval(hours => $4)`,
};
/** Keys one read or one write of a turn carries at most. */
const KEYS_PER_STATEMENT = 1_000;

/**
 * The keyed requests of one turn of the event loop look their keys up in one statement: a rush
 * whose member apps send keys looked each one up on its own.
 */
const recordLookupsOf = perDataSource(
  (db) =>
    new CoalescedLookup<Row & { id: string }>(async (ids) => {
      const keys = ids.map((id) => JSON.parse(id) as [string, string, string]);
      const rows = await preparedRows<Row & { caller_kind: string; caller_id: string; idempotency_key: string }>(db, FIND_RECORDS, [
        keys.map((k) => k[0]),
        keys.map((k) => k[1]),
        keys.map((k) => k[2]),
        IDEMPOTENCY_RETENTION_HOURS,
      ]);
      return rows.map((r) => ({ id: keyId({ callerKind: r.caller_kind, callerId: r.caller_id, key: r.idempotency_key }), ...r }));
    }, KEYS_PER_STATEMENT),
);

/**
 * The row under the key while it is within the retention window. A key whose request is still in
 * flight is not seen: this request then meets it when it takes the key, waits for it to commit,
 * and replays it.
 */
async function findRecord(db: DataSource, request: IdempotentRequest): Promise<Row | null> {
  const id = keyId(request);
  return (await recordLookupsOf(db).get([id])).get(id) ?? null;
}

const TAKE_KEY_SQL = `INSERT INTO idempotent_requests AS r (caller_kind, caller_id, idempotency_key, operation, fingerprint, outcome)
  SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[]) ORDER BY 1, 2, 3
  ON CONFLICT (caller_kind, caller_id, idempotency_key) DO UPDATE
     SET operation = EXCLUDED.operation, fingerprint = EXCLUDED.fingerprint, outcome = EXCLUDED.outcome, created_at = now()
   WHERE r.created_at <= now() - make_interval(hours => $7)
  RETURNING r.caller_kind, r.caller_id, r.idempotency_key`;

/**
 * Takes the keys of `requests` (each with its answer), in key order; answers the keyIds taken. A
 * key held by an identical request still in flight waits for it to commit (through the primary
 * key), and is then not taken; an expired row is taken over. No key twice in one call.
 */
async function takeKeys(
  db: DataSource | EntityManager,
  requests: Array<{ request: IdempotentRequest; outcome: StoredOutcome<unknown> }>,
): Promise<Set<string>> {
  const rows = await rowsOf<{ caller_kind: string; caller_id: string; idempotency_key: string }>(db, TAKE_KEY_SQL, [
    requests.map((r) => r.request.callerKind),
    requests.map((r) => r.request.callerId),
    requests.map((r) => r.request.key),
    requests.map((r) => r.request.operation),
    requests.map((r) => r.request.fingerprint),
    requests.map((r) => JSON.stringify(r.outcome)),
    IDEMPOTENCY_RETENTION_HOURS,
  ]);
  return new Set(rows.map((r) => keyId({ callerKind: r.caller_kind, callerId: r.caller_id, key: r.idempotency_key })));
}

/** Takes the key for this request inside the caller's transaction, or answers false when it is taken. */
async function takeKey(tx: EntityManager, request: IdempotentRequest, outcome: StoredOutcome<unknown>): Promise<boolean> {
  return (await takeKeys(tx, [{ request, outcome }])).has(keyId(request));
}

interface RefusalToStore {
  request: IdempotentRequest;
  outcome: StoredOutcome<unknown>;
  settle: { resolve: (taken: boolean) => void; reject: (error: unknown) => void };
}

/**
 * Refusals met before any write (the pool already empty, the member not eligible) stored under
 * their keys, those of one turn of the event loop in one statement and one commit: in the tail of
 * a keyed rush every request is such a refusal. A key asked for twice in a turn is taken by the
 * first; the second answers not taken and replays what the first stored.
 */
class RefusalKeys {
  private open: Map<string, RefusalToStore[]> | null = null;

  constructor(private readonly db: DataSource) {}

  take(request: IdempotentRequest, outcome: StoredOutcome<unknown>): Promise<boolean> {
    return new Promise((resolve, reject) => {
      if (!this.open || this.open.size >= KEYS_PER_STATEMENT) {
        const opened = new Map<string, RefusalToStore[]>();
        this.open = opened;
        setImmediate(() => {
          if (this.open === opened) this.open = null;
          void this.send(opened);
        });
      }
      const id = keyId(request);
      const same = this.open.get(id);
      if (same) same.push({ request, outcome, settle: { resolve, reject } });
      else this.open.set(id, [{ request, outcome, settle: { resolve, reject } }]);
    });
  }

  private async send(keys: Map<string, RefusalToStore[]>): Promise<void> {
    try {
      const taken = await retryingDeadlocks(() =>
        takeKeys(
          this.db,
          [...keys.values()].map(([first]) => first),
        ),
      );
      for (const [id, [first, ...others]] of keys) {
        first.settle.resolve(taken.has(id));
        for (const other of others) other.settle.resolve(false);
      }
    } catch (error) {
      for (const waiting of keys.values()) for (const { settle } of waiting) settle.reject(error);
    }
  }
}

const refusalKeysOf = perDataSource((db) => new RefusalKeys(db));

async function replay<T, R>(row: Row, request: IdempotentRequest, restore: (stored: T) => Promise<R>): Promise<R> {
  if (row.operation !== request.operation || row.fingerprint !== request.fingerprint) {
    throw VoucherErrors.idempotencyConflict(`idempotencyKey ${JSON.stringify(request.key)} was used for another ${row.operation} request`);
  }
  if ('error' in row.outcome) {
    const { code, message, extensions } = row.outcome.error;
    throw contractError(code as ErrorCode, message, { ...extensions, replayed: true });
  }
  return restore(row.outcome.result as T);
}

/** Expired keys are deleted, a thousand at a time, on every hundredth keyed request of a process. */
const PURGE_EVERY_WRITES = 100;
const PURGE_BATCH_ROWS = 1000;
let writesSincePurge = 0;

function purgeExpiredNowAndThen(db: DataSource): void {
  writesSincePurge += 1;
  if (writesSincePurge < PURGE_EVERY_WRITES) return;
  writesSincePurge = 0;
  // Off the request's path; a failure only leaves the rows for the next round.
  void db
    .query(
      `DELETE FROM idempotent_requests WHERE ctid = ANY(ARRAY(
         SELECT ctid FROM idempotent_requests WHERE created_at <= now() - make_interval(hours => $1) ORDER BY created_at LIMIT $2))`,
      [IDEMPOTENCY_RETENTION_HOURS, PURGE_BATCH_ROWS],
    )
    .catch(() => undefined);
}

/** The answers a write that stores its own (writeUnderKey) stores, as they are replayed. */
export interface StoredAnswers<T> {
  result(saved: T): StoredOutcome<T>;
  refusal(error: GraphQLError): StoredOutcome<T>;
}

const storedAnswers: StoredAnswers<never> = { result: (saved) => ({ result: saved }), refusal: storedError };

export interface IdempotentWrite<P, R, T> {
  /** Checks that need no transaction (they may call other services); their refusals are stored too. */
  prepare(): Promise<P>;
  /**
   * The write and its answer under the key in one statement, for a write that has one (a keyed
   * claim): `taken` when the key is another request's (nothing written), the result, or a refusal
   * thrown (stored already, like the result); undefined when it wrote nothing and `write` is to do
   * the work. Without it, or when it answers undefined, `write` runs in a transaction of its own.
   */
  writeUnderKey?(prepared: P, answers: StoredAnswers<T>): Promise<{ taken: true } | { result: R } | undefined>;
  /** The write, inside the transaction that also stores its outcome. */
  write(tx: EntityManager, prepared: P): Promise<R>;
  /** What is stored of a result: ids, not rows, so a replay reads the rows as they are now. */
  save(result: R): T;
  restore(stored: T): Promise<R>;
}

/**
 * Runs a write at most once per (caller, key): the first answer (result or business refusal) is
 * stored in the same transaction as the write, and every later request with the key gets it back.
 * Two identical requests racing: the second one's INSERT waits on the first one's key row and then
 * replays its answer, so one claim is taken.
 */
export async function runIdempotent<P, R, T>(db: DataSource, request: IdempotentRequest, steps: IdempotentWrite<P, R, T>): Promise<R> {
  purgeExpiredNowAndThen(db);
  const existing = await findRecord(db, request);
  if (existing) return replay(existing, request, steps.restore);

  let prepared: P;
  try {
    prepared = await steps.prepare();
  } catch (error) {
    if (!isReplayedError(error)) throw error;
    if (await refusalKeysOf(db).take(request, storedError(error))) throw error;
    const winner = await findRecord(db, request);
    if (!winner) throw error;
    return replay(winner, request, steps.restore);
  }

  const underKey = await steps.writeUnderKey?.(prepared, storedAnswers as StoredAnswers<T>);
  // A deadlock aborted the whole transaction, key included: it runs again (see retryingDeadlocks).
  const outcome =
    underKey ??
    (await retryingDeadlocks(() =>
      db.transaction(async (tx) => {
        // A placeholder answer that no one ever reads: it is replaced before this transaction commits.
        if (!(await takeKey(tx, request, { error: { code: 'INTERNAL_SERVER_ERROR', message: 'in flight', extensions: {} } }))) return { taken: true as const };
        await tx.query('SAVEPOINT idempotent_write');
        let stored: StoredOutcome<T>;
        let answer: { result: R } | { error: GraphQLError };
        try {
          const result = await steps.write(tx, prepared);
          stored = { result: steps.save(result) };
          answer = { result };
        } catch (error) {
          if (!isReplayedError(error)) throw error;
          await tx.query('ROLLBACK TO SAVEPOINT idempotent_write');
          stored = storedError(error);
          answer = { error };
        }
        await tx.query(`UPDATE idempotent_requests SET outcome = $4::jsonb WHERE caller_kind = $1 AND caller_id = $2 AND idempotency_key = $3`, [
          request.callerKind,
          request.callerId,
          request.key,
          JSON.stringify(stored),
        ]);
        return answer;
      }),
    ));
  if ('taken' in outcome) {
    const winner = await findRecord(db, request);
    if (!winner) throw new Error('idempotency key row vanished after a conflict');
    return replay(winner, request, steps.restore);
  }
  if ('error' in outcome) throw outcome.error;
  return outcome.result;
}
