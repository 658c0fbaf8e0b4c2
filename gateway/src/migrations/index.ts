import { PartnerRegistry1795364000000 } from './1795364000000-PartnerRegistry';
import { PartnerIntrospectionFlag1795364100000 } from './1795364100000-PartnerIntrospectionFlag';

/** The PostgreSQL schema the gateway owns; its DataSource points search_path here. */
export const GATEWAY_SCHEMA = 'gateway';

/** Every gateway migration, oldest first (TypeORM also sorts them by the timestamp in the name). */
export const gatewayMigrations = [PartnerRegistry1795364000000, PartnerIntrospectionFlag1795364100000];
