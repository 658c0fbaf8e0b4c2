import { BenefitFoundation1767000000100 } from './1767000000100-BenefitFoundation';

/** Every migration of the benefit subgraph, in order. New ones are appended here. */
export const benefitMigrations = [BenefitFoundation1767000000100];
