import type { ServerResponse } from 'node:http';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { LimiterStore } from './limiter-store';

/**
 * The per-caller budget of operation cost: `perMinute` cost per fixed one-minute window, counted
 * in the limiter store (limiter-store.ts: this process's memory, or Redis shared by every gateway
 * replica when REDIS_URL is set).
 *
 * Every operation takes its cost (limits.ts) before it is planned; an operation that does not fit
 * is answered 429 RATE_LIMITED with the seconds until the window turns, and takes nothing. Failed
 * guesses (an unknown voucher code, an invalid card token) are charged again after the response
 * and may push the window's count past the budget: guessing stops a partner for the rest of the
 * minute, never longer.
 *
 * Why a fixed window rather than the token bucket this replaced: one atomic INCRBY in Redis per
 * operation (rate-limiter-flexible's RateLimiterRedis) is the cheapest shared counter there is,
 * and the window is what the RateLimit-* headers describe exactly. The price: a partner can spend
 * the end of one window and the start of the next back to back (up to twice its budget within a
 * few seconds, never more than its budget per window).
 */
export type RateDecision =
  | { allowed: true; limit: number; remaining: number; resetSeconds: number }
  | {
      allowed: false;
      limit: number;
      remaining: number;
      resetSeconds: number;
      /** Whole seconds until the operation would fit (HTTP Retry-After). */
      retryAfterSeconds: number;
      /** The operation alone costs more than a minute's budget: it will never fit. */
      exceedsBudget: boolean;
    };

/** What a caller has left, as the RateLimit-* headers say it. */
export interface BudgetState {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

const WINDOW_SECONDS = 60;
const COUNTER = 'budget';

export interface CostBudgetOptions {
  store: LimiterStore;
  /** Budget per minute for callers without an override. */
  defaultPerMinute: number;
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

export class CostBudget {
  readonly defaultPerMinute: number;
  private readonly store: LimiterStore;

  constructor(options: CostBudgetOptions) {
    if (!(options.defaultPerMinute > 0)) throw new Error('the rate limit must be a positive cost per minute');
    this.defaultPerMinute = options.defaultPerMinute;
    this.store = options.store;
  }

  private counter(perMinute: number | null) {
    return this.store.counter(COUNTER, perMinute ?? this.defaultPerMinute, WINDOW_SECONDS);
  }

  /** Takes `cost` from `key`'s budget if it has that much left; otherwise takes nothing and says when to come back. */
  async take(key: string, cost: number, perMinute: number | null = null): Promise<RateDecision> {
    const limit = perMinute ?? this.defaultPerMinute;
    const counter = this.counter(perMinute);
    if (cost > limit) {
      const state = await this.state(key, perMinute);
      return { allowed: false, ...state, retryAfterSeconds: WINDOW_SECONDS, exceedsBudget: true };
    }
    const points = Math.max(1, Math.ceil(cost));
    try {
      const taken = await counter.consume(key, points);
      return { allowed: true, limit, remaining: taken.remainingPoints, resetSeconds: seconds(taken.msBeforeNext) };
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      // consume() counts a refused operation too; give it back, so only what ran is spent.
      await counter.reward(key, points).catch(() => undefined);
      const resetSeconds = Math.max(1, seconds(refusal.msBeforeNext));
      const remaining = Math.max(0, limit - (refusal.consumedPoints - points));
      return { allowed: false, limit, remaining, resetSeconds, retryAfterSeconds: resetSeconds, exceedsBudget: false };
    }
  }

  /** Charges `amount` after the fact (failed guesses); the window may go past the budget, until it turns. */
  async penalize(key: string, amount: number, perMinute: number | null = null): Promise<void> {
    if (!(amount > 0)) return;
    await this.counter(perMinute).penalty(key, Math.ceil(amount));
  }

  /** What `key` has left in the current window, without spending anything. */
  async state(key: string, perMinute: number | null = null): Promise<BudgetState> {
    const limit = perMinute ?? this.defaultPerMinute;
    const current = await this.counter(perMinute).get(key);
    if (!current) return { limit, remaining: limit, resetSeconds: WINDOW_SECONDS };
    return { limit, remaining: Math.max(0, limit - current.consumedPoints), resetSeconds: seconds(current.msBeforeNext) };
  }

  /** What `key` could spend right now (tests, diagnostics); negative once failed guesses took it past the budget. */
  async available(key: string, perMinute: number | null = null): Promise<number> {
    const current = await this.counter(perMinute).get(key);
    return (perMinute ?? this.defaultPerMinute) - (current?.consumedPoints ?? 0);
  }
}

/**
 * The RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset headers (IETF httpapi
 * ratelimit-headers, the widely deployed delta-seconds form), set on the response before it is
 * written so every answer a charged caller gets carries them, 429s included.
 */
export function setRateLimitHeaders(res: ServerResponse, state: BudgetState): void {
  if (res.headersSent) return;
  res.setHeader('RateLimit-Limit', String(state.limit));
  res.setHeader('RateLimit-Remaining', String(Math.max(0, Math.floor(state.remaining))));
  res.setHeader('RateLimit-Reset', String(state.resetSeconds));
}
