import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DataSource } from 'typeorm';
import { BodyTooLargeError, isUnavailable, isUuid, readBody, requestIdOf, RETRY_AFTER_SECONDS, sendJson } from '@union/common';
import { TrustedProxies } from '../client-address';
import { createLimiterStore, type LimiterStore } from '../limiter-store';
import { PartnerRegistry, type Partner } from './partners';
import { isScope, MEMBER_SCOPES, parseScopeParameter, type Scope } from './scopes';
import { TokenService, type SigningKey } from './tokens';

export const CLIENT_CREDENTIALS_GRANT = 'client_credentials';
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** Our own subject token type (RFC 8693 §3 allows URIs outside the IETF namespace). */
export const MEMBER_ID_TOKEN_TYPE = 'urn:union-benefits:params:oauth:token-type:member-id';
export const ACCESS_TOKEN_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const BASIC_REALM = 'union-benefits';

const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

/** What the token endpoint needs to know about a member: only existence and status. */
export interface MemberStatusFacts {
  id: string;
  status: string;
}
export type LookupMember = (memberId: string, requestId?: string) => Promise<MemberStatusFacts | null>;

export interface TokenEndpointDeps {
  registry: PartnerRegistry;
  tokens: TokenService;
  lookupMember: LookupMember;
  failedAuthentications?: FailedAuthenticationLimiter;
  /** Whose X-Forwarded-For to believe when counting failures by address (none: the TCP peer counts). */
  trustedProxies?: TrustedProxies;
  maxBodyBytes?: number;
  log?: (line: string) => void;
}

export const DEFAULT_FAILED_AUTHENTICATIONS_PER_MINUTE = 30;
export const DEFAULT_FAILED_AUTHENTICATIONS_PER_ADDRESS_PER_MINUTE = 300;

const FAILURE_WINDOW_SECONDS = 60;

/** A client id as a counter key: short safe ones as they are, anything else (a caller can send any string) hashed. */
function clientKey(clientId: string): string {
  return /^[A-Za-z0-9._~-]{1,100}$/.test(clientId) ? clientId : `#${createHash('sha256').update(clientId).digest('base64url').slice(0, 22)}`;
}

/**
 * Checking a client secret runs scrypt, slow on purpose, on Node's small shared thread pool: a
 * caller sending wrong credentials in a loop could keep token issuance busy for everyone. Failed
 * client authentications are counted per (client id, network address) and, with a much higher
 * ceiling, per address alone; past either, that client at that address (or the whole address) is
 * answered 429 with Retry-After, without any secret check, until its minute is over.
 *
 * Per (client id, address) because one misconfigured partner behind a shared ingress or NAT must
 * not lock out every other partner at that address, and an attacker elsewhere failing in a
 * partner's name does not lock that partner out either. The per-address ceiling bounds a caller
 * that rotates made-up client ids. The counters live in the limiter store: shared by every
 * gateway replica when REDIS_URL is set.
 */
export class FailedAuthenticationLimiter {
  private readonly perClient;
  private readonly perAddress;

  constructor(
    store: LimiterStore,
    limits: { perClientAndAddress: number; perAddress?: number } = { perClientAndAddress: DEFAULT_FAILED_AUTHENTICATIONS_PER_MINUTE },
  ) {
    const perAddress = limits.perAddress ?? Math.max(limits.perClientAndAddress * 10, DEFAULT_FAILED_AUTHENTICATIONS_PER_ADDRESS_PER_MINUTE);
    this.perClient = store.counter('token-failures:client', limits.perClientAndAddress, FAILURE_WINDOW_SECONDS);
    this.perAddress = store.counter('token-failures:address', perAddress, FAILURE_WINDOW_SECONDS);
  }

  /** Seconds until this client may try again from this address, or 0 when it may try now. */
  async retryAfterSeconds(clientId: string, address: string): Promise<number> {
    const [pair, whole] = await Promise.all([this.perClient.get(`${address}|${clientKey(clientId)}`), this.perAddress.get(address)]);
    let wait = 0;
    if (pair && pair.consumedPoints >= this.perClient.points) wait = Math.max(wait, pair.msBeforeNext);
    if (whole && whole.consumedPoints >= this.perAddress.points) wait = Math.max(wait, whole.msBeforeNext);
    return wait > 0 ? Math.max(1, Math.ceil(wait / 1000)) : 0;
  }

