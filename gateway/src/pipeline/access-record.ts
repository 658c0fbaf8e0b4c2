import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { appendAccessRecord } from '../audit';
import type { CostBudget } from '../rate-limit';
import type { GraphQLExchange } from './exchange';

export interface AccessRecordDeps {
  db: DataSource;
  limiter: Pick<CostBudget, 'penalize'>;
  failedGuessPenalty: number;
  /** Writes one access record; appendAccessRecord over `db` by default (tests pass a failing one). */
  append?: typeof appendAccessRecord;
  logError(message: string, fields: Record<string, unknown>): void;
}

/**
 * Stage "record access", after execution and before the answer leaves: the rate-limit penalty for
 * failed guesses, and one access record for an answer that carries unmasked personal data. If the
 * record cannot be written the partner gets an error instead of the data (500 with an error id).
 */
export async function recordAccess(exchange: GraphQLExchange, deps: AccessRecordDeps): Promise<void> {
  const { context, response } = exchange;
  if (!context || !response) return;
  const { accessReport, principal, rate, requestId } = context;
  if (accessReport.failedGuesses > 0) {
    await deps.limiter
      .penalize(rate.key, accessReport.failedGuesses * deps.failedGuessPenalty, rate.perMinute)
      .catch((error: unknown) => deps.logError('failed-guess penalty not charged', { err: error }));
  }
  if (!accessReport.disclosesPersonalData) return;
  const { memberIds, fields, fieldsByMember } = accessReport.disclosure();
  try {
    await (deps.append ?? appendAccessRecord)(deps.db, {
      principal,
      operationName: context.notes.operationName ?? null,
      memberIds,
      fields,
      detail: { requestId, ...(fieldsByMember ? { fieldsByMember } : {}) },
    });
  } catch (error) {
    const errorId = randomUUID();
    deps.logError('access record not written, response withheld', { errorId, err: error });
    const body = JSON.stringify({ errors: [{ message: `internal error (id ${errorId})`, extensions: { code: 'INTERNAL_SERVER_ERROR', errorId } }] });
    response.status = 500;
    response.body = { kind: 'complete', string: body };
    response.headers.set('content-type', 'application/json; charset=utf-8');
    response.headers.delete('content-length');
    context.notes.outcome = 'INTERNAL_SERVER_ERROR';
  }
}
