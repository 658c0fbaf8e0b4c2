import { join } from 'node:path';
import { startTracing } from '@union/common/dist/tracing';

// First import of index.ts: OpenTelemetry must patch http, pg and graphql before anything loads them.
// Only when this process runs the service (not when a script imports the package for its exports).
if (require.main?.filename === join(__dirname, 'index.js')) startTracing('benefit');