  async recordFailure(clientId: string, address: string): Promise<void> {
    await Promise.all([this.perClient.penalty(`${address}|${clientKey(clientId)}`, 1), this.perAddress.penalty(address, 1)]);
  }
}

/** The RFC 6749 §5.2 error codes (plus RFC 6749 §4.1.2.1's temporarily_unavailable). */
type OAuthErrorCode =
  'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope' | 'temporarily_unavailable';

class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: OAuthErrorCode,
    description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }
}

const invalidRequest = (description: string) => new OAuthError(400, 'invalid_request', description);
const challenge = { 'www-authenticate': `Basic realm="${BASIC_REALM}"` };

const logTo = (deps: TokenEndpointDeps) => deps.log ?? ((line: string) => console.error(line));

// Tokens and errors alike must never be kept by a cache or proxy (RFC 6749 §5.1).
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/**
 * POST /oauth/token: the client credentials grant (RFC 6749 §4.4) for partners, and the token
 * exchange grant (RFC 8693) that lets a PLATFORM partner obtain a MEMBER token for one of its users.
 */
export async function handleTokenRequest(req: IncomingMessage, res: ServerResponse, deps: TokenEndpointDeps): Promise<void> {
  try {
    const body = await answerTokenRequest(req, deps);
    sendJson(res, 200, body, NO_STORE);
  } catch (error) {
    if (error instanceof OAuthError) {
      sendJson(res, error.status, { error: error.code, error_description: error.message }, { ...NO_STORE, ...error.headers });
      return;
    }
    if (isUnavailable(error)) {
      // The partner registry (database) or the member service is down: not the client's fault, and not a bug.
      logTo(deps)(`gateway: token endpoint unavailable: ${(error as Error)?.message ?? String(error)}`);
      sendJson(
        res,
        503,
        {
          error: 'temporarily_unavailable',
          error_description: `the token service is unavailable at the moment; retry after ${RETRY_AFTER_SECONDS} s`,
          code: 'SERVICE_UNAVAILABLE',
        },
        { ...NO_STORE, 'retry-after': String(RETRY_AFTER_SECONDS) },
      );
      return;
    }
    const errorId = randomUUID();
    logTo(deps)(`gateway: token endpoint error ${errorId}: ${(error as Error)?.stack ?? String(error)}`);
    sendJson(res, 500, { error: 'server_error', error_description: `internal error (id ${errorId})` }, NO_STORE);
  }
}

