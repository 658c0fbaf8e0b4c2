import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, validate } from 'graphql';
import type { DataSource } from 'typeorm';
import { createDataSource, migrate, type Principal } from '@union/common';
import { assertOperationAllowed, readScopeRequirements } from '../../gateway/src/authorization';
import { createAuth, MEMBER_ID_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT, type Auth, type MemberStatusFacts } from '../../gateway/src/auth/oauth';
import { hashClientSecret, PartnerInputError, verifyClientSecret, VerifiedSecrets, type Partner } from '../../gateway/src/auth/partners';
import { ALL_SCOPES, MEMBER_SCOPES, PARTNER_KINDS, SCOPE_DESCRIPTIONS, SCOPES_BY_KIND } from '../../gateway/src/auth/scopes';
import { AuthError, loadOrCreateSigningKey, TokenService, type SigningKey } from '../../gateway/src/auth/tokens';
import { runAuditCommand, shanghaiDayStart } from '../../gateway/src/cli/audit';
import { runPartnerCommand } from '../../gateway/src/cli/partner';
import { GATEWAY_SCHEMA, gatewayMigrations } from '../../gateway/src/migrations';
import { readSupergraph, supergraphSchema } from '../../gateway/src/supergraph';
import { createTestDatabase } from '../testkit/database';

// The jest global setup (tests/testkit/global-setup.mjs) starts PostgreSQL and sets this; each
// database suite below gets a fresh database of its own on that server.
const describeWithDatabase = process.env.TEST_DATABASE_URL ? describe : describe.skip;
if (!process.env.TEST_DATABASE_URL) {
  console.warn('auth.test.ts: TEST_DATABASE_URL is not set, so the partner registry, token endpoint and audit tests are SKIPPED');
}

const ORGANIZATION_ID = randomUUID();

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Builds a JWT by hand (the JWT libraries are the gateway's dependencies, not the tests'): with a
 * key, an EdDSA signature; without one, an unsecured `alg: none` token.
 */
function handMadeJwt(claims: Record<string, unknown>, options: { key?: KeyObject; typ?: string; header?: Record<string, unknown> } = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: options.key ? 'EdDSA' : 'none', typ: options.typ ?? 'at+jwt', ...options.header };
  const payload = {
    iss: 'union-benefits-gateway',
    aud: 'union-benefits-api',
    sub: randomUUID(),
    jti: randomUUID(),
    iat: now,
    exp: now + 300,
    ...claims,
  };
  const signingInput = `${base64url(header)}.${base64url(payload)}`;
  const signature = options.key ? sign(null, Buffer.from(signingInput), options.key).toString('base64url') : '';
  return `${signingInput}.${signature}`;
}

function activePartner(overrides: Partial<Partner> = {}): Partner {
  return {
    id: randomUUID(),
    name: 'Test Hospital',
    kind: 'HOSPITAL',
    scopes: [...SCOPES_BY_KIND.HOSPITAL],
    organizationId: null,
    status: 'active',
    clientId: 'cl_testtesttesttesttest',
    secretRotatedAt: new Date(),
    createdAt: new Date(),
    disabledAt: null,
    rateLimitPerMinute: null,
    introspectionAllowed: false,
    ...overrides,
  };
}

describe('scope catalogue', () => {
  it('describes every scope and gives each kind only catalogued scopes', () => {
    for (const scope of ALL_SCOPES) expect(SCOPE_DESCRIPTIONS[scope].length).toBeGreaterThan(10);
    for (const kind of PARTNER_KINDS) {
      for (const scope of SCOPES_BY_KIND[kind]) expect(ALL_SCOPES).toContain(scope);
    }
  });

  it('keeps member:self out of every partner kind and personal data away from hospitals and merchants', () => {
    for (const kind of PARTNER_KINDS) expect(SCOPES_BY_KIND[kind]).not.toContain('member:self');
    expect(MEMBER_SCOPES).toEqual(['member:self']);
    for (const kind of ['HOSPITAL', 'TRAVEL_PARTNER', 'MERCHANT'] as const) {
      expect(SCOPES_BY_KIND[kind]).not.toContain('member:pii');
      expect(SCOPES_BY_KIND[kind]).not.toContain('member:read');
    }
    expect(PARTNER_KINDS.filter((kind) => SCOPES_BY_KIND[kind].includes('member:act-as'))).toEqual(['PLATFORM']);
  });
});

describe('client secret hashing', () => {
  it('stores a salted scrypt hash and checks it', async () => {
    const hash = await hashClientSecret('correct horse battery staple, long enough');
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(hash).not.toEqual(await hashClientSecret('correct horse battery staple, long enough'));
    await expect(verifyClientSecret('correct horse battery staple, long enough', hash)).resolves.toBe(true);
    await expect(verifyClientSecret('correct horse battery staple, long enougH', hash)).resolves.toBe(false);
    await expect(verifyClientSecret('anything', 'plaintext')).resolves.toBe(false);
    await expect(verifyClientSecret('anything', 'scrypt$0$8$1$AAAA$AAAA')).resolves.toBe(false);
  });
});

