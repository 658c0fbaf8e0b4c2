import type { DataSource } from 'typeorm';
import { appendAccessRecord } from '../audit';
import { withheldAnswer } from '../outage';
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
    // The database down is 503 SERVICE_UNAVAILABLE with Retry-After; anything else 500 (outage.ts).
    const withheld = withheldAnswer(error);
    deps.logError('access record not written, response withheld', { errorId: withheld.errorId, err: error });
    response.status = withheld.status;
    response.body = { kind: 'complete', string: JSON.stringify({ errors: [withheld.error] }) };
    response.headers.set('content-type', 'application/json; charset=utf-8');
    response.headers.delete('content-length');
    for (const [name, value] of Object.entries(withheld.headers)) response.headers.set(name, value);
    context.notes.outcome = String(withheld.error.extensions.code);
  }
}
