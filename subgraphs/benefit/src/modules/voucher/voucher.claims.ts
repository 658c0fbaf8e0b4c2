import { perDataSource, preparedRows, retryingDeadlocks, scrapedCounter, type MetricsRegistry, type PreparedStatement } from '@union/common';
import type { DataSource, EntityManager } from 'typeorm';
import { rowsOf } from '../../sql';
import { IDEMPOTENCY_RETENTION_HOURS } from '../idempotency/idempotency.store';

/** Candidate codes per claim: a collision (2^-80 per pair) moves on to the next one. */
export const CODES_PER_CLAIM = 3;

/** One claim as claim_voucher() takes it (migration StripedVoucherPools). */
export interface ClaimInput {
  batchId: string;
  memberId: string;
  /** The stripe the claim tries first. */
  start: number;
  voucherId: string;
  /** CODES_PER_CLAIM candidate codes. */
  codes: string[];
  issuedAt: Date;
  eventId: string;
  /** The VOUCHER_CLAIMED event's data, as JSON. */
  eventData: string;
  audience: string[];
  /** For a claim with an idempotency key: the key, and the answer to store under it by outcome. */
  underKey?: ClaimKey;
}

/** An idempotency key as a keyed claim statement takes it (migrations KeyedClaimInOneStatement, KeyedClaimGroups). */
export interface ClaimKey {
  callerKind: string;
  callerId: string;
  key: string;
  fingerprint: string;
  /** The answer to store under the key for each outcome (rendered as replayed); none: nothing stored. */
  answers: Record<string, unknown>;
}

/** What claim_voucher() answered: CLAIMED with the code and validity, or why not. */
export interface ClaimOutcome {
  outcome: string;
  code: string | null;
  valid_from: Date | null;
  valid_to: Date | null;
}

