import { ConfigError } from '@union/common';
import { loadBenefitConfig, migrateBenefit } from '@union/benefit-subgraph';
import { loadEventsConfig, migrateEvents } from '@union/events-subgraph';
import { loadGatewayConfig, migrateGateway } from '@union/gateway';
import { loadMemberConfig, migrateMember } from '@union/member-subgraph';
import { loadPointsConfig, migratePoints } from '@union/points-subgraph';

/**
 * `node scripts/dist/migrate.js` (npm run migrate): every service's pending migrations, one
 * service after another, in one process, with each service's own configuration from the
 * environment. The one-shot migrate container of docker-compose runs it directly (no npm, no tsc).
 */
const steps: Array<[string, () => Promise<string[]>]> = [
  ['member', () => migrateMember(loadMemberConfig())],
  ['benefit', () => migrateBenefit(loadBenefitConfig())],
  ['points', () => migratePoints(loadPointsConfig())],
  ['events', () => migrateEvents(loadEventsConfig())],
  ['gateway', () => migrateGateway(loadGatewayConfig())],
];

async function main(): Promise<void> {
  for (const [name, run] of steps) {
    const applied = await run();
    console.log(`${name}: ${applied.length} migration(s) applied`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`migration failed: ${error instanceof ConfigError ? error.message : ((error as Error)?.stack ?? String(error))}`);
    process.exit(1);
  });
}
