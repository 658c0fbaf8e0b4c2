import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createVerifier, TokenError } from 'fast-jwt';
import { calculateJwkThumbprint, exportJWK, SignJWT, type JWK } from 'jose';
import { z } from 'zod';
import { isUuid, type Principal } from '@union/common';
import type { Partner } from './partners';
import { isPartnerKind, MEMBER_SCOPES, scopesNotAllowedFor, type Scope } from './scopes';

/** An access token that cannot be accepted; the message says why, in words fit for the caller. */
export class AuthError extends Error {}

export const DEFAULT_ISSUER = 'union-benefits-gateway';
export const DEFAULT_AUDIENCE = 'union-benefits-api';
export const DEFAULT_PARTNER_TOKEN_TTL_SECONDS = 600;
export const DEFAULT_MEMBER_TOKEN_TTL_SECONDS = 300;

// RFC 9068's media type for JWT access tokens: checking it on the way in means no other JWT we
// might ever sign with this key (an ID token, say) can be replayed as an access token.
const ACCESS_TOKEN_TYPE = 'at+jwt';
const ALGORITHM = 'EdDSA';
const MEMBER_TOKEN_NAME = 'member';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** RFC 7638 thumbprint of the public key: names the key in the `kid` header and in the JWKS. */
  keyId: string;
}

export interface SigningKeyOptions {
  /** An Ed25519 private key in PKCS#8 PEM (literal `\n` sequences, as env files write them, are accepted). */
  privateKeyPem?: string;
  /** Where a generated key is kept between starts (mode 0600) when no PEM is configured. */
  keyFile?: string;
}

async function toSigningKey(privateKey: KeyObject): Promise<SigningKey> {
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`the gateway signing key must be an Ed25519 private key, not ${privateKey.asymmetricKeyType ?? privateKey.type}`);
  }
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: await calculateJwkThumbprint(await exportJWK(publicKey)) };
}

function parsePrivateKeyPem(pem: string, source: string): KeyObject {
  try {
    return createPrivateKey(pem.includes('\\n') ? pem.replace(/\\n/g, '\n') : pem);
  } catch (error) {
    throw new Error(`${source} is not a PEM private key (${(error as Error).message})`);
  }
}

/** Why `pem` cannot be the signing key (not a PEM private key, not Ed25519), or null when it can: for the configuration check at start. */
export function signingKeyPemProblem(pem: string): string | null {
  let key: KeyObject;
  try {
    key = parsePrivateKeyPem(pem, 'the key');
  } catch {
    return 'is not a PEM private key (PKCS#8)';
  }
  return key.asymmetricKeyType === 'ed25519' ? null : `must be an Ed25519 private key, not ${key.asymmetricKeyType ?? key.type}`;
}

const generatePrivateKeyPem = () => generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

/**
 * The token signing key: the configured PEM if there is one; else the key in `keyFile`, generated
 * and written there on first use (so tokens survive a restart of the embedded default setup);
 * else a key that lives in memory only (tests, throwaway runs).
 */
