import type { Principal } from '@union/common';
import type { DataSource } from 'typeorm';

/** What the gateway checks about a partner on every request, beyond its token. */
export interface PartnerAccess {
  /** `unknown`: no such partner (deleted, or a token that names none); treated like disabled. */
  status: 'active' | 'disabled' | 'unknown';
  /** Cost budget per minute; null means the gateway default. */
  rateLimitPerMinute: number | null;
  introspectionAllowed: boolean;
}

/**
 * How long the last status read from the registry keeps serving while the registry (the gateway's
 * database) cannot be read: partners keep working through a short database outage or failover,
 * and a partner known to be disabled stays refused. After this, its requests get 503.
 */
export const PARTNER_STALE_MS = 5 * 60_000;

interface Known {
  access: PartnerAccess;
  /** When the registry last confirmed it. */
  at: number;
}

interface Entry {
  value: Promise<PartnerAccess>;
  expiresAt: number;
}

/**
 * Partner status, rate and introspection flag, cached per partner for a few seconds.
 *
 * Access tokens are self-contained JWTs (verifying one costs no query), so without this a
 * disabled partner's tokens would work until they expire (10 minutes). With it, every request
 * looks the partner up at most once per `ttlMs` (15 s by default): a disabled partner is
 * refused within that time, at the price of one indexed query per partner per 15 s.
 * Concurrent requests of one partner share one lookup.
 */
export class PartnerAccessCache {
  private readonly entries = new Map<string, Entry>();
  private readonly lastKnown = new Map<string, Known>();

  constructor(
    private readonly db: DataSource,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly staleMs: number = PARTNER_STALE_MS,
  ) {}

  /**
   * The partner a principal acts for: the partner itself, or for a MEMBER token the PLATFORM
   * that exchanged it (disabling the platform cuts off its members' tokens too).
   */
  static partnerIdOf(principal: Principal): string | null {
    if (principal.kind === 'MEMBER') return principal.actingPartnerId ?? null;
    if (principal.kind === 'SERVICE') return null;
    return principal.id;
  }

  get(partnerId: string): Promise<PartnerAccess> {
    const now = this.now();
    const cached = this.entries.get(partnerId);
    if (cached && cached.expiresAt > now) return cached.value;
    if (this.entries.size > 10_000) this.dropExpired(now);
    const value = this.lookup(partnerId).then(
      (access) => {
        this.remember(partnerId, access);
        return access;
      },
      (error: unknown) => {
        // The registry cannot be read: the status it last gave, if recent enough (see PARTNER_STALE_MS).
        const known = this.lastKnown.get(partnerId);
        if (known && this.now() - known.at <= this.staleMs) return known.access;
        throw error;
      },
    );
    const entry = { value, expiresAt: now + this.ttlMs };
    if (this.ttlMs > 0) this.entries.set(partnerId, entry);
    // A failed lookup is not remembered: the next request asks again.
    value.catch(() => {
      if (this.entries.get(partnerId) === entry) this.entries.delete(partnerId);
    });
    return value;
  }

  private async lookup(partnerId: string): Promise<PartnerAccess> {
    const rows: Array<{ status: 'active' | 'disabled'; rate_limit_per_minute: number | null; introspection_allowed: boolean }> = await this.db.query(
      `SELECT status, rate_limit_per_minute, introspection_allowed FROM partners WHERE id = $1`,
      [partnerId],
    );
    const row = rows[0];
    if (!row) return { status: 'unknown', rateLimitPerMinute: null, introspectionAllowed: false };
    return { status: row.status, rateLimitPerMinute: row.rate_limit_per_minute, introspectionAllowed: row.introspection_allowed };
  }

  private remember(partnerId: string, access: PartnerAccess): void {
    if (this.lastKnown.size > 50_000) {
      const now = this.now();
      for (const [key, known] of this.lastKnown) if (now - known.at > this.staleMs) this.lastKnown.delete(key);
    }
    this.lastKnown.set(partnerId, { access, at: this.now() });
  }

  private dropExpired(now: number): void {
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
