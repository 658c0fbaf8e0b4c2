import './tracing';
import 'reflect-metadata';
import { launchSubgraph, runServiceMain, type RunningSubgraph } from '@union/common';
import { loadMemberConfig, type MemberConfig } from './config';
import { createMemberContext } from './context';
import { memberDataSource } from './data-source';
import { memberInternalRoutes } from './internal-routes';
import { memberStreamRoutes } from './modules/export/export.route';
import { memberUploadRoutes } from './modules/import/import.route';
import { buildMemberSchema } from './schema';

export function startMemberSubgraph(config: MemberConfig, options: { log?: (line: string) => void } = {}): Promise<RunningSubgraph> {
  return launchSubgraph({
    name: 'member',
    dataSource: (counter) => memberDataSource(config, counter),
    buildSchema: buildMemberSchema,
    config,
    createContext: (db, principal, requestId) => createMemberContext(db, config, principal, requestId),
    internalRoutes: memberInternalRoutes,
    streamRoutes: (db) => memberStreamRoutes(db, config),
    uploadRoutes: (db) => memberUploadRoutes(db, config),
    eventOutbox: true,
    log: options.log,
  });
}

export { buildMemberSchema, loadMemberConfig, memberDataSource };

export { migrateMember } from './migrate';
export { residentIdCheckDigit } from './modules/enrollment/resident-id';
export { demoWorld, generateDemoData, seedMemberDemo } from './seed';

if (require.main === module) runServiceMain('member subgraph', () => startMemberSubgraph(loadMemberConfig()));