describe('signing key', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'gateway-key-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('generates a key once, keeps it in a 0600 file and reuses it', async () => {
    const keyFile = join(directory, 'nested', 'gateway-signing-key.pem');
    const first = await loadOrCreateSigningKey({ keyFile });
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const second = await loadOrCreateSigningKey({ keyFile });
    expect(second.keyId).toEqual(first.keyId);
    expect(await readFile(keyFile, 'utf8')).toContain('BEGIN PRIVATE KEY');
  });

  it('loads a configured PEM, also with escaped newlines, and refuses non-Ed25519 keys', async () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const fromPem = await loadOrCreateSigningKey({ privateKeyPem: pem });
    const fromEscaped = await loadOrCreateSigningKey({ privateKeyPem: pem.replace(/\n/g, '\\n') });
    expect(fromEscaped.keyId).toEqual(fromPem.keyId);

    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    await expect(loadOrCreateSigningKey({ privateKeyPem: rsa })).rejects.toThrow(/Ed25519/);
    await expect(loadOrCreateSigningKey({ privateKeyPem: 'not a key' })).rejects.toThrow(/not a PEM private key/);
  });
});

describe('access tokens', () => {
  let signingKey: SigningKey;
  let tokens: TokenService;
  beforeAll(async () => {
    signingKey = await loadOrCreateSigningKey({});
    tokens = new TokenService({ signingKey });
  });

  it('round-trips a partner token into a Principal', async () => {
    const partner = activePartner();
    const issued = await tokens.issuePartnerToken(partner);
    expect(issued.expiresIn).toBe(600);
    await expect(tokens.verifyAccessToken(issued.accessToken)).resolves.toEqual({
      kind: 'HOSPITAL',
      id: partner.id,
      name: 'Test Hospital',
      scopes: ['member:verify', 'discount:apply', 'reconcile:read'],
      organizationId: null,
      actingPartnerId: null,
    });
  });

  it('carries the organization of a UNION partner and the standard claims', async () => {
    const union = activePartner({ kind: 'UNION', name: 'District Union', scopes: [...SCOPES_BY_KIND.UNION], organizationId: ORGANIZATION_ID });
    const issued = await tokens.issuePartnerToken(union, ['member:read']);
    const principal = await tokens.verifyAccessToken(issued.accessToken);
    expect(principal).toMatchObject({ kind: 'UNION', organizationId: ORGANIZATION_ID, scopes: ['member:read'] });

    const [header, payload] = issued.accessToken
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    expect(header).toEqual({ alg: 'EdDSA', typ: 'at+jwt', kid: signingKey.keyId });
    expect(payload).toMatchObject({
      iss: 'union-benefits-gateway',
      aud: 'union-benefits-api',
      sub: union.id,
      kind: 'UNION',
      scope: 'member:read',
      org: ORGANIZATION_ID,
    });
    expect(payload.exp - payload.iat).toBe(600);
    expect(typeof payload.jti).toBe('string');
  });

  it('refuses to issue scopes the partner does not hold, or for a disabled partner', async () => {
    await expect(tokens.issuePartnerToken(activePartner(), ['member:pii'])).rejects.toThrow(/does not hold/);
    await expect(tokens.issuePartnerToken(activePartner({ status: 'disabled' }))).rejects.toThrow(/disabled/);
  });

  it('rejects alg none', async () => {
    const unsecured = handMadeJwt({ kind: 'HOSPITAL', scope: 'member:verify', name: 'x' });
    await expect(tokens.verifyAccessToken(unsecured)).rejects.toThrow('access token is malformed');
    // The same claims signed with our key are fine: only the missing signature is refused.
    const signed = handMadeJwt({ kind: 'HOSPITAL', scope: 'member:verify', name: 'x' }, { key: signingKey.privateKey });
    await expect(tokens.verifyAccessToken(signed)).resolves.toMatchObject({ kind: 'HOSPITAL' });
  });

  it('rejects a token signed by another key', async () => {
    const impostor = new TokenService({ signingKey: await loadOrCreateSigningKey({}) });
    const { accessToken } = await impostor.issuePartnerToken(activePartner());
    await expect(tokens.verifyAccessToken(accessToken)).rejects.toThrow('access token signature is invalid');
  });

  it('rejects another audience or issuer', async () => {
    const otherAudience = new TokenService({ signingKey, audience: 'some-other-api' });
    await expect(tokens.verifyAccessToken((await otherAudience.issuePartnerToken(activePartner())).accessToken)).rejects.toThrow(
      'access token aud is not accepted',
    );
    const otherIssuer = new TokenService({ signingKey, issuer: 'someone-else' });
    await expect(tokens.verifyAccessToken((await otherIssuer.issuePartnerToken(activePartner())).accessToken)).rejects.toThrow(
      'access token iss is not accepted',
    );
  });

  it('rejects an expired token', async () => {
    const past = new TokenService({ signingKey, clock: () => new Date(Date.now() - 601_000) });
    const { accessToken } = await past.issuePartnerToken(activePartner());
    await expect(tokens.verifyAccessToken(accessToken)).rejects.toThrow('access token has expired');
  });

  it('rejects a JWT of another type, a tampered payload and garbage', async () => {
    const idTokenLike = handMadeJwt({ kind: 'HOSPITAL', scope: 'member:verify', name: 'x' }, { key: signingKey.privateKey, typ: 'JWT' });
    await expect(tokens.verifyAccessToken(idTokenLike)).rejects.toThrow(AuthError);

    const { accessToken } = await tokens.issuePartnerToken(activePartner(), ['member:verify']);
    const [header, payload, signature] = accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const widened = Buffer.from(JSON.stringify({ ...claims, scope: 'member:verify discount:apply' })).toString('base64url');
    await expect(tokens.verifyAccessToken(`${header}.${widened}.${signature}`)).rejects.toThrow('access token signature is invalid');

    await expect(tokens.verifyAccessToken('not-a-jwt')).rejects.toThrow('access token is malformed');
  });

  it('rejects a token not valid yet, one without a required claim, an unknown critical header and non-canonical encoding', async () => {
    const forge = (claims: Record<string, unknown>, header?: Record<string, unknown>) => handMadeJwt(claims, { key: signingKey.privateKey, header });
    const claims = { kind: 'HOSPITAL', scope: 'member:verify', name: 'x' };
    await expect(tokens.verifyAccessToken(forge({ ...claims, nbf: Math.floor(Date.now() / 1000) + 120 }))).rejects.toThrow('access token is not valid yet');
    await expect(tokens.verifyAccessToken(forge({ ...claims, jti: undefined }))).rejects.toThrow('access token jti is not accepted');
    await expect(tokens.verifyAccessToken(forge({ ...claims, exp: undefined }))).rejects.toThrow('access token exp is not accepted');
    await expect(tokens.verifyAccessToken(forge(claims, { crit: ['b64'], b64: false }))).rejects.toThrow(AuthError);
    const signed = forge(claims);
    await expect(tokens.verifyAccessToken(signed)).resolves.toMatchObject({ kind: 'HOSPITAL' });
    const [header, payload, signature] = signed.split('.');
    // The same bytes with padding or a line break are another text: base64url in a JWT is exact.
    await expect(tokens.verifyAccessToken(`${header}.${payload}=.${signature}`)).rejects.toThrow(AuthError);
    await expect(tokens.verifyAccessToken(`${header}.${payload}.${signature.slice(0, 20)}\n${signature.slice(20)}`)).rejects.toThrow(AuthError);
  });

  it('rejects a correctly signed token whose claims do not fit its kind', async () => {
    const forge = (claims: Record<string, unknown>) => handMadeJwt(claims, { key: signingKey.privateKey });
    await expect(tokens.verifyAccessToken(forge({ kind: 'HOSPITAL', scope: 'member:pii', name: 'x' }))).rejects.toThrow('claims are malformed');
    await expect(tokens.verifyAccessToken(forge({ kind: 'UNION', scope: 'member:read', name: 'x' }))).rejects.toThrow('claims are malformed');
    await expect(tokens.verifyAccessToken(forge({ kind: 'MEMBER', scope: 'member:self', name: 'member' }))).rejects.toThrow('claims are malformed');
    await expect(tokens.verifyAccessToken(forge({ kind: 'SERVICE', scope: 'internal', name: 'x' }))).rejects.toThrow('claims are malformed');
  });

  it('issues member tokens only for a PLATFORM holding member:act-as, for 300 seconds', async () => {
    const platform = activePartner({ kind: 'PLATFORM', name: 'Union App', scopes: [...SCOPES_BY_KIND.PLATFORM] });
    const memberId = randomUUID();
    const issued = await tokens.issueMemberToken(memberId, platform);
    expect(issued.expiresIn).toBe(300);
    await expect(tokens.verifyAccessToken(issued.accessToken)).resolves.toEqual({
      kind: 'MEMBER',
      id: memberId,
      name: 'member',
      scopes: ['member:self'],
      organizationId: null,
      actingPartnerId: platform.id,
    });
    await expect(tokens.issueMemberToken(memberId, activePartner())).rejects.toThrow(/may not act as members/);
    await expect(tokens.issueMemberToken(memberId, { ...platform, scopes: ['member:read'] })).rejects.toThrow(/may not act as members/);
  });

  it('publishes its public key as a JWK Set', async () => {
    const { keys } = await tokens.jwks();
    expect(keys).toEqual([expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', kid: signingKey.keyId, alg: 'EdDSA', use: 'sig' })]);
    expect(keys[0]).not.toHaveProperty('d');
  });
});

describe('scope requirements at the gateway (@requiresScopes, before planning)', () => {
  const supergraph = readSupergraph(join(__dirname, '..', '..', 'schema', 'supergraph.graphql'));
  const schema = supergraphSchema(supergraph);
  const requirements = readScopeRequirements(supergraph);
  const caller = (kind: Principal['kind'], scopes: string[]): Principal => ({ kind, id: randomUUID(), name: 'x', scopes });
  const hospital = caller('HOSPITAL', [...SCOPES_BY_KIND.HOSPITAL]);
  const CLAIMS = 'query ($from: DateTime!, $to: DateTime!)';
  const union = caller('UNION', [...SCOPES_BY_KIND.UNION]);
  /** The refusal's message, or null when the operation is allowed. */
  const refusal = (query: string, principal: Principal, on = schema, declared = requirements) => {
    const document = parse(query);
    // Apollo validates before this check runs: every operation here is valid.
    expect(validate(on, document)).toEqual([]);
    try {
      assertOperationAllowed(on, document, declared, principal);
      return null;
    } catch (error) {
      return (error as Error).message;
    }
  };

  it('checks fields in fragments, inline fragments and under aliases like any other', () => {
    expect(refusal(`${CLAIMS} { viewer { id } discountClaims(from: $from, to: $to) { totalCount } }`, hospital)).toBeNull();
    expect(refusal('{ m: member(id: "x") { id } }', hospital)).toMatch(/^Query\.member requires scope member:read/);
    expect(refusal('{ ...Q } fragment Q on Query { organization(id: "x") { id } }', hospital)).toMatch(/Query\.organization/);
    expect(refusal('{ viewer { organization { ... on UnionOrganization { s: stats { memberCount } } } } }', hospital)).toMatch(/UnionOrganization\.stats/);
    expect(refusal('{ viewer { organization { ...O } } } fragment O on UnionOrganization { members { totalCount } }', hospital)).toMatch(
      /UnionOrganization\.members/,
    );
    expect(refusal('{ viewer { organization { ...O } } } fragment O on UnionOrganization { members { totalCount } }', union)).toBeNull();
  });

  it("checks a field on a type reached through another subgraph's entity", () => {
    // Member is the member subgraph's; a hospital reaches it through its own discount claims (benefit).
    expect(refusal(`${CLAIMS} { discountClaims(from: $from, to: $to) { nodes { member { displayName } } } }`, hospital)).toBeNull();
    expect(refusal(`${CLAIMS} { discountClaims(from: $from, to: $to) { nodes { member { membershipHistory { totalCount } } } } }`, hospital)).toMatch(
      /Member\.membershipHistory requires scope member:read/,
    );
    expect(refusal(`${CLAIMS} { discountClaims(from: $from, to: $to) { nodes { member { organization { children { totalCount } } } } } }`, hospital)).toMatch(
      /UnionOrganization\.children/,
    );
  });

  describe('on abstract types', () => {
    const sdl = `
      directive @requiresScopes(scopes: [[String!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
      type Query { accounts: [Account!]! }
      interface Account { id: ID! balance: Int! owner: String! @requiresScopes(scopes: [["member:read"]]) }
      type PointsAccount implements Account { id: ID! balance: Int! owner: String! }
      type SecretAccount implements Account { id: ID! balance: Int! @requiresScopes(scopes: [["member:pii"]]) owner: String! }
    `;
    const abstractSchema = supergraphSchema(sdl);
    const declared = readScopeRequirements(sdl);
    const reader = caller('PLATFORM', ['member:read']);

    it("holds a field selected on an interface to every implementation's requirement", () => {
      expect(refusal('{ accounts { id } }', reader, abstractSchema, declared)).toBeNull();
      expect(refusal('{ accounts { balance } }', reader, abstractSchema, declared)).toMatch(/SecretAccount\.balance requires scope member:pii/);
      expect(refusal('{ accounts { ... on PointsAccount { balance } } }', reader, abstractSchema, declared)).toBeNull();
      expect(refusal('{ accounts { ... on SecretAccount { b: balance } } }', reader, abstractSchema, declared)).toMatch(/SecretAccount\.balance/);
    });

    it("holds it to the interface's own requirement", () => {
      expect(refusal('{ accounts { owner } }', caller('PLATFORM', ['reward:manage']), abstractSchema, declared)).toMatch(
        /Account\.owner requires scope member:read/,
      );
      expect(refusal('{ accounts { owner } }', reader, abstractSchema, declared)).toBeNull();
    });

    it('refuses to start with a requirement on a whole type, which it would not enforce', () => {
      expect(() => readScopeRequirements(`${sdl} type Hidden @requiresScopes(scopes: [["member:pii"]]) { id: ID! }`)).toThrow(/on the type Hidden/);
    });
  });
});

describe('audit date range', () => {
  it('reads calendar days in Asia/Shanghai and refuses impossible dates', () => {
    expect(shanghaiDayStart('2026-03-01').toISOString()).toBe('2026-02-28T16:00:00.000Z');
    expect(shanghaiDayStart('2026-03-01', 1).toISOString()).toBe('2026-03-01T16:00:00.000Z');
    expect(() => shanghaiDayStart('2026-02-30')).toThrow(/not a date/);
    expect(() => shanghaiDayStart('yesterday')).toThrow(/not a date/);
  });
});

interface TokenResponse {
  status: number;
  headers: Headers;
  body: Record<string, string | number>;
}

describe('remembered secret verifications', () => {
  it('remember a secret for one stored hash only, for a limited time, within a bounded size', () => {
    let now = 0;
    const verified = new VerifiedSecrets(60_000, 2, () => now);
    verified.remember('hash-1', 'secret');
    expect(verified.has('hash-1', 'secret')).toBe(true);
    expect(verified.has('hash-1', 'other secret')).toBe(false);
    expect(verified.has('hash-2', 'secret')).toBe(false); // a rotated secret has another stored hash
    now = 60_000;
    expect(verified.has('hash-1', 'secret')).toBe(false);
    verified.remember('a', 's');
    verified.remember('b', 's');
    verified.remember('c', 's');
    expect([verified.has('a', 's'), verified.has('b', 's'), verified.has('c', 's')]).toEqual([false, true, true]);
  });
});

describeWithDatabase('partner registry and token endpoint (PostgreSQL)', () => {
  const members = new Map<string, MemberStatusFacts>();
  let memberDirectoryDown = false;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  let auth: Auth;
  let server: Server;
  let tokenUrl: string;

  const basic = (clientId: string, clientSecret: string) => {
    // RFC 6749 §2.3.1: each half is form-encoded before base64.
    const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
    return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
  };

  async function requestToken(
    params: Record<string, string>,
    options: { basic?: [string, string]; method?: string; contentType?: string; rawBody?: string } = {},
  ): Promise<TokenResponse> {
    const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/x-www-form-urlencoded' };
    if (options.basic) headers.authorization = basic(...options.basic);
    const method = options.method ?? 'POST';
    const response = await fetch(tokenUrl, {
      method,
      headers,
      body: method === 'GET' ? undefined : (options.rawBody ?? new URLSearchParams(params).toString()),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, string | number> };
  }

  const clientCredentials = (partner: { clientId: string }, secret: string, extra: Record<string, string> = {}) =>
    requestToken({ grant_type: 'client_credentials', ...extra }, { basic: [partner.clientId, secret] });

  beforeAll(async () => {
    database = await createTestDatabase('auth');
    dataSource = createDataSource({
      url: database.url,
      schema: GATEWAY_SCHEMA,
      entities: [],
      migrations: gatewayMigrations,
      applicationName: 'auth-test',
      poolSize: 4,
    });
    await migrate(dataSource, database.url, GATEWAY_SCHEMA);
    auth = createAuth({
      dataSource,
      signingKey: await loadOrCreateSigningKey({}),
      lookupMember: async (id) => {
        if (memberDirectoryDown) throw new Error('connect ECONNREFUSED');
        return members.get(id) ?? null;
      },
      log: () => {},
    });
    server = createServer((req, res) => void auth.handleTokenRequest(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await dataSource?.destroy();
    await database?.drop();
  });

  describe('registry', () => {
    it("creates partners with all their kind's scopes by default and a one-time secret", async () => {
      const { partner, clientSecret } = await auth.registry.create({ name: 'Default Scopes Hospital', kind: 'HOSPITAL' });
      expect(partner).toMatchObject({
        kind: 'HOSPITAL',
        status: 'active',
        scopes: [...SCOPES_BY_KIND.HOSPITAL],
        organizationId: null,
        rateLimitPerMinute: null,
      });
      expect(partner.clientId).toMatch(/^cl_[a-z2-7]{20}$/);
      expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const [{ secret_hash }] = await dataSource.query(`SELECT secret_hash FROM partners WHERE id = $1`, [partner.id]);
      expect(secret_hash).toMatch(/^scrypt\$16384\$8\$1\$/);
      expect(secret_hash).not.toContain(clientSecret);
      expect(await auth.registry.get(partner.id)).toEqual(partner);
      expect((await auth.registry.list()).map((p) => p.id)).toContain(partner.id);
    });

    it('refuses scopes the kind may not hold, and enforces the organization rule', async () => {
      await expect(auth.registry.create({ name: 'Greedy Hospital', kind: 'HOSPITAL', scopes: ['member:verify', 'member:pii'] })).rejects.toThrow(
        /may not hold member:pii/,
      );
      await expect(auth.registry.create({ name: 'Selfish', kind: 'PLATFORM', scopes: ['member:self'] })).rejects.toThrow(PartnerInputError);
      await expect(auth.registry.create({ name: 'Nobody', kind: 'MERCHANT', scopes: [] })).rejects.toThrow(/at least one scope/);
      await expect(auth.registry.create({ name: 'Orphan Union', kind: 'UNION' })).rejects.toThrow(/needs an organization/);
      await expect(auth.registry.create({ name: 'Merchant', kind: 'MERCHANT', organizationId: ORGANIZATION_ID })).rejects.toThrow(/only UNION partners/);
      // The database holds the same line even for hand-written SQL.
      await expect(
        dataSource.query(
          `INSERT INTO partners (name, kind, scopes, client_id, secret_hash) VALUES ('x', 'UNION', '{member:read}', 'cl_handwritten01', 'scrypt$x')`,
        ),
      ).rejects.toThrow(/partners_union_has_organization/);
    });

    it('seeds idempotently with a fixed id, client id and secret', async () => {
      const seed = {
        id: randomUUID(),
        name: 'Seeded Merchant',
        kind: 'MERCHANT' as const,
        clientId: `cl_seed_${randomUUID().slice(0, 8)}`,
        clientSecret: 'demo-merchant-secret-0123456789abcdef',
      };
      const first = await auth.registry.ensure(seed);
      expect(first).toMatchObject({ created: true, clientSecret: seed.clientSecret, partner: { id: seed.id, clientId: seed.clientId } });
      const second = await auth.registry.ensure({ ...seed, name: 'Renamed' });
      expect(second).toMatchObject({ created: false, clientSecret: null, partner: { id: seed.id, name: 'Seeded Merchant' } });
      expect((await clientCredentials(seed, seed.clientSecret)).status).toBe(200);
      await expect(auth.registry.create({ ...seed, id: randomUUID() })).rejects.toThrow(/already exists/);
      await expect(auth.registry.create({ name: 'Weak', kind: 'MERCHANT', clientSecret: 'short' })).rejects.toThrow(/client secret must be/);
    });
  });

  describe('client credentials grant', () => {
    let hospital: Partner;
    let hospitalSecret: string;
    let union: Partner;
    let unionSecret: string;
    beforeAll(async () => {
      ({ partner: hospital, clientSecret: hospitalSecret } = await auth.registry.create({ name: 'City Hospital', kind: 'HOSPITAL' }));
      ({ partner: union, clientSecret: unionSecret } = await auth.registry.create({ name: 'District Union', kind: 'UNION', organizationId: ORGANIZATION_ID }));
    });

    it('issues a token that verifies into the partner principal (HTTP Basic)', async () => {
      const response = await clientCredentials(hospital, hospitalSecret);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 600,
        scope: 'member:verify discount:apply reconcile:read',
      });
      await expect(auth.tokens.verifyAccessToken(String(response.body.access_token))).resolves.toMatchObject({
        kind: 'HOSPITAL',
        id: hospital.id,
        name: 'City Hospital',
        scopes: [...SCOPES_BY_KIND.HOSPITAL],
      });
    });

    it('answers 429 with Retry-After, without checking the secret, once an address failed too often', async () => {
      const strict = createAuth({
        dataSource,
        signingKey: await loadOrCreateSigningKey({}),
        lookupMember: async () => null,
        failedAuthenticationsPerMinute: 2,
        log: () => {},
      });
      const strictServer = createServer((req, res) => void strict.handleTokenRequest(req, res));
      await new Promise<void>((resolve) => strictServer.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(strictServer.address() as AddressInfo).port}/oauth/token`;
      const attempt = async (secret: string) => {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(hospital.clientId, secret) },
          body: 'grant_type=client_credentials',
        });
        return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, string> };
      };
      try {
        expect((await attempt('wrong-1')).status).toBe(401);
        expect((await attempt('wrong-2')).status).toBe(401);
        const blocked = await attempt(hospitalSecret);
        expect(blocked.status).toBe(429);
        expect(blocked.body.error).toBe('temporarily_unavailable');
        expect(Number(blocked.retryAfter)).toBeGreaterThan(0);
        // The endpoint everyone else uses is unaffected by this address's failures at the other one.
        expect((await clientCredentials(hospital, hospitalSecret)).status).toBe(200);
      } finally {
        await new Promise((resolve) => strictServer.close(resolve));
      }
    });

    it('accepts credentials in the form body and JSON bodies', async () => {
      const form = await requestToken({ grant_type: 'client_credentials', client_id: union.clientId, client_secret: unionSecret });
      expect(form.status).toBe(200);
      await expect(auth.tokens.verifyAccessToken(String(form.body.access_token))).resolves.toMatchObject({ kind: 'UNION', organizationId: ORGANIZATION_ID });

      const json = await requestToken(
        {},
        {
          contentType: 'application/json',
          rawBody: JSON.stringify({ grant_type: 'client_credentials', client_id: union.clientId, client_secret: unionSecret, scope: 'member:read' }),
        },
      );
      expect(json.status).toBe(200);
      expect(json.body.scope).toBe('member:read');
    });

    it('url-decodes Basic credentials (RFC 6749 §2.3.1)', async () => {
      const awkwardSecret = 'a secret: with + and % and ü, long enough!';
      const { partner } = await auth.registry.create({ name: 'Awkward', kind: 'MERCHANT', clientSecret: awkwardSecret });
      expect((await clientCredentials(partner, awkwardSecret)).status).toBe(200);
    });

    it('narrows the token to the requested scopes', async () => {
      const response = await clientCredentials(hospital, hospitalSecret, { scope: 'reconcile:read  member:verify' });
      expect(response.status).toBe(200);
      expect(response.body.scope).toBe('reconcile:read member:verify');
      const principal = await auth.tokens.verifyAccessToken(String(response.body.access_token));
      expect(principal.scopes).toEqual(['reconcile:read', 'member:verify']);
    });

    it('answers invalid_scope for scopes the partner does not hold or that do not exist', async () => {
      for (const scope of ['member:verify member:pii', 'member:self', 'everything']) {
        const response = await clientCredentials(hospital, hospitalSecret, { scope });
        expect(response.status).toBe(400);
        expect(response.body.error).toBe('invalid_scope');
      }
    });

    it('answers invalid_client 401 for a wrong secret and an unknown client, with a Basic challenge', async () => {
      for (const response of [
        await clientCredentials(hospital, `${hospitalSecret}x`),
        await clientCredentials({ clientId: 'cl_aaaaaaaaaaaaaaaaaaaa' }, hospitalSecret),
      ]) {
        expect(response.status).toBe(401);
        expect(response.body.error).toBe('invalid_client');
        expect(response.headers.get('www-authenticate')).toBe('Basic realm="union-benefits"');
      }
      const inBody = await requestToken({ grant_type: 'client_credentials', client_id: hospital.clientId, client_secret: 'wrong' });
      expect(inBody.status).toBe(401);
      expect(inBody.body.error).toBe('invalid_client');
      expect(inBody.headers.get('www-authenticate')).toBeNull();

      const none = await requestToken({ grant_type: 'client_credentials' });
      expect(none.status).toBe(401);
      expect(none.body.error).toBe('invalid_client');
    });

    it('stops issuing tokens to a disabled partner at once, and resumes on enable', async () => {
      const { partner, clientSecret } = await auth.registry.create({ name: 'Travel Co', kind: 'TRAVEL_PARTNER' });
      expect((await clientCredentials(partner, clientSecret)).status).toBe(200);
      const disabled = await auth.registry.disable(partner.id);
      expect(disabled).toMatchObject({ status: 'disabled', disabledAt: expect.any(Date) });
      const refused = await clientCredentials(partner, clientSecret);
      expect(refused.status).toBe(401);
      expect(refused.body.error).toBe('invalid_client');
      expect(await auth.registry.authenticate(partner.clientId, clientSecret)).toBeNull();
      await auth.registry.enable(partner.id);
      expect((await clientCredentials(partner, clientSecret)).status).toBe(200);
    });

    it('rotating the secret invalidates the old one', async () => {
      const { partner, clientSecret: oldSecret } = await auth.registry.create({ name: 'Rotating Merchant', kind: 'MERCHANT' });
      // Verified once before the rotation, so the remembered verification must not outlive it.
      expect((await clientCredentials(partner, oldSecret)).status).toBe(200);
      const newSecret = await auth.registry.rotateSecret(partner.id);
      expect(newSecret).not.toEqual(oldSecret);
      expect((await clientCredentials(partner, oldSecret)).status).toBe(401);
      expect((await clientCredentials(partner, newSecret)).status).toBe(200);
      expect((await auth.registry.get(partner.id))!.secretRotatedAt.getTime()).toBeGreaterThanOrEqual(partner.secretRotatedAt.getTime());
    });

    it('answers malformed requests per RFC 6749 §5.2', async () => {
      const missingGrant = await requestToken({}, { basic: [hospital.clientId, hospitalSecret] });
      expect([missingGrant.status, missingGrant.body.error]).toEqual([400, 'invalid_request']);

      const password = await requestToken({ grant_type: 'password', username: 'x', password: 'y' }, { basic: [hospital.clientId, hospitalSecret] });
      expect([password.status, password.body.error]).toEqual([400, 'unsupported_grant_type']);

      const get = await requestToken({}, { method: 'GET' });
      expect([get.status, get.body.error, get.headers.get('allow')]).toEqual([405, 'invalid_request', 'POST']);

      const text = await requestToken({}, { contentType: 'text/plain', rawBody: 'grant_type=client_credentials', basic: [hospital.clientId, hospitalSecret] });
      expect([text.status, text.body.error]).toEqual([400, 'invalid_request']);

      const repeated = await requestToken(
        {},
        { rawBody: 'grant_type=client_credentials&scope=member:verify&scope=discount:apply', basic: [hospital.clientId, hospitalSecret] },
      );
      expect([repeated.status, repeated.body.error]).toEqual([400, 'invalid_request']);

      const twoMethods = await requestToken(
        { grant_type: 'client_credentials', client_secret: hospitalSecret },
        { basic: [hospital.clientId, hospitalSecret] },
      );
      expect([twoMethods.status, twoMethods.body.error]).toEqual([400, 'invalid_request']);

      const huge = await requestToken({ grant_type: 'client_credentials', padding: 'x'.repeat(20_000) }, { basic: [hospital.clientId, hospitalSecret] });
      expect([huge.status, huge.body.error]).toEqual([413, 'invalid_request']);
      expect(huge.body.error_description).toEqual(expect.any(String));
    });
  });

  describe('token exchange for member tokens', () => {
    let platform: Partner;
    let platformSecret: string;
    let hospital: Partner;
    let hospitalSecret: string;
    let readOnlyPlatform: Partner;
    let readOnlyPlatformSecret: string;
    const activeMember = randomUUID();
    const suspendedMember = randomUUID();

    const exchange = (client: Partner, secret: string, subject: string, extra: Record<string, string> = {}) =>
      requestToken(
        { grant_type: TOKEN_EXCHANGE_GRANT, subject_token: subject, subject_token_type: MEMBER_ID_TOKEN_TYPE, ...extra },
        { basic: [client.clientId, secret] },
      );

    beforeAll(async () => {
      members.set(activeMember, { id: activeMember, status: 'ACTIVE' });
      members.set(suspendedMember, { id: suspendedMember, status: 'SUSPENDED' });
      ({ partner: platform, clientSecret: platformSecret } = await auth.registry.create({ name: 'Union App', kind: 'PLATFORM' }));
      ({ partner: hospital, clientSecret: hospitalSecret } = await auth.registry.create({ name: 'Exchange Hospital', kind: 'HOSPITAL' }));
      ({ partner: readOnlyPlatform, clientSecret: readOnlyPlatformSecret } = await auth.registry.create({
        name: 'Read-only Platform',
        kind: 'PLATFORM',
        scopes: ['member:read'],
      }));
    });

    it('gives a PLATFORM holding member:act-as a MEMBER token for an active member', async () => {
      const response = await exchange(platform, platformSecret, activeMember);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.body).toEqual({
        access_token: expect.any(String),
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        token_type: 'Bearer',
        expires_in: 300,
        scope: 'member:self',
      });
      await expect(auth.tokens.verifyAccessToken(String(response.body.access_token))).resolves.toEqual({
        kind: 'MEMBER',
        id: activeMember,
        name: 'member',
        scopes: ['member:self'],
        organizationId: null,
        actingPartnerId: platform.id,
      });
    });

    it('refuses partners other than a PLATFORM holding member:act-as', async () => {
      for (const response of [await exchange(hospital, hospitalSecret, activeMember), await exchange(readOnlyPlatform, readOnlyPlatformSecret, activeMember)]) {
        expect(response.status).toBe(400);
        expect(response.body.error).toBe('unauthorized_client');
      }
    });

    it('answers invalid_grant for unknown, malformed and non-active members', async () => {
      for (const subject of [randomUUID(), 'not-a-member-id', suspendedMember]) {
        const response = await exchange(platform, platformSecret, subject);
        expect(response.status).toBe(400);
        expect(response.body.error).toBe('invalid_grant');
      }
    });

    it('requires our subject token type and no wider scope', async () => {
      const wrongType = await exchange(platform, platformSecret, activeMember, { subject_token_type: 'urn:ietf:params:oauth:token-type:access_token' });
      expect([wrongType.status, wrongType.body.error]).toEqual([400, 'invalid_request']);
      const widerScope = await exchange(platform, platformSecret, activeMember, { scope: 'member:self member:read' });
      expect([widerScope.status, widerScope.body.error]).toEqual([400, 'invalid_scope']);
    });

    it('answers 503 when the member directory cannot be asked', async () => {
      memberDirectoryDown = true;
      try {
        const response = await exchange(platform, platformSecret, activeMember);
        expect([response.status, response.body.error]).toEqual([503, 'temporarily_unavailable']);
      } finally {
        memberDirectoryDown = false;
      }
    });
  });

  describe('audit records', () => {
    it('accepts inserts and refuses UPDATE, DELETE and TRUNCATE', async () => {
      const partnerId = randomUUID();
      const memberId = randomUUID();
      const [{ id }] = await dataSource.query(
        `INSERT INTO audit_records (partner_id, principal_kind, operation_name, member_ids, fields, detail)
         VALUES ($1, 'UNION', 'MemberList', $2::uuid[], $3::text[], $4) RETURNING id`,
        [partnerId, [memberId], ['Member.fullName', 'Member.phone'], { organizationId: ORGANIZATION_ID }],
      );
      await expect(dataSource.query(`UPDATE audit_records SET operation_name = 'harmless' WHERE id = $1`, [id])).rejects.toThrow(/append-only/);
      await expect(dataSource.query(`DELETE FROM audit_records WHERE id = $1`, [id])).rejects.toThrow(/append-only/);
      await expect(dataSource.query(`TRUNCATE audit_records`)).rejects.toThrow(/append-only/);
      const [{ count }] = await dataSource.query(`SELECT count(*)::int AS count FROM audit_records WHERE id = $1 AND operation_name = 'MemberList'`, [id]);
      expect(count).toBe(1);

      const lines: string[] = [];
      await runAuditCommand(['list', '--partner', partnerId, '--from', '2000-01-01'], dataSource, { print: (line) => lines.push(line) });
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('operation=MemberList');
      expect(lines[0]).toContain(memberId);
      lines.length = 0;
      await runAuditCommand(['list', '--partner', partnerId, '--to', '2000-01-01'], dataSource, { print: (line) => lines.push(line) });
      expect(lines).toEqual(['No audit records match.']);
    });
  });

  describe('operator CLI', () => {
    it('creates, lists, rotates and disables partners, printing the secret once', async () => {
      const lines: string[] = [];
      const io = { print: (line: string) => lines.push(line) };
      expect(
        await runPartnerCommand(
          ['create', '--name', 'CLI Union', '--kind', 'union', '--organization', ORGANIZATION_ID, '--scopes', 'member:read,member:pii', '--json'],
          dataSource,
          io,
        ),
      ).toBe(0);
      const created = JSON.parse(lines.join('\n')) as { id: string; clientId: string; clientSecret: string; scopes: string[] };
      expect(created.scopes).toEqual(['member:read', 'member:pii']);
      expect((await clientCredentials(created, created.clientSecret)).status).toBe(200);

      lines.length = 0;
      await runPartnerCommand(['list'], dataSource, io);
      const listed = lines.join('\n');
      expect(listed).toContain(created.id);
      expect(listed).not.toContain(created.clientSecret);

      lines.length = 0;
      await runPartnerCommand(['rotate-secret', created.id], dataSource, io);
      const rotated = /client secret for partner \S+: (\S+)/.exec(lines.join('\n'))?.[1];
      expect(rotated).toBeDefined();
      expect((await clientCredentials(created, created.clientSecret)).status).toBe(401);
      expect((await clientCredentials(created, rotated!)).status).toBe(200);

      await runPartnerCommand(['disable', created.id], dataSource, io);
      expect((await clientCredentials(created, rotated!)).status).toBe(401);

      await expect(runPartnerCommand(['create', '--name', 'Bad', '--kind', 'HOSPITAL', '--scopes', 'member:pii'], dataSource, io)).rejects.toThrow(
        PartnerInputError,
      );
      await expect(runPartnerCommand(['disable', randomUUID()], dataSource, io)).rejects.toThrow(/not found/);
    });
  });
});

describeWithDatabase('gateway migrations (PostgreSQL)', () => {
  it('can be reverted and re-applied', async () => {
    const database = await createTestDatabase('auth_migrations');
    const dataSource = createDataSource({
      url: database.url,
      schema: GATEWAY_SCHEMA,
      entities: [],
      migrations: gatewayMigrations,
      applicationName: 'auth-test',
      poolSize: 1,
    });
    try {
      const names = gatewayMigrations.map((migration) => migration.name);
      expect(await migrate(dataSource, database.url, GATEWAY_SCHEMA)).toEqual(names);
      for (let i = 0; i < names.length; i += 1) await dataSource.undoLastMigration();
      const [{ count }] = await dataSource.query(
        `SELECT count(*)::int AS count FROM pg_tables WHERE schemaname = $1 AND tablename IN ('partners', 'audit_records')`,
        [GATEWAY_SCHEMA],
      );
      expect(count).toBe(0);
      expect(await migrate(dataSource, database.url, GATEWAY_SCHEMA)).toEqual(names);
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });
});
