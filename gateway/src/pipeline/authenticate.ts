import type { IncomingMessage } from 'node:http';
import type { Principal } from '@union/common';
import { AuthError } from '../auth';
import { ExpiringCache } from '../expiring-cache';
import { PartnerAccessCache, type PartnerAccess } from '../partner-access';
import { graphQLRefusal, type GraphQLExchange, type Refusal } from './exchange';

export interface AuthenticationDeps {
  /** Verifies an access token's signature, issuer, audience and expiry (TokenService.verifyAccessToken). */
  verifyAccessToken(token: string): Promise<Principal>;
  /** Tokens verified before, until they expire: an EdDSA verification per request was the gateway's largest crypto cost. */
  verifiedTokens: ExpiringCache<Principal>;
  partners: Pick<PartnerAccessCache, 'get'>;
}

/** The `exp` of a JWT whose signature has been verified, in epoch milliseconds (0 when it has none). */
export function expiryOf(token: string): number {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : 0;
  } catch {
    return 0;
  }
}

/** The principal of a request's bearer token; AuthError when there is none or it is not ours. */
export async function principalOf(req: IncomingMessage, deps: Pick<AuthenticationDeps, 'verifyAccessToken' | 'verifiedTokens'>): Promise<Principal> {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!match) throw new AuthError('missing bearer access token');
  const token = match[1];
  const known = deps.verifiedTokens.get(token);
  if (known) return known;
  const principal = await deps.verifyAccessToken(token);
  deps.verifiedTokens.set(token, principal, expiryOf(token));
  return principal;
}

export type Caller = { principal: Principal; access: PartnerAccess | null };

/**
 * The caller of a bearer-token endpoint and its partner's current standing, or the 401 to answer:
 * a bad token, or a partner disabled since the token was issued (seen within PARTNER_CACHE_SECONDS).
 * Used by the GraphQL pipeline and by the export route alike.
 */
export async function authenticateCaller(req: IncomingMessage, deps: AuthenticationDeps): Promise<Caller | Refusal> {
  let principal: Principal;
  try {
    principal = await principalOf(req, deps);
  } catch (error) {
    const reason = error instanceof AuthError ? error.message : 'invalid access token';
    return graphQLRefusal(401, 'UNAUTHENTICATED', reason, { headers: { 'www-authenticate': 'Bearer realm="union-benefits"' } });
  }
  const partnerId = PartnerAccessCache.partnerIdOf(principal);
  const access = partnerId ? await deps.partners.get(partnerId) : null;
  if (access && access.status !== 'active') {
    const reason = principal.kind === 'MEMBER' ? 'the platform that issued this member token is disabled' : 'this partner is disabled';
    return graphQLRefusal(401, 'UNAUTHENTICATED', reason, { headers: { 'www-authenticate': 'Bearer realm="union-benefits", error="invalid_token"' } });
  }
  return { principal, access };
}

export const isRefusal = (value: Caller | Refusal): value is Refusal => 'status' in value;

/** Stage "authenticate": who is calling, and is its partner still active. */
export async function authenticate(exchange: GraphQLExchange, deps: AuthenticationDeps): Promise<Refusal | void> {
  const caller = await authenticateCaller(exchange.req, deps);
  if (isRefusal(caller)) return caller;
  exchange.principal = caller.principal;
  exchange.access = caller.access;
}