export async function loadOrCreateSigningKey(options: SigningKeyOptions = {}): Promise<SigningKey> {
  if (options.privateKeyPem) return toSigningKey(parsePrivateKeyPem(options.privateKeyPem, 'the configured signing key'));
  if (!options.keyFile) return toSigningKey(generateKeyPairSync('ed25519').privateKey);

  const keyFile = options.keyFile;
  try {
    return toSigningKey(parsePrivateKeyPem(await readFile(keyFile, 'utf8'), keyFile));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dirname(keyFile), { recursive: true, mode: 0o700 });
  const pem = generatePrivateKeyPem();
  try {
    // 'wx': when two processes start at once, exactly one key wins and both use it.
    await writeFile(keyFile, pem, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return toSigningKey(parsePrivateKeyPem(await readFile(keyFile, 'utf8'), keyFile));
  }
  return toSigningKey(parsePrivateKeyPem(pem, keyFile));
}

export interface TokenServiceOptions {
  signingKey: SigningKey;
  issuer?: string;
  audience?: string;
  partnerTokenTtlSeconds?: number;
  memberTokenTtlSeconds?: number;
  /** Injected so that tests can issue tokens in the past (verification reads the system clock); defaults to the system clock. */
  clock?: () => Date;
}

export interface IssuedAccessToken {
  accessToken: string;
  tokenType: 'Bearer';
  /** Seconds, as in the token response's `expires_in`. */
  expiresIn: number;
  expiresAt: Date;
  scopes: string[];
}

const claimsSchema = z.object({
  sub: z.string().refine(isUuid, 'sub must be a UUID'),
  kind: z.string(),
  scope: z.string(),
  name: z.string(),
  org: z.string().refine(isUuid, 'org must be a UUID').optional(),
  act: z.object({ sub: z.string().refine(isUuid, 'act.sub must be a UUID') }).optional(),
});

// Deliberately vague towards the caller: which check failed helps an attacker more than a partner.
const TOKEN_ERROR_MESSAGES: Record<string, string> = {
  [TokenError.codes.expired]: 'access token has expired',
  [TokenError.codes.inactive]: 'access token is not valid yet',
  [TokenError.codes.invalidSignature]: 'access token signature is invalid',
  // An unsigned token (alg: none, or no signature at all) is no JWS of ours.
  [TokenError.codes.missingSignature]: 'access token is malformed',
  [TokenError.codes.invalidAlgorithm]: 'access token algorithm is not accepted',
  [TokenError.codes.invalidType]: 'access token typ is not accepted',
};
const CLAIM_ERRORS = new Set<string>([TokenError.codes.invalidClaimValue, TokenError.codes.invalidClaimType, TokenError.codes.missingRequiredClaim]);

function describeTokenError(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  if (code && CLAIM_ERRORS.has(code)) {
    // fast-jwt names the claim only in its message ("The iss claim value is not allowed.").
    const claim = /\b(\w+) claim\b/.exec(message ?? '')?.[1];
    return `access token ${claim ?? 'claim'} is not accepted`;
  }
  return (code && TOKEN_ERROR_MESSAGES[code]) ?? 'access token is malformed';
}

/**
 * Issues and verifies the gateway's access tokens: EdDSA-signed JWTs (RFC 9068 profile) that carry
 * everything the gateway needs to build a Principal, so verifying one costs no database query.
 * The price is that a disabled partner's tokens stay valid until they expire (at most the token
 * lifetime, 10 minutes by default).
 */
export class TokenService {
  readonly issuer: string;
  readonly audience: string;
  readonly partnerTokenTtlSeconds: number;
  readonly memberTokenTtlSeconds: number;
  private readonly signingKey: SigningKey;
  private readonly clock: () => Date;
  /**
   * fast-jwt, not jose, checks the tokens on the way in: jose verifies an EdDSA signature on libuv's
   * thread pool, which cost the gateway 0.40-0.47 ms of CPU a token against 0.17-0.22 for the same
   * check done synchronously (measured in-process, 3,000 new member tokens). Every first request
   * with a token pays it: a member app's first request after its token exchange, in a rush too.
   */
  private readonly verifyJwt: (token: string) => Record<string, unknown>;

  constructor(options: TokenServiceOptions) {
    this.signingKey = options.signingKey;
    this.issuer = options.issuer ?? DEFAULT_ISSUER;
    this.audience = options.audience ?? DEFAULT_AUDIENCE;
    this.partnerTokenTtlSeconds = options.partnerTokenTtlSeconds ?? DEFAULT_PARTNER_TOKEN_TTL_SECONDS;
    this.memberTokenTtlSeconds = options.memberTokenTtlSeconds ?? DEFAULT_MEMBER_TOKEN_TTL_SECONDS;
    this.clock = options.clock ?? (() => new Date());
    this.verifyJwt = createVerifier({
      key: this.signingKey.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      algorithms: [ALGORITHM],
      allowedIss: this.issuer,
      allowedAud: this.audience,
      checkTyp: ACCESS_TOKEN_TYPE,
      requiredClaims: ['sub', 'exp', 'iat', 'jti'],
      // Verified tokens are remembered by the authenticate stage, until each one's own expiry.
      cache: false,
    });
    for (const [label, ttl] of [
      ['partner', this.partnerTokenTtlSeconds],
      ['member', this.memberTokenTtlSeconds],
    ] as const) {
      if (!Number.isSafeInteger(ttl) || ttl <= 0) throw new Error(`${label} token lifetime must be a positive number of seconds`);
    }
  }

  /** A token for the partner itself; `scopes` narrows it and must be a subset of what the partner holds. */
  async issuePartnerToken(partner: Partner, scopes: readonly Scope[] = partner.scopes): Promise<IssuedAccessToken> {
    // The OAuth endpoint checks all of this first; reaching here otherwise is a bug, not a bad request.
    if (partner.status !== 'active') throw new Error(`partner ${partner.id} is disabled`);
    const notHeld = scopes.filter((scope) => !partner.scopes.includes(scope));
    if (notHeld.length > 0) throw new Error(`partner ${partner.id} does not hold ${notHeld.join(', ')}`);
    const claims: Record<string, unknown> = { kind: partner.kind, scope: scopes.join(' '), name: partner.name, client_id: partner.clientId };
    if (partner.organizationId) claims.org = partner.organizationId;
    return this.sign(partner.id, claims, [...scopes], this.partnerTokenTtlSeconds);
  }

  /**
   * A MEMBER token for a member app on a PLATFORM (RFC 8693 token exchange): the member is the
   * subject, the platform the actor. The caller has checked that the member exists and is active.
   */
  async issueMemberToken(memberId: string, platform: Partner): Promise<IssuedAccessToken> {
    if (platform.kind !== 'PLATFORM' || platform.status !== 'active' || !platform.scopes.includes('member:act-as')) {
      throw new Error(`partner ${platform.id} may not act as members`);
    }
    if (!isUuid(memberId)) throw new Error('member id must be a UUID');
    const claims = {
      kind: 'MEMBER',
      scope: MEMBER_SCOPES.join(' '),
      name: MEMBER_TOKEN_NAME,
      client_id: platform.clientId,
      act: { sub: platform.id },
    };
    return this.sign(memberId, claims, [...MEMBER_SCOPES], this.memberTokenTtlSeconds);
  }

  /** The caller behind a bearer token, or AuthError: only our key, EdDSA, our issuer and audience, unexpired. */
  async verifyAccessToken(token: string): Promise<Principal> {
    let payload: unknown;
    try {
      payload = this.verifyJwt(token);
    } catch (error) {
      throw new AuthError(describeTokenError(error));
    }
    return this.toPrincipal(payload);
  }

  /** The public key as a JWK Set, for a `/.well-known/jwks.json` route. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const jwk = await exportJWK(this.signingKey.publicKey);
    return { keys: [{ ...jwk, kid: this.signingKey.keyId, alg: ALGORITHM, use: 'sig' }] };
  }

  private async sign(subject: string, claims: Record<string, unknown>, scopes: string[], ttlSeconds: number): Promise<IssuedAccessToken> {
    const issuedAt = Math.floor(this.clock().getTime() / 1000);
    const expiresAt = issuedAt + ttlSeconds;
    const accessToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: ALGORITHM, typ: ACCESS_TOKEN_TYPE, kid: this.signingKey.keyId })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setSubject(subject)
      .setJti(randomUUID())
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(this.signingKey.privateKey);
    return { accessToken, tokenType: 'Bearer', expiresIn: ttlSeconds, expiresAt: new Date(expiresAt * 1000), scopes };
  }

  /**
   * Only we sign these tokens, so a signed token that does not make sense is a bug or a leaked
   * key; refusing it is cheaper than finding out what it would have been allowed to do.
   */
  private toPrincipal(payload: unknown): Principal {
    const parsed = claimsSchema.safeParse(payload);
    if (!parsed.success) throw new AuthError('access token claims are malformed');
    const { sub, kind, scope, name, org, act } = parsed.data;
    const scopes = scope.split(' ').filter((s) => s !== '');

    if (kind === 'MEMBER') {
      if (!act || scope !== MEMBER_SCOPES.join(' ')) throw new AuthError('access token claims are malformed');
      return { kind: 'MEMBER', id: sub, name, scopes, organizationId: null, actingPartnerId: act.sub };
    }
    if (!isPartnerKind(kind) || act || scopesNotAllowedFor(kind, scopes).length > 0 || (kind === 'UNION') !== (org !== undefined)) {
      throw new AuthError('access token claims are malformed');
    }
    return { kind, id: sub, name, scopes, organizationId: org ?? null, actingPartnerId: null };
  }
}
