import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { seedDemo } from './seed';

const USAGE = `node scripts/dist/seed-demo.js [--members N] [--out FILE]   (npm run seed:run -- ...)

Seeds the demo world (organizations, members, partners, programs, vouchers, rewards) into a migrated
database, only where it is empty. Reads DATABASE_URL and ID_NUMBER_HMAC_KEY (the same key the member
subgraph runs with). Prints the demo credentials as JSON (or writes them to FILE, mode 0600): partner
secrets are shown only by the run that creates the partners.`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { members: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const databaseUrl = process.env.DATABASE_URL;
  const idNumberHmacKey = process.env.ID_NUMBER_HMAC_KEY;
  const memberCount = values.members === undefined ? undefined : Number(values.members);
  const problems = [
    ...(databaseUrl ? [] : ['DATABASE_URL is not set']),
    ...(idNumberHmacKey && idNumberHmacKey.length >= 32 ? [] : ['ID_NUMBER_HMAC_KEY must be set (at least 32 characters)']),
    ...(memberCount === undefined || (Number.isInteger(memberCount) && memberCount > 0 && memberCount <= 1_000_000) ? [] : ['--members must be 1..1000000']),
  ];
  if (problems.length > 0) throw new Error(`${problems.join('; ')}\n\n${USAGE}`);
  const fixtures = await seedDemo({ databaseUrl: databaseUrl as string, idNumberHmacKey: idNumberHmacKey as string, memberCount });
  const json = `${JSON.stringify(fixtures, null, 2)}\n`;
  if (values.out) writeFileSync(values.out, json, { mode: 0o600 });
  else process.stdout.write(json);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`seed failed: ${(error as Error)?.message ?? String(error)}`);
    process.exit(1);
  });
}
