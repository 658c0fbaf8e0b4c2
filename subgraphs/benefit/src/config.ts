import { loadSubgraphConfig } from '@union/common';
import { z } from 'zod';

export type BenefitConfig = ReturnType<typeof loadBenefitConfig>;

export function loadBenefitConfig(env: Record<string, string | undefined> = process.env) {
  const { base, extra } = loadSubgraphConfig(
    'benefit',
    4002,
    {
      /** The member subgraph, asked for member and organization facts (eligibility, visibility). */
      MEMBER_SUBGRAPH_URL: z.string().url().default('http://127.0.0.1:4001/graphql'),
    },
    env,
  );
  return { ...base, memberSubgraphUrl: extra.MEMBER_SUBGRAPH_URL };
}
