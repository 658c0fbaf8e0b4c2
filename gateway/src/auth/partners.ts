import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { isUniqueViolation, isUuid, type PartnerKind } from '@union/common';
import { isPartnerKind, normalizeScopes, scopesNotAllowedFor, SCOPES_BY_KIND, type Scope } from './scopes';

export type PartnerStatus = 'active' | 'disabled';

export interface Partner {
  id: string;
  name: string;
  kind: PartnerKind;
  scopes: Scope[];
  /** UNION partners only: the organization whose subtree they act on. */
  organizationId: string | null;
  status: PartnerStatus;
  clientId: string;
  secretRotatedAt: Date;
  createdAt: Date;
  disabledAt: Date | null;
  /** Per-partner cost budget per minute; null means the gateway default. */
  rateLimitPerMinute: number | null;
  /** May introspect the schema when the gateway runs in production (docs/access.md). */
  introspectionAllowed: boolean;
}

export interface CreatePartnerInput {
  name: string;
  kind: PartnerKind;
  /** Defaults to every scope the kind may hold. */
  scopes?: readonly string[];
  /** Required for UNION, refused for every other kind. */
  organizationId?: string | null;
  rateLimitPerMinute?: number | null;
  introspectionAllowed?: boolean;
  /** Fixed id, client id and secret exist so that the demo seed is the same on every start. */
  id?: string;
  clientId?: string;
  clientSecret?: string;
}

export interface CreatedPartner {
  partner: Partner;
  /** Shown once: only its scrypt hash is stored. */
  clientSecret: string;
}

/** A request to the registry that can never succeed as given (operator input, not a server fault). */
export class PartnerInputError extends Error {}

export class PartnerNotFoundError extends Error {
  constructor(id: string) {
    super(`partner ${id} not found`);
  }
}

// N=2^14, r=8, p=1 (the parameters RFC 7914 names for interactive logins): about 16 MiB and tens of
// milliseconds per check, paid once per token request, not per API call.
const SCRYPT_PARAMS = { N: 16384, r: 8, p: 1 } as const;
const SCRYPT_KEY_LENGTH = 32;
const SALT_BYTES = 16;
// Stored hashes are trusted input, but a corrupted row must not make us allocate gigabytes.
const SCRYPT_MAX_MEMORY = 64 * 1024 * 1024;
// Secrets we issue are 43 characters; a fixed (seed) secret shorter than this is too guessable.
const MIN_SECRET_LENGTH = 32;
// Long enough for any sane secret, short enough that nobody makes us hash megabytes.
const MAX_SECRET_LENGTH = 512;
// Generated ids are `cl_` + 20 base32 characters; fixed (seed) ids may be any URL-unreserved
// characters, which need no escaping in HTTP Basic credentials (RFC 6749 §2.3.1).
const CLIENT_ID_PATTERN = /^[A-Za-z0-9._~-]{8,100}$/;
const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

function scrypt(secret: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(secret, salt, keyLength, { ...options, maxmem: SCRYPT_MAX_MEMORY }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** A fresh client secret: 32 random bytes, base64url (43 characters). */
export const generateClientSecret = (): string => randomBytes(32).toString('base64url');

/** A fresh client id: `cl_` and 20 random base32 characters (100 bits). */
export function generateClientId(): string {
  // 256 is a multiple of 32, so masking each byte keeps every character equally likely.
  const characters = Array.from(randomBytes(20), (byte) => BASE32_ALPHABET[byte & 31]);
  return `cl_${characters.join('')}`;
}

/** Hashes a secret as `scrypt$N$r$p$salt$hash` (salt and hash base64url). */
export async function hashClientSecret(secret: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scrypt(secret, salt, SCRYPT_KEY_LENGTH, SCRYPT_PARAMS);
  const { N, r, p } = SCRYPT_PARAMS;
  return ['scrypt', N, r, p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Checks a secret against a stored hash in constant time; a malformed hash never matches. */
export async function verifyClientSecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4], 'base64url');
  const expected = Buffer.from(parts[5], 'base64url');
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0) || salt.length === 0 || expected.length === 0) return false;
  let actual: Buffer;
  try {
    actual = await scrypt(secret, salt, expected.length, { N, r, p });
  } catch {
    return false;
  }
  return timingSafeEqual(actual, expected);
}

