import type { BenefitContext } from '../../context';
import type { VoucherBatchEntity } from './batch.entity';
import { loadBatch } from './batch.service';

/** Batches are offers, not personal data (see BATCH_READ_SCOPES): any authenticated caller may resolve one it was handed. */
export function resolveBatchReference(reference: { id: string }, ctx: BenefitContext): Promise<VoucherBatchEntity | null> {
  return loadBatch(ctx, reference.id);
}
