import { CursorCodec, type AccessReport, type Principal } from '@union/common';
import type { DataSource } from 'typeorm';
import { AccessPolicy } from './access';
import type { MemberConfig } from './config';
import { memberLoaders } from './modules/member/member.loaders';
import { organizationLoaders } from './modules/organization/organization.loaders';
import { transferLoaders } from './modules/transfer/transfer.loaders';

export interface MemberContext {
  principal: Principal;
  requestId: string;
  db: DataSource;
  config: MemberConfig;
  cursors: CursorCodec;
  loaders: ReturnType<typeof memberLoaders> & ReturnType<typeof organizationLoaders> & ReturnType<typeof transferLoaders>;
  access: AccessPolicy;
  /** What the gateway must record about this request (unmasked personal data): see AccessReportingContext. */
  accessReport(): Pick<AccessReport, 'personalData'> | undefined;
}

// The cursor key is derived from the secret with an HMAC: once per process, not once per request.
const cursorCodecs = new Map<string, CursorCodec>();
const cursorCodecFor = (secret: string): CursorCodec => {
  let codec = cursorCodecs.get(secret);
  if (!codec) cursorCodecs.set(secret, (codec = new CursorCodec(secret)));
  return codec;
};

/** A fresh context per request: loaders cache rows for this request only. */
export function createMemberContext(db: DataSource, config: MemberConfig, principal: Principal, requestId: string): MemberContext {
  const organizations = organizationLoaders(db);
  const access = new AccessPolicy(principal, organizations);
  return {
    principal,
    requestId,
    db,
    config,
    cursors: cursorCodecFor(config.internalSecret),
    loaders: { ...memberLoaders(db), ...organizations, ...transferLoaders(db) },
    access,
    accessReport: () => {
      const personalData = access.disclosures.report();
      return personalData && { personalData };
    },
  };
}
