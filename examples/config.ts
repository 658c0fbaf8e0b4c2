import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientCredentials } from '../clients/typescript/src';

/**
 * Where the examples find the gateway and their credentials: the environment (a real partner's
 * own client id and secret), else the demo credentials that `npm start` writes to
 * .data/demo-credentials.json (or the file named by UNION_CREDENTIALS_FILE).
 */
export interface DemoCredentialsFile {
  gatewayUrl: string;
  tokenUrl: string;
  partners: Record<string, { id: string; clientId: string; clientSecret: string; organizationId?: string }>;
  members: Array<{ id: string; cardNumber: string; fullName: string; organizationId: string }>;
}

export function readDemoCredentials(
  file = process.env.UNION_CREDENTIALS_FILE ?? join(process.cwd(), '.data', 'demo-credentials.json'),
): DemoCredentialsFile | null {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DemoCredentialsFile) : null;
}

/** The partner's credentials: UNION_CLIENT_ID / UNION_CLIENT_SECRET / UNION_GATEWAY_URL / UNION_TOKEN_URL win over the demo file. */
export function partnerCredentials(demoKey: string, demo: DemoCredentialsFile | null): ClientCredentials & { organizationId?: string } {
  const partner = demo?.partners[demoKey];
  const gatewayUrl = process.env.UNION_GATEWAY_URL ?? demo?.gatewayUrl ?? 'http://localhost:4000/graphql';
  const clientId = process.env.UNION_CLIENT_ID ?? partner?.clientId;
  const clientSecret = process.env.UNION_CLIENT_SECRET ?? partner?.clientSecret;
  if (!clientId || !clientSecret) {
    throw new Error(`no credentials: set UNION_CLIENT_ID and UNION_CLIENT_SECRET, or run "npm start" so that .data/demo-credentials.json exists`);
  }
  return {
    gatewayUrl,
    tokenUrl: process.env.UNION_TOKEN_URL ?? demo?.tokenUrl ?? gatewayUrl.replace(/\/graphql$/, '/oauth/token'),
    clientId,
    clientSecret,
    organizationId: process.env.UNION_ORGANIZATION_ID ?? partner?.organizationId,
  };
}

/** Runs an example from the command line: prints its steps, then its summary as one JSON line. */
export function runMain(run: () => Promise<unknown>): void {
  run()
    .then((summary) => console.log(JSON.stringify(summary)))
    .catch((error: unknown) => {
      console.error(`failed: ${(error as Error).message}`);
      process.exit(1);
    });
}
