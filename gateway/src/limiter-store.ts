import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';

/**
 * Where the gateway's per-partner counters live: the cost budget (rate-limit.ts), failed client
 * authentications at /oauth/token (auth/oauth.ts) and whatever limiter comes next.
 *
 * Without REDIS_URL every counter is a rate-limiter-flexible memory limiter in this process, as
 * before: with N replicas a partner gets N budgets. With REDIS_URL they are RateLimiterRedis
 * counters (one atomic Lua INCRBY per charge), so every replica draws from one budget and a deploy
 * resets nothing.
 *
 * Redis unreachable fails open to memory: each Redis limiter carries a memory "insurance"
 * limiter with the same budget, used whenever Redis errors, times out or is not connected. The
 * budget is a guard against runaway callers, not a ledger (money and stock limits are enforced by
 * PostgreSQL), so a Redis outage costs sharing (each replica enforces the full budget on its own,
 * at most N times the budget in all) instead of every partner's traffic (a 503 for all). One log
 * line says when the gateway falls back and one when Redis is back.
 */
export interface LimiterStore {
  /** True when counters are shared through Redis. */
  readonly shared: boolean;
  /**
   * A fixed-window counter allowing `points` per `durationSeconds` under `name`. Counters with the
   * same name share their counts whatever their `points` (in Redis), so a partner whose budget an
   * operator changes keeps what it has spent in the current window.
   */
  counter(name: string, points: number, durationSeconds: number): RateLimiterAbstract;
  close(): Promise<void>;
}

export interface LimiterStoreOptions {
  redisUrl?: string | null;
  /** Prefix of every Redis key, so several deployments can share one Redis. */
  keyPrefix?: string;
  log?: (line: string) => void;
  /** How long one Redis command may take before the memory fallback answers (ms). */
  commandTimeoutMs?: number;
}

/** A Redis URL with its password masked, for log lines. */
export function redactedRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis (unparseable URL)';
  }
}

export function createLimiterStore(options: LimiterStoreOptions = {}): LimiterStore {
  const keyPrefix = options.keyPrefix ?? 'union-benefits';
  const log = options.log ?? ((line: string) => console.error(line));
  const counters = new Map<string, RateLimiterAbstract>();
  const memory = (name: string, points: number, durationSeconds: number) =>
    new RateLimiterMemory({ keyPrefix: `${keyPrefix}:${name}`, points, duration: durationSeconds });

  if (!options.redisUrl) {
    return {
      shared: false,
      counter(name, points, durationSeconds) {
        const id = `${name}|${points}|${durationSeconds}`;
        let counter = counters.get(id);
        if (!counter) counters.set(id, (counter = memory(name, points, durationSeconds)));
        return counter;
      },
      async close() {},
    };
  }

  const where = redactedRedisUrl(options.redisUrl);
  const redis = new Redis(options.redisUrl, {
    // Fail fast and let the memory fallback answer: a request must never wait for a reconnect.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 500,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(200 * attempt, 2_000),
  });
  let state: 'connecting' | 'ready' | 'down' = 'connecting';
  redis.on('ready', () => {
    if (state === 'down') log(`gateway: Redis at ${where} is back; rate limits are shared across replicas again`);
    state = 'ready';
  });
  redis.on('error', (error: Error) => {
    if (state === 'down') return;
    state = 'down';
    log(`gateway: Redis at ${where} unreachable (${error.message}); rate limits fall back to this process's memory until it is back`);
  });

  return {
    shared: true,
    counter(name, points, durationSeconds) {
      const id = `${name}|${points}|${durationSeconds}`;
      let counter = counters.get(id);
      if (!counter) {
        counter = new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: `${keyPrefix}:${name}`,
          points,
          duration: durationSeconds,
          rejectIfRedisNotReady: true,
          insuranceLimiter: memory(name, points, durationSeconds),
        });
        counters.set(id, counter);
      }
      return counter;
    },
    async close() {
      state = 'ready'; // closing is not an outage worth a log line
      redis.removeAllListeners('error');
      redis.on('error', () => {});
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
