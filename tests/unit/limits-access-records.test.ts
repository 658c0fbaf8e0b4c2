import fc from 'fast-check';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import { AccessReportCollector, observeExport, type ObservedExport } from '../../gateway/src/audit';
import { PartnerAccessCache } from '../../gateway/src/partner-access';

describe('AccessReportCollector', () => {
  it('merges the reports of several subgraph fetches into one disclosure', () => {
    const collector = new AccessReportCollector();
    const a = '00000000-0000-4000-8000-00000000000a';
    const b = '00000000-0000-4000-8000-00000000000b';
    collector.add({ personalData: { [a]: ['fullName'] } });
    collector.add({ personalData: { [a]: ['phone'], [b]: ['fullName', 'phone'] }, failedGuesses: 2 });
    collector.add(undefined);
    expect(collector.disclosure()).toEqual({ memberIds: [a, b], fields: ['fullName', 'phone'] });
    expect(collector.failedGuesses).toBe(2);
    collector.add({ personalData: { [b]: ['cardNumber'] } });
    expect(collector.disclosure().fieldsByMember).toEqual({ [a]: ['fullName', 'phone'], [b]: ['cardNumber', 'fullName', 'phone'] });
  });

  it('ignores what is not a member id or a personal-data field', () => {
    const collector = new AccessReportCollector();
    collector.add({ personalData: { 'not-an-id': ['fullName'], '00000000-0000-4000-8000-00000000000a': ['salary'] } });
    expect(collector.disclosesPersonalData).toBe(false);
  });
});

describe('observeExport counts rows as they pass, without buffering', () => {
  let server: Server;
  let write: (res: import('node:http').ServerResponse) => void;
  let observed: ObservedExport | null;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      const watcher = observeExport(res, 50);
      res.once('finish', () => void watcher.result().then((outcome) => (observed = outcome)));
      write(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const get = () =>
    new Promise<string>((resolve, reject) => {
      observed = null;
      request(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', async () => {
          while (!observed) await new Promise((wait) => setTimeout(wait, 10));
          resolve(body);
        });
      })
        .on('error', reject)
        .end();
    });

  it('CSV: data rows only, line breaks inside quoted fields not counted, chunks split anywhere', async () => {
    write = (res) => {
      res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'x-export-masked': 'false', 'x-export-id': 'e1' });
      res.write('id,name\r\n1,"a\r\nb"\r\n2,"say ""hi');
      res.write('"""\r\n3,c\r');
      res.end('\n');
    };
    await get();
    expect(observed).toEqual({ status: 200, format: 'csv', masked: false, exportId: 'e1', rows: 3, complete: true });
  });

  it('CSV: any fields (quotes, commas, line breaks, Chinese text), cut into chunks anywhere, counts every data row', async () => {
    const field = fc.string({ unit: fc.constantFrom('a', '工', '"', ',', '\r', '\n', ' ', '='), maxLength: 6 });
    const cell = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(field, { minLength: 1, maxLength: 3 }), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        async (rows, cuts) => {
          const bytes = Buffer.from(['id,name', ...rows.map((row) => row.map(cell).join(','))].map((line) => `${line}\r\n`).join(''));
          const at = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
          write = (res) => {
            res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
            let from = 0;
            for (const to of at) {
              res.write(bytes.subarray(from, to));
              from = to;
            }
            res.end(bytes.subarray(from));
          };
          await get();
          expect(observed?.rows).toBe(rows.length);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('NDJSON: one row per line', async () => {
    write = (res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'x-export-masked': 'true' });
      res.write(Buffer.from('{"id":1,"n":"a\\nb"}\n{"id":2}\n'));
      res.end();
    };
    await get();
    expect(observed).toMatchObject({ format: 'ndjson', masked: true, rows: 2, complete: true });
  });

  it('an error answer is no export', async () => {
    write = (res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end('{"errors":[]}\n');
    };
    await get();
    expect(observed).toMatchObject({ status: 403, format: null, rows: 0 });
  });
});

describe('PartnerAccessCache', () => {
  function fakeDb(rows: () => unknown[]) {
    let queries = 0;
    const db = { query: async () => ((queries += 1), rows()) } as unknown as DataSource;
    return { db, queries: () => queries };
  }

  it('asks the database at most once per partner per cache time, concurrent requests included', async () => {
    let now = 0;
    let status = 'active';
    const { db, queries } = fakeDb(() => [{ status, rate_limit_per_minute: 600, introspection_allowed: false }]);
    const cache = new PartnerAccessCache(db, 15_000, () => now);
    const answers = await Promise.all([cache.get('p'), cache.get('p'), cache.get('p')]);
    expect(answers[0]).toEqual({ status: 'active', rateLimitPerMinute: 600, introspectionAllowed: false });
    expect(queries()).toBe(1);
    status = 'disabled';
    now = 14_999;
    expect((await cache.get('p')).status).toBe('active');
    now = 15_000;
    expect((await cache.get('p')).status).toBe('disabled');
    expect(queries()).toBe(2);
  });

  it('treats an unknown partner as not active and does not remember a failed lookup', async () => {
    let fail = true;
    const db = {
      query: async () => {
        if (fail) throw new Error('database down');
        return [];
      },
    } as unknown as DataSource;
    const cache = new PartnerAccessCache(db, 15_000);
    await expect(cache.get('p')).rejects.toThrow('database down');
    fail = false;
    expect((await cache.get('p')).status).toBe('unknown');
  });

  it('checks the PLATFORM behind a MEMBER token', () => {
    expect(PartnerAccessCache.partnerIdOf({ kind: 'MEMBER', id: 'm', name: 'x', scopes: [], actingPartnerId: 'platform' })).toBe('platform');
    expect(PartnerAccessCache.partnerIdOf({ kind: 'HOSPITAL', id: 'h', name: 'x', scopes: [] })).toBe('h');
  });
});