/** A claim on its own waits for a stripe when every one with vouchers left is held (p_wait, migration ClaimWaitsHoldingNoStripe). */
const CLAIM_SQL = `SELECT outcome, code, valid_from, valid_to FROM claim_voucher($1, $2, $3, $4, $5, $6, $7, $8, $9, true)`;
/** Outside a caller's transaction a lone claim goes out as one prepared statement, with claimValues. */
export const CLAIM_ALONE: PreparedStatement = { name: 'benefit.claim_voucher', text: CLAIM_SQL };
/** A group of claims of one batch (migrations GroupedVoucherClaims, ParallelVoucherClaimGroups), with claimGroupValues. */
export const CLAIM_GROUP: PreparedStatement = {
  name: 'benefit.claim_vouchers',
  text: `SELECT ord, outcome, code, valid_from, valid_to FROM claim_vouchers($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
};
/** A group of claims of one batch some of which carry an idempotency key (migration KeyedClaimGroups). */
const CLAIM_GROUP_UNDER_KEYS: PreparedStatement = {
  name: 'benefit.claim_vouchers_under_keys',
  text: `SELECT ord, outcome, code, valid_from, valid_to FROM claim_vouchers_under_keys($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
};
/**
 * Claims one statement carries at most: every claim of a group waits for the whole group, about
 * 0.5 ms of PostgreSQL's time a claim, and by 20 the cost per statement and commit is spread thin.
 */
const MAX_GROUP = 20;
/**
 * claim_vouchers()'s answer for a claim it left to be sent alone: the stripes its group could take
 * without waiting ran out, and only a lone claim waits for one (migration ParallelVoucherClaimGroups);
 * or, for a keyed claim, its outcome had no answer to store (migration KeyedClaimGroups).
 */
const SEND_ALONE = 'SEND_ALONE';

/** The parameters of CLAIM_ALONE (and of a claim in the caller's transaction). */
export const claimValues = (c: ClaimInput) => [c.batchId, c.memberId, c.start, c.voucherId, c.codes, c.issuedAt, c.eventId, c.eventData, c.audience];

/** The parameters of CLAIM_GROUP for claims of one batch. */
export const claimGroupValues = (claims: ClaimInput[]) => [
  claims[0].batchId,
  claims.map((c) => c.memberId),
  claims.map((c) => c.start),
  claims.map((c) => c.voucherId),
  claims.flatMap((c) => c.codes),
  CODES_PER_CLAIM,
  claims.map((c) => c.issuedAt),
  claims.map((c) => c.eventId),
  claims.map((c) => c.eventData),
  JSON.stringify(claims.map((c) => c.audience)),
];

/**
 * One claim as one autocommitted statement (sent again should PostgreSQL abort it to break a
 * deadlock); a keyed one with its answer under its key (claimUnderKey).
 */
async function claimAlone(db: DataSource, claim: ClaimInput): Promise<ClaimOutcome | undefined> {
  if (claim.underKey) return claimUnderKey(db, claim.underKey, claim);
  const [row] = await retryingDeadlocks(() => preparedRows<ClaimOutcome>(db, CLAIM_ALONE, claimValues(claim)));
  return row;
}

/** One claim inside the caller's transaction (the idempotent path's long way). */
export async function claimInTransaction(tx: EntityManager, claim: ClaimInput): Promise<ClaimOutcome | undefined> {
  const [row] = await rowsOf<ClaimOutcome>(tx, CLAIM_SQL, claimValues(claim));
  return row;
}

/** A keyed claim with its answer stored under the key, in one statement (migration KeyedClaimInOneStatement). */
const CLAIM_ONCE: PreparedStatement = {
  name: 'benefit.claim_voucher_once',
  text: `SELECT outcome, code, valid_from, valid_to FROM claim_voucher_once($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
};
/** claim_voucher_once()'s outcome when the key is another request's: nothing was claimed. */
export const KEY_TAKEN = 'KEY_TAKEN';
/** claim_voucher_once()'s SQLSTATE for an outcome it was given no answer to store: nothing was written. */
const NO_ANSWER_TO_STORE = 'UV001';

/**
 * A claim under an idempotency key and its answer stored under the key (`key.answers`, by outcome),
 * as one autocommitted statement. Undefined when the outcome had no answer: then nothing was
 * written, the key included.
 */
async function claimUnderKey(db: DataSource, key: ClaimKey, claim: ClaimInput): Promise<ClaimOutcome | undefined> {
  const values = [key.callerKind, key.callerId, key.key, key.fingerprint, IDEMPOTENCY_RETENTION_HOURS, JSON.stringify(key.answers), ...claimValues(claim)];
  try {
    const [row] = await retryingDeadlocks(() => preparedRows<ClaimOutcome>(db, CLAIM_ONCE, values));
    return row;
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === NO_ANSWER_TO_STORE) return undefined;
    throw error;
  }
}

/**
 * An error PostgreSQL answered for the statement itself: an autocommitted statement that failed
 * was rolled back whole, so its claims can be sent again. (A lost connection says nothing about
 * whether the commit happened, so those are not retried.)
 */
const statementFailed = (error: unknown) => {
  const { code, severity } = (error ?? {}) as { code?: unknown; severity?: unknown };
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && severity === 'ERROR';
};

interface Pending {
  claim: ClaimInput;
  resolve: (outcome: ClaimOutcome | undefined) => void;
  reject: (error: unknown) => void;
}

/**
 * The claims a process has in flight for one batch in one turn of the event loop, sent as one
 * statement and committed once (claim_vouchers(): each claim is still claim_voucher(), all or
 * nothing on its own). In a rush a hundred claims are in flight; each paid its own statement, its
 * own commit and its own round trip. A claim alone in its turn goes out as before, and so does a
 * claim the group could not place in the stripes it took without waiting. If PostgreSQL
 * refuses the group statement (a deadlock, a code that could not be placed), nothing of it was
 * written and each claim is sent again on its own, so one claim's failure is only its own.
 */
export class ClaimGroups {
  private readonly open = new Map<string, Pending[]>();
  /** Group statements sent (each claim sent alone is a statement of its own). */
  groupStatements = 0;
  /**
   * Claims by the statement that answered them (union_voucher_claims_sent_total): a group's, their
   * own as the only claim of their turn, their own after the group's stripes could not hold them,
   * their own after PostgreSQL refused their group.
   */
  readonly claimsSent: Record<'group' | 'alone' | 'send_alone' | 'group_refused', number> = { group: 0, alone: 0, send_alone: 0, group_refused: 0 };

  constructor(private readonly db: DataSource) {}

  take(claim: ClaimInput): Promise<ClaimOutcome | undefined> {
    return new Promise((resolve, reject) => {
      let group = this.open.get(claim.batchId);
      if (!group) {
        const opened: Pending[] = [];
        this.open.set(claim.batchId, opened);
        setImmediate(() => {
          if (this.open.get(claim.batchId) === opened) this.open.delete(claim.batchId);
          void this.send(opened);
        });
        group = opened;
      }
      group.push({ claim, resolve, reject });
      if (group.length >= MAX_GROUP) this.open.delete(claim.batchId);
    });
  }

  /** Statements sent (groups, and claims sent alone): what the tests count. */
  get statements(): number {
    const { alone, send_alone, group_refused } = this.claimsSent;
    return this.groupStatements + alone + send_alone + group_refused;
  }

  private async send(group: Pending[]): Promise<void> {
    if (group.length === 1) return this.sendAlone(group[0], 'alone');
    this.groupStatements += 1;
    let rows: Array<ClaimOutcome & { ord: number }>;
    const claims = group.map((p) => p.claim);
    try {
      rows = claims.some((c) => c.underKey)
        ? await preparedRows(this.db, CLAIM_GROUP_UNDER_KEYS, [
            JSON.stringify(claims.map((c) => c.underKey ?? null)),
            IDEMPOTENCY_RETENTION_HOURS,
            ...claimGroupValues(claims),
          ])
        : await preparedRows(this.db, CLAIM_GROUP, claimGroupValues(claims));
    } catch (error) {
      if (!statementFailed(error)) {
        for (const pending of group) pending.reject(error);
        return;
      }
      await Promise.all(group.map((pending) => this.sendAlone(pending, 'group_refused')));
      return;
    }
    const alone: Pending[] = [];
    for (const row of rows) {
      const pending = group[row.ord - 1];
      if (!pending) continue;
      if (row.outcome === SEND_ALONE) alone.push(pending);
      else pending.resolve(row);
    }
    this.claimsSent.group += group.length - alone.length;
    // A claim the function did not answer for (it always does) must not hang its request; the
    // others are settled already, and a promise settles once.
    for (const pending of group) if (!alone.includes(pending)) pending.resolve(undefined);
    await Promise.all(alone.map((pending) => this.sendAlone(pending, 'send_alone')));
  }

  private async sendAlone(pending: Pending, why: 'alone' | 'send_alone' | 'group_refused'): Promise<void> {
    this.claimsSent[why] += 1;
    try {
      pending.resolve(await claimAlone(this.db, pending.claim));
    } catch (error) {
      pending.reject(error);
    }
  }
}

/** The process's claim groups on a data source (one per running benefit subgraph). */
export const claimGroupsOf = perDataSource((db) => new ClaimGroups(db));

/** The claim groups' counts on /metrics: statements by kind, and claims by the statement that answered them. */
export function observeClaimGroups(registry: MetricsRegistry, groups: ClaimGroups): void {
  scrapedCounter(registry, {
    name: 'union_voucher_claim_statements_total',
    help: 'Voucher claim statements sent to PostgreSQL: a group of the claims of one batch in one turn, or one claim alone.',
    label: 'kind',
    read: () => ({ group: groups.groupStatements, alone: groups.statements - groups.groupStatements }),
  });
  scrapedCounter(registry, {
    name: 'union_voucher_claims_sent_total',
    help: 'Voucher claims (without an idempotency key) by the statement that answered them: group, alone (only claim of its turn), send_alone (its group found no free stripe for it), group_refused.',
    label: 'sent',
    read: () => groups.claimsSent,
  });
}
