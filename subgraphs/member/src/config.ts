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
      VERIFICATION_TTL_SECONDS: z.coerce
        .number()
        .int()
        .min(60)
        .max(86_400)
        .default(4 * 3600),
      /** New join applications one invitation accepts per clock hour (a leaked QR code cannot flood a union). */
      JOIN_APPLICATIONS_PER_INVITATION_PER_HOUR: z.coerce.number().int().min(1).max(1_000_000).default(1000),
      /** New join applications one ID number may file per day, over all invitations. */
      JOIN_APPLICATIONS_PER_ID_NUMBER_PER_DAY: z.coerce.number().int().min(1).max(1000).default(5),
      /** Largest bulk-import file, in bytes (413 above it). */
      IMPORT_MAX_BYTES: z.coerce
        .number()
        .int()
        .min(1024)
        .max(1024 * 1024 * 1024)
        .default(64 * 1024 * 1024),
      /** Most data rows in one bulk-import file (the whole file is refused above it). */
      IMPORT_MAX_ROWS: z.coerce.number().int().min(1).max(10_000_000).default(200_000),
    },
    env,
  );
  return {
    ...base,
    idNumberHmacKey: extra.ID_NUMBER_HMAC_KEY,
    cardTokenSecret: extra.CARD_TOKEN_SECRET,
    verificationTtlSeconds: extra.VERIFICATION_TTL_SECONDS,
    joinApplicationsPerInvitationPerHour: extra.JOIN_APPLICATIONS_PER_INVITATION_PER_HOUR,
    joinApplicationsPerIdNumberPerDay: extra.JOIN_APPLICATIONS_PER_ID_NUMBER_PER_DAY,
    importMaxBytes: extra.IMPORT_MAX_BYTES,
    importMaxRows: extra.IMPORT_MAX_ROWS,
  };
}
