import { keyedLoader } from '@union/common';
import type { DataSource } from 'typeorm';
import { BenefitProgramEntity } from './program.entity';

export function programLoaders(db: DataSource) {
  return {
    programById: keyedLoader<string, BenefitProgramEntity>(
      (ids) => db.getRepository(BenefitProgramEntity).createQueryBuilder('p').where('p.id = ANY(:ids)', { ids }).getMany(),
      (p) => p.id,
    ),
  };
}