async function answerTokenRequest(req: IncomingMessage, deps: TokenEndpointDeps): Promise<Record<string, unknown>> {
  if (req.method !== 'POST') throw new OAuthError(405, 'invalid_request', 'the token endpoint only accepts POST', { allow: 'POST' });
  const params = await readParameters(req, deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
  const { clientId, clientSecret, viaBasic } = clientCredentials(req, params);
  const address = deps.trustedProxies ? deps.trustedProxies.clientAddress(req) : (req.socket.remoteAddress ?? 'unknown');
  const retryAfter = (await deps.failedAuthentications?.retryAfterSeconds(clientId, address)) ?? 0;
  if (retryAfter > 0) {
    throw new OAuthError(429, 'temporarily_unavailable', 'too many failed client authentications for this client from this address; retry later', {
      'retry-after': String(retryAfter),
    });
  }
  // Looked up on every request, never cached: a disabled partner or a rotated secret counts at once.
  const partner = await deps.registry.authenticate(clientId, clientSecret);
  if (!partner) {
    await deps.failedAuthentications?.recordFailure(clientId, address);
    throw new OAuthError(401, 'invalid_client', 'client authentication failed', viaBasic ? challenge : {});
  }

  const grantType = params.get('grant_type');
  if (!grantType) throw invalidRequest('grant_type is required');
  if (grantType === CLIENT_CREDENTIALS_GRANT) return clientCredentialsGrant(partner, params, deps.tokens);
  if (grantType === TOKEN_EXCHANGE_GRANT) return tokenExchangeGrant(partner, params, deps, requestIdOf(req.headers));
  throw new OAuthError(400, 'unsupported_grant_type', `grant_type must be ${CLIENT_CREDENTIALS_GRANT} or ${TOKEN_EXCHANGE_GRANT}`);
}

async function clientCredentialsGrant(partner: Partner, params: Map<string, string>, tokens: TokenService) {
  const scopes = requestedScopes(params.get('scope'), partner.scopes);
  const issued = await tokens.issuePartnerToken(partner, scopes);
  return { access_token: issued.accessToken, token_type: issued.tokenType, expires_in: issued.expiresIn, scope: issued.scopes.join(' ') };
}

async function tokenExchangeGrant(partner: Partner, params: Map<string, string>, deps: TokenEndpointDeps, requestId: string) {
  if (partner.kind !== 'PLATFORM' || !partner.scopes.includes('member:act-as')) {
    throw new OAuthError(400, 'unauthorized_client', 'only a PLATFORM partner holding member:act-as may exchange member tokens');
  }
  const subjectToken = params.get('subject_token');
  const subjectTokenType = params.get('subject_token_type');
  if (!subjectToken || !subjectTokenType) throw invalidRequest('subject_token and subject_token_type are required');
  if (subjectTokenType !== MEMBER_ID_TOKEN_TYPE) throw invalidRequest(`subject_token_type must be ${MEMBER_ID_TOKEN_TYPE}`);
  const requestedType = params.get('requested_token_type');
  if (requestedType && requestedType !== ACCESS_TOKEN_TOKEN_TYPE) throw invalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TOKEN_TYPE}`);
  // The authenticated platform is the actor; a second actor would be delegation we do not model.
  if (params.has('actor_token')) throw invalidRequest('actor_token is not supported: the authenticated client is the actor');
  // Only validated: a member token always carries exactly the member scopes.
  requestedScopes(params.get('scope'), MEMBER_SCOPES);

  if (!isUuid(subjectToken)) throw new OAuthError(400, 'invalid_grant', 'subject_token is not a member id');
  let member: MemberStatusFacts | null;
  try {
    member = await deps.lookupMember(subjectToken, requestId);
  } catch (error) {
    logTo(deps)(`gateway: member lookup for token exchange failed: ${(error as Error)?.message ?? String(error)}`);
    throw new OAuthError(503, 'temporarily_unavailable', 'the member directory is unavailable; try again shortly', { 'retry-after': '5' });
  }
  if (!member || member.id !== subjectToken || member.status !== 'ACTIVE') {
    throw new OAuthError(400, 'invalid_grant', 'no active member with this id');
  }
  const issued = await deps.tokens.issueMemberToken(member.id, partner);
  return {
    access_token: issued.accessToken,
    issued_token_type: ACCESS_TOKEN_TOKEN_TYPE,
    token_type: issued.tokenType,
    expires_in: issued.expiresIn,
    scope: issued.scopes.join(' '),
  };
}

/** The scopes to put in the token: all that are `held` when none are asked for, else the ones asked for if all are held. */
function requestedScopes(parameter: string | undefined, held: readonly Scope[]): Scope[] {
  if (parameter === undefined) return [...held];
  const asked = [...new Set(parseScopeParameter(parameter))];
  if (asked.length === 0) return [...held];
  const notHeld = asked.filter((scope) => !isScope(scope) || !held.includes(scope));
  if (notHeld.length > 0) {
    throw new OAuthError(400, 'invalid_scope', `scope not granted to this client: ${notHeld.join(' ')} (granted: ${held.join(' ')})`);
  }
  return asked as Scope[];
}

/**
 * Request parameters from a form (RFC 6749 §4.4.2) or, as a convenience, a JSON object of strings.
 * Empty values count as absent (RFC 6749 §3.1); repeated parameters are refused (§3.1 again).
 */
async function readParameters(req: IncomingMessage, maxBytes: number): Promise<Map<string, string>> {
  let raw: string;
  try {
    raw = await readBody(req, maxBytes);
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw new OAuthError(413, 'invalid_request', `request body over ${maxBytes} bytes`);
    throw error;
  }
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const entries: [string, unknown][] = [];
  if (mediaType === 'application/x-www-form-urlencoded') {
    entries.push(...new URLSearchParams(raw));
  } else if (mediaType === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw invalidRequest('request body is not valid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidRequest('request body must be a JSON object');
    entries.push(...Object.entries(parsed));
  } else {
    throw invalidRequest('send the parameters as application/x-www-form-urlencoded');
  }

  const params = new Map<string, string>();
  for (const [name, value] of entries) {
    if (typeof value !== 'string') throw invalidRequest(`parameter ${name} must be a string`);
    if (params.has(name)) throw invalidRequest(`parameter ${name} is repeated`);
    if (value !== '') params.set(name, value);
  }
  return params;
}

/** Decodes one half of Basic credentials: they are form-encoded before base64 (RFC 6749 §2.3.1). */
function decodeFormComponent(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    throw new OAuthError(401, 'invalid_client', 'malformed Basic credentials', challenge);
  }
}

function clientCredentials(req: IncomingMessage, params: Map<string, string>): { clientId: string; clientSecret: string; viaBasic: boolean } {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const match = /^basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization);
    if (!match) throw new OAuthError(401, 'invalid_client', 'client authentication must use HTTP Basic', challenge);
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new OAuthError(401, 'invalid_client', 'malformed Basic credentials', challenge);
    const clientId = decodeFormComponent(decoded.slice(0, colon));
    const clientSecret = decodeFormComponent(decoded.slice(colon + 1));
    // RFC 6749 §2.3: a client must not use more than one authentication method per request.
    if (params.has('client_secret')) throw invalidRequest('send client credentials either with HTTP Basic or in the body, not both');
    const bodyClientId = params.get('client_id');
    if (bodyClientId !== undefined && bodyClientId !== clientId) throw invalidRequest('client_id does not match the Basic credentials');
    return { clientId, clientSecret, viaBasic: true };
  }
  const clientId = params.get('client_id');
  const clientSecret = params.get('client_secret');
  if (!clientId || !clientSecret) {
    throw new OAuthError(401, 'invalid_client', 'client authentication required (HTTP Basic, or client_id and client_secret)', challenge);
  }
  return { clientId, clientSecret, viaBasic: false };
}

export interface AuthOptions {
  dataSource: DataSource;
  signingKey: SigningKey;
  issuer?: string;
  audience?: string;
  partnerTokenTtlSeconds?: number;
  memberTokenTtlSeconds?: number;
  lookupMember: LookupMember;
  /** Failed client authentications per (client id, network address) and minute before 429 (0: no limit). */
  failedAuthenticationsPerMinute?: number;
  /** Failed client authentications per network address alone and minute before 429 (default ten times the above, at least 300). */
  failedAuthenticationsPerAddressPerMinute?: number;
  /** Where the failure counters live (default: this process's memory). */
  limiterStore?: LimiterStore;
  /** TRUSTED_PROXIES entries (addresses, CIDR ranges) whose X-Forwarded-For is believed. */
  trustedProxies?: readonly string[];
  maxBodyBytes?: number;
  log?: (line: string) => void;
  clock?: () => Date;
}

export interface Auth {
  registry: PartnerRegistry;
  tokens: TokenService;
  handleTokenRequest(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** Wires the registry, the token service and the token endpoint over one DataSource and key. */
export function createAuth(options: AuthOptions): Auth {
  const registry = new PartnerRegistry(options.dataSource);
  const tokens = new TokenService({
    signingKey: options.signingKey,
    issuer: options.issuer,
    audience: options.audience,
    partnerTokenTtlSeconds: options.partnerTokenTtlSeconds,
    memberTokenTtlSeconds: options.memberTokenTtlSeconds,
    clock: options.clock,
  });
  const deps: TokenEndpointDeps = {
    registry,
    tokens,
    lookupMember: options.lookupMember,
    failedAuthentications:
      options.failedAuthenticationsPerMinute === 0
        ? undefined
        : new FailedAuthenticationLimiter(options.limiterStore ?? createLimiterStore(), {
            perClientAndAddress: options.failedAuthenticationsPerMinute ?? DEFAULT_FAILED_AUTHENTICATIONS_PER_MINUTE,
            perAddress: options.failedAuthenticationsPerAddressPerMinute,
          }),
    trustedProxies: new TrustedProxies(options.trustedProxies ?? []),
    maxBodyBytes: options.maxBodyBytes,
    log: options.log,
  };
  return { registry, tokens, handleTokenRequest: (req, res) => handleTokenRequest(req, res, deps) };
}
