import type { BenefitContext } from '../../context';
import type { BenefitProgramEntity } from './program.entity';
import { loadProgram } from './program.service';

/** Program names and windows are not personal data; any authenticated caller may resolve a program it was handed. */
export function resolveProgramReference(reference: { id: string }, ctx: BenefitContext): Promise<BenefitProgramEntity | null> {
  return loadProgram(ctx, reference.id);
}
