import 'reflect-metadata';
import { createLogger, openDatabase, startupFailureLine } from '@union/common';
import { loadExpiryJobConfig } from './config';
import { pointsDataSource } from './data-source';
import { runExpiry } from './modules/points/points.expiry';

/**
 * `node subgraphs/points/dist/expire.js`: one expiry run (e.g. from cron at 00:05 Asia/Shanghai on
 * 1 January, or every hour). Safe to run twice or alongside the subgraph's own timer.
 */
const logger = createLogger('points-expiry');

async function main(): Promise<void> {
  const config = loadExpiryJobConfig();
  const db = await openDatabase(pointsDataSource(config), 'points expiry');
  try {
    const result = await runExpiry(db);
    logger.info({ points: result.points, members: result.members }, `points expiry: ${result.points} points expired for ${result.members} members`);
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  logger.fatal(startupFailureLine(error));
  process.exit(1);
});