/**
 * scrypt makes every check of a client secret cost tens of milliseconds, on purpose. A PLATFORM
 * partner exchanging member tokens authenticates on every exchange, so a secret that verified
 * against the partner's current stored hash is remembered for a few minutes, as a SHA-256 of the
 * pair (never the secret itself). Rotating the secret changes the stored hash, so the old secret
 * is checked, and refused, again at once; status is read from the database on every request.
 */
export class VerifiedSecrets {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly ttlMs = 5 * 60_000,
    private readonly maxEntries = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  private static key(storedHash: string, secret: string): string {
    return createHash('sha256').update(storedHash).update('\0').update(secret).digest('base64url');
  }

  has(storedHash: string, secret: string): boolean {
    const key = VerifiedSecrets.key(storedHash, secret);
    const until = this.until.get(key);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.until.delete(key);
    return false;
  }

  remember(storedHash: string, secret: string): void {
    if (this.until.size >= this.maxEntries) this.until.delete(this.until.keys().next().value as string);
    this.until.set(VerifiedSecrets.key(storedHash, secret), this.now() + this.ttlMs);
  }
}

// Hashed once, lazily: authenticating an unknown client id costs as much as a wrong secret, so
// response times do not tell which client ids exist.
let decoyHash: Promise<string> | undefined;
const getDecoyHash = () => (decoyHash ??= hashClientSecret(generateClientSecret()));

interface PartnerRow {
  id: string;
  name: string;
  kind: PartnerKind;
  scopes: Scope[];
  organization_id: string | null;
  status: PartnerStatus;
  client_id: string;
  secret_hash: string;
  secret_rotated_at: Date;
  created_at: Date;
  disabled_at: Date | null;
  rate_limit_per_minute: number | null;
  introspection_allowed: boolean;
}

const PARTNER_COLUMNS =
  'id, name, kind, scopes, organization_id, status, client_id, secret_hash, secret_rotated_at, created_at, disabled_at, rate_limit_per_minute, introspection_allowed';

const toPartner = (row: PartnerRow): Partner => ({
  id: row.id,
  name: row.name,
  kind: row.kind,
  scopes: row.scopes,
  organizationId: row.organization_id,
  status: row.status,
  clientId: row.client_id,
  secretRotatedAt: row.secret_rotated_at,
  createdAt: row.created_at,
  disabledAt: row.disabled_at,
  rateLimitPerMinute: row.rate_limit_per_minute,
  introspectionAllowed: row.introspection_allowed,
});

/** PostgreSQL's unique_violation: the one constraint error a caller can act on (pick another id). */

/**
 * The gateway's partner registry. Every read goes to the database, never to a cache: disabling a
 * partner or rotating its secret must take effect for the very next token request.
 */
export class PartnerRegistry {
  constructor(
    private readonly dataSource: DataSource,
    private readonly verifiedSecrets = new VerifiedSecrets(),
  ) {}

