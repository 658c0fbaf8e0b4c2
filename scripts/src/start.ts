import { startupFailureLine } from '@union/common';
import { launchSystem } from './system';

/**
 * `npm start`: the whole system on the embedded default (or DATABASE_URL), with fixed ports
 * (GATEWAY_PORT, MEMBER_PORT, BENEFIT_PORT, POINTS_PORT, EVENTS_PORT, EMBEDDED_PG_PORT) so the README's curl works.
 */
async function main(): Promise<void> {
  const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  const system = await launchSystem({
    databaseUrl: process.env.DATABASE_URL,
    persist: true,
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
    log: (line) => console.log(line),
  });
  const { credentials } = system;
  const member = credentials.members[0];
  console.log(`
Union benefits API is up.
  GraphQL:  ${credentials.gatewayUrl}
  Tokens:   ${credentials.tokenUrl}
  Database: ${system.databaseUrl.replace(/:[^:@/]+@/, ':***@')}
Demo partners (client id / secret), also in .data/demo-credentials.json:
${Object.entries(credentials.partners)
  .map(([key, p]) => `  ${key.padEnd(22)} ${p.clientId}  ${p.clientSecret}`)
  .join('\n')}
Try:
  TOKEN=$(curl -s -u ${credentials.partners.districtUnion?.clientId}:${credentials.partners.districtUnion?.clientSecret} -d grant_type=client_credentials ${credentials.tokenUrl} | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')
  curl -s ${credentials.gatewayUrl} -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"query":"{ member(id: \\"${member?.id}\\") { displayName organization { name parent { name } } points { balance } vouchers { totalCount } } }"}'
Press Ctrl-C to stop.`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping ...');
    system.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(startupFailureLine(error));
  process.exit(1);
});
