import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSystem, type RunningSystem } from '../testkit/system';

/**
 * The example scripts of examples/ (hospital, travel partner, union), compiled the way the
 * README says and run as a partner's developer would run them, against a started system, with
 * the credentials file `npm start` writes.
 */

const root = join(__dirname, '..', '..');
let system: RunningSystem;
let dir: string;

beforeAll(async () => {
  const compiled = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'examples')], { encoding: 'utf8' });
  if (compiled.status !== 0) throw new Error(`examples do not compile:\n${compiled.stdout}${compiled.stderr}`);
  system = await startSystem();
  dir = mkdtempSync(join(tmpdir(), 'union-examples-'));
  writeFileSync(join(dir, 'demo-credentials.json'), JSON.stringify(system.credentials));
});
afterAll(async () => {
  await system?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function runExample(name: string): Promise<{ status: number | null; lines: string[]; summary: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'examples', 'dist', 'examples', `${name}.js`)], {
      env: { PATH: process.env.PATH, UNION_CREDENTIALS_FILE: join(dir, 'demo-credentials.json') },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (status) => {
      const lines = out.trim().split('\n');
      if (status !== 0) return reject(new Error(`${name} exited ${status}:\n${out}${err}`));
      resolve({ status, lines, summary: JSON.parse(lines[lines.length - 1]!) });
    });
  });
}

describe('example scripts against a started system', () => {
  it('union.ts: stats, enroll, find, transfer, history, pages, streamed export', async () => {
    const { summary, lines } = await runExample('union');
    expect(summary).toMatchObject({ example: 'union', found: 1, history: ['ENROLLED', 'TRANSFERRED'] });
    expect(summary.enrolledCard).toMatch(/^GD\d{4}9\d{7}$/);
    expect(summary.exportedRows).toBeGreaterThan(10);
    expect(summary.listed).toBeGreaterThan(10);
    expect(lines[0]).toMatch(/^天河区总工会: \d+ members/);
  });

  it('hospital.ts: QR code, verify, quote, apply (idempotent), reconcile, void', async () => {
    const { summary } = await runExample('hospital');
    expect(summary).toMatchObject({ example: 'hospital', idempotentRetry: true, voided: 'VOIDED' });
    expect(summary.discountFen).toBeGreaterThan(0);
    expect(summary.claimsToday).toBeGreaterThanOrEqual(1);
  });

  it('travel-partner.ts: claim, validate, redeem (idempotent), reconcile, cancel', async () => {
    const { summary } = await runExample('travel-partner');
    expect(summary).toMatchObject({ example: 'travel-partner', idempotentRetry: true, cancelled: 'CANCELLED', voucherAfterCancel: 'ISSUED' });
    expect(summary.discountFen).toBe(2000);
  });

  it('runs again on the same data (nothing in them assumes a fresh system)', async () => {
    await expect(runExample('union')).resolves.toMatchObject({ status: 0 });
    await expect(runExample('hospital')).resolves.toMatchObject({ status: 0 });
    await expect(runExample('travel-partner')).resolves.toMatchObject({ status: 0 });
  });
});
