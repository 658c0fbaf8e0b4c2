import type { DataSource } from 'typeorm';
import { PARTNER_STALE_MS, PartnerAccessCache } from '../../gateway/src/partner-access';

/** Issue 10, item 4: the partner registry unreachable, the gateway keeps serving the partners whose status it knows. */
describe('PartnerAccessCache while the registry is unreachable', () => {
  let now = 0;
  let down = false;
  const statuses = new Map<string, string>([
    ['active-partner', 'active'],
    ['disabled-partner', 'disabled'],
  ]);
  const db = {
    query: async (_sql: string, [id]: [string]) => {
      if (down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      const status = statuses.get(id);
      return status ? [{ status, rate_limit_per_minute: null, introspection_allowed: false }] : [];
    },
  } as unknown as DataSource;
  const cache = new PartnerAccessCache(db, 15_000, () => now);

  it('serves the last known status for up to 5 minutes, disabled partners stay refused, then fails', async () => {
    expect((await cache.get('active-partner')).status).toBe('active');
    expect((await cache.get('disabled-partner')).status).toBe('disabled');
    down = true;
    now = 20_000;
    expect((await cache.get('active-partner')).status).toBe('active');
    expect((await cache.get('disabled-partner')).status).toBe('disabled');
    // Never seen before the outage: nothing to go by.
    await expect(cache.get('new-partner')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    now = PARTNER_STALE_MS - 1;
    expect((await cache.get('active-partner')).status).toBe('active');
    now = PARTNER_STALE_MS + 16_000;
    await expect(cache.get('active-partner')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // Back: read again, and a status changed meanwhile counts.
    down = false;
    statuses.set('active-partner', 'disabled');
    expect((await cache.get('active-partner')).status).toBe('disabled');
  });
});
