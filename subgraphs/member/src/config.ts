import { loadSubgraphConfig, secret } from '@union/common';
import { z } from 'zod';

export type MemberConfig = ReturnType<typeof loadMemberConfig>;

export function loadMemberConfig(env: Record<string, string | undefined> = process.env) {
  const { base, extra } = loadSubgraphConfig(
    'member',
    4001,
    {
      /** Key of the HMAC that makes ID numbers searchable without storing them. Never rotate without re-hashing. */
      ID_NUMBER_HMAC_KEY: secret,
      /** Signs the rotating member card codes (电子会员证 QR codes). */
      CARD_TOKEN_SECRET: secret,
      VERIFICATION_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(4 * 3600),
    },
    env,
  );
  return {
    ...base,
    idNumberHmacKey: extra.ID_NUMBER_HMAC_KEY,
    cardTokenSecret: extra.CARD_TOKEN_SECRET,
    verificationTtlSeconds: extra.VERIFICATION_TTL_SECONDS,
  };
}
