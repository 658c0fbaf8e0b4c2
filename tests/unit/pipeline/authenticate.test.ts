import type { Principal } from '@union/common';
import { AuthError } from '../../../gateway/src/auth';
import { ExpiringCache } from '../../../gateway/src/expiring-cache';
import type { PartnerAccess } from '../../../gateway/src/partner-access';
import { authenticate, expiryOf, type AuthenticationDeps } from '../../../gateway/src/pipeline/authenticate';
import { errorsOf, exchangeFor, HOSPITAL, incomingRequest } from './support';

const active: PartnerAccess = { status: 'active', rateLimitPerMinute: null, introspectionAllowed: false };

function deps(overrides: { verify?: (token: string) => Promise<Principal>; access?: PartnerAccess } = {}) {
  const verified: string[] = [];
  const d: AuthenticationDeps = {
    verifyAccessToken: async (token) => {
      verified.push(token);
      if (overrides.verify) return overrides.verify(token);
      if (token !== 'good') throw new AuthError('access token signature does not verify');
      return HOSPITAL;
    },
    verifiedTokens: new ExpiringCache<Principal>(10),
    partners: { get: async () => overrides.access ?? active },
  };
  return { d, verified };
}

// A JWT-shaped token whose payload expires in an hour (the signature is the verifier's business).
const jwt = (exp: number) => `h.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.s`;

describe('stage authenticate', () => {
  it('puts the principal and its partner standing on the exchange', async () => {
    const exchange = exchangeFor(incomingRequest({ headers: { authorization: 'Bearer good' } }));
    expect(await authenticate(exchange, deps().d)).toBeUndefined();
    expect(exchange.principal).toEqual(HOSPITAL);
    expect(exchange.access).toEqual(active);
  });

  it('answers 401 UNAUTHENTICATED with WWW-Authenticate without a bearer token, or with a bad one', async () => {
    for (const headers of [{}, { authorization: 'Basic abc' }, { authorization: 'Bearer forged' }] as Array<Record<string, string>>) {
      const refusal = await authenticate(exchangeFor(incomingRequest({ headers })), deps().d);
      expect(refusal?.status).toBe(401);
      expect(errorsOf(refusal?.body)[0].extensions.code).toBe('UNAUTHENTICATED');
      expect(refusal?.headers?.['www-authenticate']).toMatch(/^Bearer realm=/);
    }
  });

  it('answers 401 for a partner disabled since its token was issued', async () => {
    const refusal = await authenticate(
      exchangeFor(incomingRequest({ headers: { authorization: 'Bearer good' } })),
      deps({ access: { ...active, status: 'disabled' } }).d,
    );
    expect(refusal?.status).toBe(401);
    expect(errorsOf(refusal?.body)[0].message).toBe('this partner is disabled');
  });

  it('verifies a token once until it expires', async () => {
    const token = jwt(Math.floor(Date.now() / 1000) + 3600);
    const { d, verified } = deps({ verify: async () => HOSPITAL });
    for (let i = 0; i < 3; i += 1) await authenticate(exchangeFor(incomingRequest({ headers: { authorization: `Bearer ${token}` } })), d);
    expect(verified).toEqual([token]);
    expect(expiryOf(token)).toBeGreaterThan(Date.now());
    expect(expiryOf('not-a-jwt')).toBe(0);
  });
});
