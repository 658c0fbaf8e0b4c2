import { Webhook } from 'standardwebhooks';
import { retryPauseMs } from '../../subgraphs/events/src/modules/webhook/webhook.delivery';
import { newWebhookSecret, webhookHeaders } from '../../subgraphs/events/src/modules/webhook/webhook.signing';
import { checkEndpointUrl, isForbiddenAddress } from '../../subgraphs/events/src/modules/webhook/webhook.url-safety';

describe('webhook signatures (Standard Webhooks)', () => {
  it('verify with the standardwebhooks package, with one secret and during a rotation with either', () => {
    const [oldSecret, newSecret] = [newWebhookSecret(), newWebhookSecret()];
    expect(oldSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const body = JSON.stringify({ type: 'POINTS_AWARDED', timestamp: new Date().toISOString(), data: { memberId: 'm' } });
    const now = Math.floor(Date.now() / 1000);
    const one = webhookHeaders([oldSecret], 'evt-1', now, body);
    expect(new Webhook(oldSecret).verify(body, one)).toEqual(JSON.parse(body));
    expect(() => new Webhook(newSecret).verify(body, one)).toThrow();
    const both = webhookHeaders([newSecret, oldSecret], 'evt-1', now, body);
    expect(both['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(oldSecret).verify(body, both)).toEqual(JSON.parse(body));
    expect(new Webhook(newSecret).verify(body, both)).toEqual(JSON.parse(body));
    expect(() => new Webhook(oldSecret).verify(body.replace('m"', 'x"'), both)).toThrow();
  });
});

describe('retry pauses', () => {
  const settings = { firstPauseMs: 5000, maxPauseMs: 6 * 3600_000 };
  it('double from the first pause up to the maximum, within ±25 % jitter', () => {
    expect(retryPauseMs(1, settings, () => 0.5)).toBe(5000);
    expect(retryPauseMs(2, settings, () => 0.5)).toBe(10_000);
    expect(retryPauseMs(30, settings, () => 0.5)).toBe(6 * 3600_000);
    expect(retryPauseMs(3, settings, () => 0)).toBe(15_000);
    expect(retryPauseMs(3, settings, () => 0.999999)).toBeLessThanOrEqual(25_000);
  });
  it('keep retrying for at least 3 days before the window closes', () => {
    let elapsed = 0;
    let attempts = 0;
    while (elapsed < 3 * 24 * 3600_000) elapsed += retryPauseMs(++attempts, settings, () => 0.999);
    expect(attempts).toBeGreaterThan(15);
    expect(attempts).toBeLessThan(40);
  });
});

describe('endpoint URL safety', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
  ])('%s is forbidden', (address) => expect(isForbiddenAddress(address)).toBe(true));
  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111'])('%s is public', (address) => expect(isForbiddenAddress(address)).toBe(false));

  it('outside production: https anywhere, plain http to loopback only', async () => {
    await expect(checkEndpointUrl('https://partner.example.com/hooks', false)).resolves.toBeInstanceOf(URL);
    await expect(checkEndpointUrl('http://127.0.0.1:8080/hooks', false)).resolves.toBeInstanceOf(URL);
    await expect(checkEndpointUrl('http://localhost:8080/hooks', false)).resolves.toBeInstanceOf(URL);
    await expect(checkEndpointUrl('http://partner.example.com/hooks', false)).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  });

  it.each([
    ['plain http, even to loopback', 'http://127.0.0.1:8080/hooks'],
    ['a loopback address', 'https://127.0.0.1/hooks'],
    ['localhost', 'https://localhost/hooks'],
    ['a private address', 'https://10.0.0.5/hooks'],
    ['cloud metadata', 'https://169.254.169.254/latest/meta-data'],
    ['an IPv6 loopback', 'https://[::1]/hooks'],
    ['an IPv4-mapped private address', 'https://[::ffff:192.168.0.1]/hooks'],
  ])('in production refuses %s with BAD_USER_INPUT', async (_name, url) => {
    await expect(checkEndpointUrl(url, true)).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('in production accepts https to a public address', async () => {
    await expect(checkEndpointUrl('https://93.184.216.34/hooks', true)).resolves.toBeInstanceOf(URL);
  });
});
