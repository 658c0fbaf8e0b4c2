/**
 * Per-caller token buckets of operation cost, kept in the gateway process.
 *
 * A bucket holds at most one minute's budget and refills continuously at budget / 60 per
 * second, so a partner may spend its whole minute in a burst and then runs at its rate. Every
 * operation takes its cost (limits.ts) before it is planned; an operation that does not fit is
 * answered 429 RATE_LIMITED with the seconds until it would. Failed guesses (an unknown voucher
 * code, an invalid card token) are charged again after the response, and a bucket may go into
 * debt down to minus one minute's budget: guessing slows a partner down to a crawl but never
 * locks it out for longer than two minutes.
 *
 * One process, one set of buckets: with N gateway replicas behind a balancer a partner gets up
 * to N times its budget. That trade is deliberate (no shared store on the hot path); a shared
 * limiter would replace this class, not its callers.
 */
export type RateDecision =
  | { allowed: true; remaining: number }
  | {
      allowed: false;
      /** Whole seconds until the operation would fit (HTTP Retry-After). */
      retryAfterSeconds: number;
      /** The operation alone costs more than a minute's budget: it will never fit. */
      exceedsBudget: boolean;
      remaining: number;
    };

interface Bucket {
  tokens: number;
  updatedAt: number;
  perMinute: number;
}

export interface CostRateLimiterOptions {
  /** Budget per minute for callers without an override. */
  defaultPerMinute: number;
  /** Milliseconds clock, injectable for tests. */
  now?: () => number;
  /** Above this many buckets, full (idle) ones are dropped. */
  maxBuckets?: number;
}

export class CostRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private readonly maxBuckets: number;
  readonly defaultPerMinute: number;

  constructor(options: CostRateLimiterOptions) {
    if (!(options.defaultPerMinute > 0)) throw new Error('the rate limit must be a positive cost per minute');
    this.defaultPerMinute = options.defaultPerMinute;
    this.now = options.now ?? Date.now;
    this.maxBuckets = options.maxBuckets ?? 100_000;
  }

  /** Takes `cost` from `key`'s bucket if it holds that much; otherwise takes nothing and says when to come back. */
  take(key: string, cost: number, perMinute: number | null = null): RateDecision {
    const bucket = this.bucket(key, perMinute ?? this.defaultPerMinute);
    if (cost > bucket.perMinute) {
      return { allowed: false, retryAfterSeconds: 60, exceedsBudget: true, remaining: Math.floor(bucket.tokens) };
    }
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return { allowed: true, remaining: Math.floor(bucket.tokens) };
    }
    const perSecond = bucket.perMinute / 60;
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((cost - bucket.tokens) / perSecond)),
      exceedsBudget: false,
      remaining: Math.floor(bucket.tokens),
    };
  }

  /** Charges `amount` after the fact (failed guesses); the bucket may go into debt, down to minus one minute's budget. */
  penalize(key: string, amount: number, perMinute: number | null = null): void {
    if (!(amount > 0)) return;
    const bucket = this.bucket(key, perMinute ?? this.defaultPerMinute);
    bucket.tokens = Math.max(bucket.tokens - amount, -bucket.perMinute);
  }

  /** What `key` could spend right now (tests, diagnostics). */
  available(key: string, perMinute: number | null = null): number {
    return Math.floor(this.bucket(key, perMinute ?? this.defaultPerMinute).tokens);
  }

  private bucket(key: string, perMinute: number): Bucket {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxBuckets) this.dropFullBuckets(now);
      bucket = { tokens: perMinute, updatedAt: now, perMinute };
      this.buckets.set(key, bucket);
      return bucket;
    }
    // An operator changed the partner's rate: the new one applies from now, without a free refill.
    if (bucket.perMinute !== perMinute) {
      bucket.perMinute = perMinute;
      bucket.tokens = Math.min(bucket.tokens, perMinute);
    }
    const elapsed = Math.max(0, now - bucket.updatedAt);
    bucket.tokens = Math.min(bucket.perMinute, bucket.tokens + (elapsed * bucket.perMinute) / 60_000);
    bucket.updatedAt = now;
    return bucket;
  }

  /** A full bucket is the same as no bucket: dropping it forgets nothing. */
  private dropFullBuckets(now: number): void {
    for (const [key, bucket] of this.buckets) {
      const tokens = bucket.tokens + ((now - bucket.updatedAt) * bucket.perMinute) / 60_000;
      if (tokens >= bucket.perMinute) this.buckets.delete(key);
    }
  }
}
