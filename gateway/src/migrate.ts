import { migrateService, runMigrateMain } from '@union/common';
import { loadGatewayConfig, type GatewayConfig } from './config';
import { gatewayDataSource } from './data-source';

export const migrateGateway = (config: Pick<GatewayConfig, 'databaseUrl' | 'dbSchema' | 'poolSize'>) =>
  migrateService(gatewayDataSource(config), config.databaseUrl, config.dbSchema);

if (require.main === module) runMigrateMain('gateway', () => migrateGateway(loadGatewayConfig()));
