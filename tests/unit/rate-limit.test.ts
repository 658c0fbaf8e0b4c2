import type { IncomingMessage } from 'node:http';
import { FailedAuthenticationLimiter } from '../../gateway/src/auth/oauth';
import { TrustedProxies, trustedProxyEntryProblem } from '../../gateway/src/client-address';
import { loadGatewayConfig } from '../../gateway/src/config';
import { createLimiterStore } from '../../gateway/src/limiter-store';
import { CostBudget } from '../../gateway/src/rate-limit';

/** The in-memory store (no REDIS_URL); tests/e2e/shared-budget.test.ts runs the same code against a real Redis. */
describe('cost budget per caller (fixed one-minute window)', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());
  const budget = (perMinute = 600) => new CostBudget({ store: createLimiterStore(), defaultPerMinute: perMinute });

  it('lets a caller spend its minute at once, then refuses until the window turns, taking nothing for the refusal', async () => {
    const limiter = budget(600);
    await expect(limiter.take('p', 590)).resolves.toMatchObject({ allowed: true, limit: 600, remaining: 10, resetSeconds: 60 });
    jest.advanceTimersByTime(15_000);
    await expect(limiter.take('p', 50)).resolves.toMatchObject({
      allowed: false,
      retryAfterSeconds: 45,
      resetSeconds: 45,
      remaining: 10,
      exceedsBudget: false,
    });
    // The refused 50 was not spent: 10 still fit.
    await expect(limiter.take('p', 10)).resolves.toMatchObject({ allowed: true, remaining: 0 });
    await expect(limiter.take('q', 1)).resolves.toMatchObject({ allowed: true, remaining: 599 });
    jest.advanceTimersByTime(45_001);
    await expect(limiter.take('p', 50)).resolves.toMatchObject({ allowed: true, remaining: 550 });
  });

  it('refuses an operation that costs more than the whole budget, for good', async () => {
    await expect(budget(100).take('p', 101)).resolves.toMatchObject({ allowed: false, exceedsBudget: true, retryAfterSeconds: 60, remaining: 100 });
  });

  it('uses a per-partner budget when one is given', async () => {
    const limiter = budget(600);
    await expect(limiter.take('p', 500, 1_000)).resolves.toMatchObject({ allowed: true, limit: 1_000, remaining: 500 });
    await expect(limiter.state('p', 1_000)).resolves.toMatchObject({ limit: 1_000, remaining: 500 });
    await expect(limiter.state('other', 1_000)).resolves.toEqual({ limit: 1_000, remaining: 1_000, resetSeconds: 60 });
  });

  it('puts a guessing caller past its budget for the rest of the minute, never longer', async () => {
    const limiter = budget(600);
    await limiter.penalize('p', 5_000);
    await expect(limiter.available('p')).resolves.toBe(-4_400);
    await expect(limiter.take('p', 10)).resolves.toMatchObject({ allowed: false, retryAfterSeconds: 60, remaining: 0 });
    jest.advanceTimersByTime(60_001);
    await expect(limiter.take('p', 10)).resolves.toMatchObject({ allowed: true, remaining: 590 });
  });
});

