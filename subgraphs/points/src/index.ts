import 'reflect-metadata';
import { launchSubgraph, runServiceMain, type RunningSubgraph } from '@union/common';
import { type PointsConfig, loadPointsConfig } from './config';
import { createPointsContext } from './context';
import { pointsDataSource } from './data-source';
import { buildPointsSchema } from './schema';

export function startPointsSubgraph(config: PointsConfig, options: { log?: (line: string) => void } = {}): Promise<RunningSubgraph> {
  return launchSubgraph({
    name: 'points',
    dataSource: (counter) => pointsDataSource(config, counter),
    buildSchema: buildPointsSchema,
    config,
    createContext: (db, principal, requestId) => createPointsContext(db, config, principal, requestId),
    log: options.log,
  });
}

export { pointsDataSource, buildPointsSchema, loadPointsConfig };

export { migratePoints } from './migrate';

if (require.main === module) runServiceMain('points subgraph', () => startPointsSubgraph(loadPointsConfig()));
