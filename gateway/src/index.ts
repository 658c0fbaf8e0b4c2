import './tracing';
import { openDatabase, runServiceMain, serviceLogger, type RunningService } from '@union/common';
import { loadGatewayConfig, type GatewayConfig } from './config';
import { gatewayDataSource } from './data-source';
import { startGatewayServer } from './server';

export { composeSupergraph } from './supergraph';
export { loadGatewayConfig, gatewayDataSource };

export async function startGateway(config: GatewayConfig, options: { log?: (line: string) => void } = {}): Promise<RunningService> {
  const db = await openDatabase(gatewayDataSource(config), 'gateway');
  try {
    const running = await startGatewayServer({ config, db, logger: serviceLogger('gateway', options.log) });
    return {
      ...running,
      async stop() {
        await running.stop();
        await db.destroy();
      },
    };
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

export { migrateGateway } from './migrate';
// For the execute-stage benchmark (scripts/src/bench/execute-stage.ts), which runs both paths in-process.
export { internalTokenSigner, startApollo } from './apollo';
export { ParsedDocuments } from './parsed-documents';
export { plannerSupergraph, readSupergraph } from './supergraph';
export { PartnerRegistry, SCOPE_DESCRIPTIONS, SCOPES_BY_KIND } from './auth';

if (require.main === module) runServiceMain('gateway', () => startGateway(loadGatewayConfig()));
