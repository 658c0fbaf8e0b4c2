import { launchSystem, type LaunchedSystem, type LaunchOptions } from '../../scripts/src/system';
import { createTestDatabase } from './database';

export type RunningSystem = LaunchedSystem;

/**
 * The whole system for one test file: a fresh database on the test PostgreSQL, migrations, the
 * demo seed, and the real subgraph and gateway processes (compiled: `npm test` builds first) on
 * free loopback ports. Service logs are kept quiet unless UNION_TEST_LOGS=1.
 */
export async function startSystem(options: Omit<LaunchOptions, 'databaseUrl' | 'persist'> = {}): Promise<RunningSystem> {
  const database = await createTestDatabase('system');
  const verbose = process.env.UNION_TEST_LOGS === '1';
  try {
    const system = await launchSystem({
      ...options,
      databaseUrl: database.url,
      persist: false,
      log: options.log ?? (verbose ? (line) => console.log(line) : () => {}),
    });
    return {
      ...system,
      async stop() {
        await system.stop();
        await database.drop();
      },
    };
  } catch (error) {
    await database.drop();
    throw error;
  }
}
