import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { residentIdCheckDigit } from '@union/member-subgraph';
import { Client } from 'pg';
import { requestDemoPartnerToken } from '../partner-token';
import type { LaunchedSystem } from '../system';
import { runBench, withThrowawaySystem } from './load';

/**
 * Bulk member import (not a test): `node scripts/dist/bench/import.js`. Starts the whole system on
 * a throw-away embedded PostgreSQL, writes a BENCH_IMPORT_ROWS-row CSV (default 100,000) with valid
 * resident ID numbers, and sends it through the gateway's POST /imports/members as the district
 * union: a dry run, the real run, and the same file again (idempotent: creates nothing). Prints
 * rows/s and the peak resident memory of the member subgraph and the gateway while each runs.
 */

const rows = Number(process.env.BENCH_IMPORT_ROWS ?? 100_000);
const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗';
const GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红';

/** A distinct valid resident ID for each i: birth dates from 1970 on, 1,000 sequence numbers a day. */
function residentId(i: number): string {
  const birth = new Date(Date.UTC(1970, 0, 1) + Math.floor(i / 1000) * 86_400_000);
  const date = `${birth.getUTCFullYear()}${String(birth.getUTCMonth() + 1).padStart(2, '0')}${String(birth.getUTCDate()).padStart(2, '0')}`;
  const first17 = `440183${date}${String(i % 1000).padStart(3, '0')}`;
  return first17 + residentIdCheckDigit(first17);
}

async function writeCsv(path: string): Promise<number> {
  const out = createWriteStream(path);
  out.write('fullName,idNumber,phone,newEmploymentForm\r\n');
  for (let i = 0; i < rows; i++) {
    const name = SURNAMES[i % SURNAMES.length]! + GIVEN[(i * 7) % GIVEN.length]! + GIVEN[(i * 13) % GIVEN.length]!;
    const line = `${name},${residentId(i)},13${String(i).padStart(9, '0')},${i % 3 === 0}\r\n`;
    if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
  return statSync(path).size;
}

/** Resident set sizes (KiB) of this process's child services, by name. */
function serviceMemory(): Record<string, number> {
  const out = execFileSync('ps', ['-o', 'pid=,rss=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  const rss: Record<string, number> = {};
  for (const line of out.trim().split('\n')) {
    const match = /^\s*\d+\s+(\d+)\s+(.*)$/.exec(line);
    const name = match && (/subgraphs\/(\w+)\/dist/.exec(match[2]!)?.[1] ?? (/gateway\/dist/.test(match[2]!) ? 'gateway' : null));
    if (match && name) rss[name] = Number(match[1]);
  }
  return rss;
}

/** POSTs the file (streamed from disk) and answers the status and the JSON summary. */
function upload(
  system: LaunchedSystem,
  token: string,
  path: string,
  organizationId: string,
  dryRun: boolean,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const url = new URL(`/imports/members?organizationId=${organizationId}&dryRun=${dryRun}`, system.baseUrl);
    const req = request(
      url,
      { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv', 'content-length': statSync(path).size } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    createReadStream(path).pipe(req);
  });
}

async function main(): Promise<void> {
  await withThrowawaySystem('import', { env: { RATE_LIMIT_PER_MINUTE: '100000000' } }, async (system, dataDir) => {
    const file = join(dataDir, 'members.csv');
    const bytes = await writeCsv(file);
    console.log(`import bench: ${rows.toLocaleString('en')} rows, ${(bytes / 1024 / 1024).toFixed(1)} MiB CSV`);
    const tokenAnswer = await requestDemoPartnerToken(system.credentials, 'districtUnion');
    const token = tokenAnswer.body.access_token as string;
    const organizationId = system.credentials.partners.districtUnion.organizationId!;
    const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;

    for (const [label, dryRun] of [
      ['dry run', true],
      ['import', false],
      ['same file again', false],
    ] as const) {
      const before = serviceMemory();
      const peak = { ...before };
      const sampler = setInterval(() => {
        for (const [name, kib] of Object.entries(serviceMemory())) peak[name] = Math.max(peak[name] ?? 0, kib);
      }, 100);
      const started = performance.now();
      const answer = await upload(system, token, file, organizationId, dryRun);
      const seconds = (performance.now() - started) / 1000;
      clearInterval(sampler);
      if (answer.status !== 200) throw new Error(`import answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 500)}`);
      const { totalRows, created, alreadyMembers, rejected } = answer.body as {
        totalRows: number;
        created: number;
        alreadyMembers: number;
        rejected: unknown[];
      };
      console.log(
        `${label.padEnd(16)} ${seconds.toFixed(1).padStart(6)} s  ${Math.round(totalRows / seconds)
          .toLocaleString('en')
          .padStart(8)} rows/s  ` + `created ${created}, already members ${alreadyMembers}, rejected ${rejected.length}`,
      );
      for (const name of ['member', 'gateway'])
        console.log(`  ${name.padEnd(8)} RSS before ${mib(before[name] ?? 0).padStart(8)}, peak ${mib(peak[name] ?? 0).padStart(8)}`);
    }
    const sql = new Client({ connectionString: system.databaseUrl });
    await sql.connect();
    const drift = await sql.query(`
      WITH recount AS (SELECT o.id, count(m.id) AS n FROM member.organizations o LEFT JOIN member.members m
                          ON m.org_path >= o.path AND m.org_path < left(o.path, -1) || '0' GROUP BY o.id)
      SELECT count(*) AS n FROM recount r LEFT JOIN member.organization_stats s ON s.organization_id = r.id WHERE coalesce(s.member_count, 0) <> r.n`);
    console.log(`organizations whose subtree counter differs from a recount: ${drift.rows[0].n}`);
    await sql.end();
  });
}

runBench(main);
