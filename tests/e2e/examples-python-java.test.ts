import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSystem, type RunningSystem } from '../testkit/system';

/**
 * The examples for hospitals' and unions' own stacks, run as their developers would run them
 * against a started system, with the credentials file `npm start` writes: examples/python (standard
 * library only) always, examples/java (one file, `java HospitalCounter.java`) where java is installed.
 */

const root = join(__dirname, '..', '..');
const hasJava = spawnSync('java', ['-version'], { encoding: 'utf8' }).status === 0;
let system: RunningSystem;
let dir: string;

beforeAll(async () => {
  system = await startSystem();
  dir = mkdtempSync(join(tmpdir(), 'union-examples-py-'));
  writeFileSync(join(dir, 'demo-credentials.json'), JSON.stringify(system.credentials));
}, 240_000);
afterAll(async () => {
  await system?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs a command in the temporary folder with only PATH and the credentials file; its last line is the JSON summary. */
function runExample(command: string, args: string[], env: Record<string, string> = {}): Promise<{ lines: string[]; summary: Record<string, any> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME ?? dir, UNION_CREDENTIALS_FILE: join(dir, 'demo-credentials.json'), ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (status) => {
      const lines = out.trim().split('\n');
      if (status !== 0) return reject(new Error(`${command} ${args.join(' ')} exited ${status}:\n${out}${err}`));
      resolve({ lines, summary: JSON.parse(lines[lines.length - 1]!) });
    });
  });
}

describe('examples beyond TypeScript, against a started system', () => {
  it('python hospital.py: token, verify a card, apply (idempotent), conflict code, void', async () => {
    const { summary, lines } = await runExample('python3', [join(root, 'examples', 'python', 'hospital.py')]);
    expect(summary).toMatchObject({ example: 'hospital-python', idempotentRetry: true, conflict: 'IDEMPOTENCY_CONFLICT', voided: 'VOIDED' });
    expect(summary.discountFen).toBeGreaterThan(0);
    expect(lines.some((line) => /^verified .*\*.* \(GD\*+\d{4}\)$/.test(line))).toBe(true); // masked for a hospital
  });

  it('python union.py: viewer, stats, keyset pages, streamed export into a file', async () => {
    const { summary } = await runExample('python3', [join(root, 'examples', 'python', 'union.py'), 'export.csv']);
    expect(summary).toMatchObject({ example: 'union-python', organization: '天河区总工会', masked: false, unknownOrganization: null });
    expect(summary.listed).toBeGreaterThan(50);
    expect(summary.pages).toBeGreaterThan(1);
    const csv = readFileSync(join(dir, 'export.csv'), 'utf8').trimEnd().split(/\r?\n/);
    expect(csv.length - 1).toBe(summary.exportedRows);
    expect(summary.exportedRows).toBeGreaterThan(10);
  });

  it('python examples read the gateway from the environment when there is no credentials file', async () => {
    const hospital = system.credentials.partners.hospital;
    const failed = runExample('python3', [join(root, 'examples', 'python', 'hospital.py')], {
      UNION_CREDENTIALS_FILE: join(dir, 'absent.json'),
      UNION_GATEWAY_URL: system.gatewayUrl,
      UNION_CLIENT_ID: hospital.clientId,
      UNION_CLIENT_SECRET: `${hospital.clientSecret}x`,
    });
    // A wrong secret is the token endpoint's invalid_client, reached at the URL from the environment.
    await expect(failed).rejects.toThrow(/invalid_client \(HTTP 401\)/);
  });

  (hasJava ? it : it.skip)(
    'java HospitalCounter.java: the same counter flow with java.net.http',
    async () => {
      const { summary, lines } = await runExample('java', [join(root, 'examples', 'java', 'HospitalCounter.java')]);
      expect(summary).toMatchObject({ example: 'hospital-java', idempotentRetry: true, voided: 'VOIDED' });
      expect(summary.discountFen).toBeGreaterThan(0);
      expect(lines.some((line) => line.startsWith('verified '))).toBe(true);
    },
    180_000,
  );
});
