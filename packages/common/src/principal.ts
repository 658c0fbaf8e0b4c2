import { createSecretKey, type KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';

export type PartnerKind = 'HOSPITAL' | 'TRAVEL_PARTNER' | 'MERCHANT' | 'UNION' | 'PLATFORM';
export type PrincipalKind = PartnerKind | 'MEMBER' | 'SERVICE';

/** Who is calling, as established by the gateway from the partner's access token. */
export interface Principal {
  kind: PrincipalKind;
  /** Partner id, member id (MEMBER) or service name (SERVICE). */
  id: string;
  name: string;
  scopes: string[];
  /** UNION callers: the organization whose subtree they act on. */
  organizationId?: string | null;
  /** MEMBER callers: the PLATFORM partner that exchanged the member token. */
  actingPartnerId?: string | null;
}

/** Header that carries the gateway-signed principal to the subgraphs. */
export const INTERNAL_TOKEN_HEADER = 'x-union-internal-token';
const ISSUER = 'union-gateway';
const AUDIENCE = 'union-subgraphs';

const secretKeys = new Map<string, KeyObject>();

/**
 * The internal secret as a key object, made once per secret: given bytes, jose made a new key
 * object for every signature and every check (10-20 % of either, measured in-process).
 */
function secretKeyOf(secret: string): KeyObject {
  let key = secretKeys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    if (secretKeys.size < 16) secretKeys.set(secret, key);
  }
  return key;
}

/**
 * Signs the principal for one hop from the gateway (or one subgraph) to a subgraph. The token lives
 * for seconds: it proves the request came through our own services, it is not a session.
 */
export async function signInternalToken(principal: Principal, secret: string, ttlSeconds = 60): Promise<string> {
  return new SignJWT({ p: principal })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(secretKeyOf(secret));
}

export async function verifyInternalToken(token: string, secret: string): Promise<Principal> {
  // `exp` is required: jose checks it only when present, and an internal token is never meant to outlive its request.
  const { payload } = await jwtVerify(token, secretKeyOf(secret), {
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['HS256'],
    requiredClaims: ['exp'],
  });
  const principal = payload.p as Principal | undefined;
  if (!principal || typeof principal.kind !== 'string' || typeof principal.id !== 'string' || !Array.isArray(principal.scopes)) {
    throw new Error('internal token carries no principal');
  }
  return principal;
}

/**
 * verifyInternalToken behind a bounded cache of tokens already verified, each kept until its own
 * `exp`: the gateway reuses one signed token per principal for half a minute, so a subgraph would
 * otherwise check the same HMAC (and parse the same claims) on every request. Only tokens that
 * passed the full check are cached, keyed by the whole token string, so a token that differs in
 * a single byte is verified afresh; the expiry is checked again on every hit.
 */
export function cachedInternalTokenVerifier(secret: string, options: { maxEntries?: number; now?: () => number } = {}): (token: string) => Promise<Principal> {
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const verified = new Map<string, { principal: Principal; expiresAt: number }>();
  return async (token) => {
    const known = verified.get(token);
    if (known) {
      if (known.expiresAt > now()) return known.principal;
      verified.delete(token);
    }
    const principal = await verifyInternalToken(token, secret);
    const expiresAt = expiryMsOf(token);
    if (expiresAt > now()) {
      // A Map iterates in insertion order: the oldest entry goes first when full.
      if (verified.size >= maxEntries) verified.delete(verified.keys().next().value as string);
      verified.set(token, { principal, expiresAt });
    }
    return principal;
  };
}

/** The `exp` of a verified JWT in epoch milliseconds (0 when unreadable, which means "do not cache"). */
function expiryMsOf(token: string): number {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : 0;
  } catch {
    return 0;
  }
}

export const hasScope = (principal: Principal, scope: string) => principal.scopes.includes(scope);

/** The identity subgraphs use when they call each other on their own behalf. */
export const serviceCaller = (name: string): Principal => ({ kind: 'SERVICE', id: name, name, scopes: ['internal'] });