describe('failed client authentications per (client id, address)', () => {
  beforeEach(() => jest.useFakeTimers({ now: 5_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('holds off the client that failed at that address, and nobody else', async () => {
    const limiter = new FailedAuthenticationLimiter(createLimiterStore(), { perClientAndAddress: 3, perAddress: 10 });
    for (let i = 0; i < 3; i += 1) {
      await expect(limiter.retryAfterSeconds('hospital', '10.0.0.1')).resolves.toBe(0);
      await limiter.recordFailure('hospital', '10.0.0.1');
    }
    await expect(limiter.retryAfterSeconds('hospital', '10.0.0.1')).resolves.toBe(60);
    await expect(limiter.retryAfterSeconds('travel', '10.0.0.1')).resolves.toBe(0);
    await expect(limiter.retryAfterSeconds('hospital', '10.0.0.2')).resolves.toBe(0);
    jest.advanceTimersByTime(45_000);
    await expect(limiter.retryAfterSeconds('hospital', '10.0.0.1')).resolves.toBe(15);
    jest.advanceTimersByTime(15_001);
    await expect(limiter.retryAfterSeconds('hospital', '10.0.0.1')).resolves.toBe(0);
  });

  it('holds off a whole address past the much higher ceiling (made-up client ids in a loop)', async () => {
    const limiter = new FailedAuthenticationLimiter(createLimiterStore(), { perClientAndAddress: 3, perAddress: 10 });
    for (let i = 0; i < 10; i += 1) await limiter.recordFailure(`made-up-${i}`, '10.0.0.9');
    await expect(limiter.retryAfterSeconds('anyone', '10.0.0.9')).resolves.toBe(60);
    await expect(limiter.retryAfterSeconds('anyone', '10.0.0.8')).resolves.toBe(0);
  });

  it('counts a long or odd client id under a bounded key', async () => {
    const limiter = new FailedAuthenticationLimiter(createLimiterStore(), { perClientAndAddress: 1 });
    const odd = `${'x'.repeat(5_000)}\u0000:|`;
    await limiter.recordFailure(odd, '10.0.0.1');
    await expect(limiter.retryAfterSeconds(odd, '10.0.0.1')).resolves.toBe(60);
    await expect(limiter.retryAfterSeconds(`${'x'.repeat(5_000)}\u0000:`, '10.0.0.1')).resolves.toBe(0);
  });
});

describe('client address behind trusted proxies', () => {
  const request = (peer: string, forwardedFor?: string) =>
    ({ socket: { remoteAddress: peer }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }) as unknown as IncomingMessage;

  it('ignores X-Forwarded-For when no proxy is trusted', () => {
    expect(new TrustedProxies([]).clientAddress(request('203.0.113.9', '198.51.100.1'))).toBe('203.0.113.9');
  });

  it('reads X-Forwarded-For right to left, only through trusted hops', () => {
    const proxies = new TrustedProxies(['10.0.0.0/8', '::1', '127.0.0.1']);
    // The ingress (10.1.2.3) saw the client 198.51.100.7; what the client wrote itself (6.6.6.6) is never read.
    expect(proxies.clientAddress(request('::ffff:10.1.2.3', '6.6.6.6, 198.51.100.7'))).toBe('198.51.100.7');
    expect(proxies.clientAddress(request('127.0.0.1', '198.51.100.7, 10.9.9.9'))).toBe('198.51.100.7');
    // A request straight from the internet: its own header is not believed.
    expect(proxies.clientAddress(request('203.0.113.9', '10.0.0.1'))).toBe('203.0.113.9');
    // A trusted proxy without a header, or with garbage in it.
    expect(proxies.clientAddress(request('10.0.0.5'))).toBe('10.0.0.5');
    expect(proxies.clientAddress(request('10.0.0.5', 'not-an-address'))).toBe('10.0.0.5');
  });

  it('validates TRUSTED_PROXIES with the rest of the configuration, naming every bad entry', () => {
    expect(trustedProxyEntryProblem('10.0.0.0/8')).toBeNull();
    expect(trustedProxyEntryProblem('fd00::/8')).toBeNull();
    expect(trustedProxyEntryProblem('10.0.0.0/33')).toMatch(/prefix length/);
    const env = { DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db', INTERNAL_SECRET: 's'.repeat(32) };
    expect(loadGatewayConfig({ ...env, TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1' }).trustedProxies).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(() => loadGatewayConfig({ ...env, TRUSTED_PROXIES: 'ingress.local,10.0.0.0/40', REDIS_URL: 'http://x' })).toThrow(
      /TRUSTED_PROXIES: "ingress.local" is not an IP address[\s\S]*TRUSTED_PROXIES: "10.0.0.0\/40" has a prefix length[\s\S]*REDIS_URL/,
    );
  });
});