  async create(input: CreatePartnerInput): Promise<CreatedPartner> {
    const values = validateCreateInput(input);
    const clientSecret = input.clientSecret ?? generateClientSecret();
    const secretHash = await hashClientSecret(clientSecret);
    let rows: PartnerRow[];
    try {
      rows = await this.dataSource.query(
        `INSERT INTO partners (id, name, kind, scopes, organization_id, client_id, secret_hash, rate_limit_per_minute, introspection_allowed)
         VALUES (COALESCE($1::uuid, gen_random_uuid()), $2, $3, $4::text[], $5, $6, $7, $8, $9)
         RETURNING ${PARTNER_COLUMNS}`,
        [
          values.id,
          values.name,
          values.kind,
          values.scopes,
          values.organizationId,
          values.clientId,
          secretHash,
          values.rateLimitPerMinute,
          input.introspectionAllowed === true,
        ],
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw new PartnerInputError(`a partner with this id or client id already exists`);
      throw error;
    }
    return { partner: toPartner(rows[0]), clientSecret };
  }

  /**
   * Idempotent seeding: creates the partner with this id if it does not exist, otherwise leaves
   * it exactly as it is (including a secret rotated since). `clientSecret` is returned only when
   * the partner was created now.
   */
  async ensure(input: CreatePartnerInput & { id: string }): Promise<{ partner: Partner; created: boolean; clientSecret: string | null }> {
    const existing = await this.get(input.id);
    if (existing) return { partner: existing, created: false, clientSecret: null };
    try {
      const { partner, clientSecret } = await this.create(input);
      return { partner, created: true, clientSecret };
    } catch (error) {
      // Two processes seeding at once: the other one won, which is just as good.
      const raced = error instanceof PartnerInputError ? await this.get(input.id) : null;
      if (raced) return { partner: raced, created: false, clientSecret: null };
      throw error;
    }
  }

  async list(): Promise<Partner[]> {
    const rows: PartnerRow[] = await this.dataSource.query(`SELECT ${PARTNER_COLUMNS} FROM partners ORDER BY created_at, id`);
    return rows.map(toPartner);
  }

  async get(id: string): Promise<Partner | null> {
    if (!isUuid(id)) return null;
    const rows: PartnerRow[] = await this.dataSource.query(`SELECT ${PARTNER_COLUMNS} FROM partners WHERE id = $1`, [id]);
    return rows[0] ? toPartner(rows[0]) : null;
  }

  /** Replaces the secret; the old one stops working at once (tokens already issued run out on their own). */
  async rotateSecret(id: string): Promise<string> {
    const clientSecret = generateClientSecret();
    const secretHash = await hashClientSecret(clientSecret);
    await this.updateOne(id, `UPDATE partners SET secret_hash = $2, secret_rotated_at = now() WHERE id = $1`, [secretHash]);
    return clientSecret;
  }

  async disable(id: string): Promise<Partner> {
    // COALESCE keeps the first disabling time when an operator disables twice.
    return this.updateOne(id, `UPDATE partners SET status = 'disabled', disabled_at = COALESCE(disabled_at, now()) WHERE id = $1`);
  }

  async enable(id: string): Promise<Partner> {
    return this.updateOne(id, `UPDATE partners SET status = 'active', disabled_at = NULL WHERE id = $1`);
  }

  /** Sets the per-partner cost budget per minute; null returns the partner to the gateway default. */
  async setRateLimit(id: string, perMinute: number | null): Promise<Partner> {
    if (perMinute !== null && !(Number.isSafeInteger(perMinute) && perMinute > 0)) {
      throw new PartnerInputError('rate limit must be a positive integer (or null for the default)');
    }
    return this.updateOne(id, `UPDATE partners SET rate_limit_per_minute = $2 WHERE id = $1`, [perMinute]);
  }

  /** Lets the partner introspect the schema in production (or not); it takes effect within the gateway's partner cache time. */
  async setIntrospection(id: string, allowed: boolean): Promise<Partner> {
    return this.updateOne(id, `UPDATE partners SET introspection_allowed = $2 WHERE id = $1`, [allowed]);
  }

  /**
   * The active partner these client credentials belong to, or null: unknown client id, wrong
   * secret and disabled partner are indistinguishable to the caller, and cost the same time.
   */
  async authenticate(clientId: string, clientSecret: string): Promise<Partner | null> {
    const plausible = CLIENT_ID_PATTERN.test(clientId) && clientSecret.length > 0 && clientSecret.length <= MAX_SECRET_LENGTH;
    const rows: PartnerRow[] = plausible ? await this.dataSource.query(`SELECT ${PARTNER_COLUMNS} FROM partners WHERE client_id = $1`, [clientId]) : [];
    const row = rows[0];
    const secret = clientSecret.slice(0, MAX_SECRET_LENGTH);
    const recentlyVerified = row !== undefined && this.verifiedSecrets.has(row.secret_hash, secret);
    const secretMatches = recentlyVerified || (await verifyClientSecret(secret, row?.secret_hash ?? (await getDecoyHash())));
    if (!row || !secretMatches || row.status !== 'active') return null;
    if (!recentlyVerified) this.verifiedSecrets.remember(row.secret_hash, secret);
    return toPartner(row);
  }

  private async updateOne(id: string, sql: string, extra: unknown[] = []): Promise<Partner> {
    if (!isUuid(id)) throw new PartnerNotFoundError(id);
    // dataSource.query answers [rows, affectedCount] for UPDATE ... RETURNING on PostgreSQL.
    const [rows] = (await this.dataSource.query(`${sql} RETURNING ${PARTNER_COLUMNS}`, [id, ...extra])) as [PartnerRow[], number];
    if (!rows[0]) throw new PartnerNotFoundError(id);
    return toPartner(rows[0]);
  }
}

interface ValidatedCreateInput {
  id: string | null;
  name: string;
  kind: PartnerKind;
  scopes: Scope[];
  organizationId: string | null;
  clientId: string;
  rateLimitPerMinute: number | null;
}

function validateCreateInput(input: CreatePartnerInput): ValidatedCreateInput {
  const problems: string[] = [];
  const name = input.name?.trim() ?? '';
  if (name === '' || name.length > 200) problems.push('name must be 1 to 200 characters');
  if (!isPartnerKind(input.kind)) {
    // Nothing else can be checked against an unknown kind.
    throw new PartnerInputError(`kind must be one of ${Object.keys(SCOPES_BY_KIND).join(', ')} (got ${JSON.stringify(input.kind)})`);
  }
  const kind = input.kind;
  const requested = input.scopes ?? SCOPES_BY_KIND[kind];
  const refused = scopesNotAllowedFor(kind, requested);
  if (refused.length > 0) problems.push(`a ${kind} partner may not hold ${refused.join(', ')} (allowed: ${SCOPES_BY_KIND[kind].join(' ')})`);
  if (requested.length === 0) problems.push('a partner needs at least one scope');
  const organizationId = input.organizationId ?? null;
  if (kind === 'UNION' && organizationId === null) problems.push('a UNION partner needs an organization id');
  if (kind !== 'UNION' && organizationId !== null) problems.push(`only UNION partners act on an organization, not ${kind}`);
  if (organizationId !== null && !isUuid(organizationId)) problems.push('organization id must be a UUID');
  if (input.id !== undefined && !isUuid(input.id)) problems.push('id must be a UUID');
  if (input.clientId !== undefined && !CLIENT_ID_PATTERN.test(input.clientId)) {
    problems.push('client id must be 8 to 100 characters of A-Z a-z 0-9 . _ ~ -');
  }
  if (input.clientSecret !== undefined && (input.clientSecret.length < MIN_SECRET_LENGTH || input.clientSecret.length > MAX_SECRET_LENGTH)) {
    problems.push(`client secret must be ${MIN_SECRET_LENGTH} to ${MAX_SECRET_LENGTH} characters`);
  }
  const rateLimitPerMinute = input.rateLimitPerMinute ?? null;
  if (rateLimitPerMinute !== null && !(Number.isSafeInteger(rateLimitPerMinute) && rateLimitPerMinute > 0)) {
    problems.push('rate limit must be a positive integer');
  }
  if (problems.length > 0) throw new PartnerInputError(problems.join('; '));
  return {
    id: input.id ?? null,
    name,
    kind,
    scopes: normalizeScopes(requested as Scope[]),
    organizationId,
    clientId: input.clientId ?? generateClientId(),
    rateLimitPerMinute,
  };
}
