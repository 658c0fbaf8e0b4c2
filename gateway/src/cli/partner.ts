import { parseArgs } from 'node:util';
import type { DataSource } from 'typeorm';
import { PartnerRegistry, type Partner } from '../auth/partners';
import { isPartnerKind, PARTNER_KINDS, SCOPES_BY_KIND } from '../auth/scopes';
import { CliError, runCli, type CliIo } from './support';

const USAGE = `Usage: npm run partner -- <command>

  create --name NAME --kind KIND [--scopes a,b] [--organization ORG_ID] [--rate-limit N] [--introspection]
         KIND: ${PARTNER_KINDS.join(' | ')}; scopes default to all the kind may hold;
         UNION partners need --organization.
  list
  rotate-secret PARTNER_ID
  disable PARTNER_ID
  enable PARTNER_ID
  set-rate-limit PARTNER_ID (N | default)
         N: operation cost the partner may spend per minute (docs/access.md); default: RATE_LIMIT_PER_MINUTE
  set-introspection PARTNER_ID (on | off)
         whether the partner may introspect the schema when the gateway runs with NODE_ENV=production

  --json   print machine-readable JSON instead of text

Scopes each kind may hold (and gets by default):
${PARTNER_KINDS.map((kind) => `  ${kind.padEnd(15)} ${SCOPES_BY_KIND[kind].join(' ')}`).join('\n')}

The database is GATEWAY_DATABASE_URL, else DATABASE_URL, else the embedded PostgreSQL of "npm start".
Client secrets are printed once, on create and rotate-secret: store them then.`;

const SECRET_WARNING = 'Store the client secret now: it is not stored in readable form and cannot be shown again.';

function describePartner(partner: Partner): string[] {
  return [
    `id:            ${partner.id}`,
    `name:          ${partner.name}`,
    `kind:          ${partner.kind}`,
    `status:        ${partner.status}${partner.disabledAt ? ` (since ${partner.disabledAt.toISOString()})` : ''}`,
    `client id:     ${partner.clientId}`,
    `scopes:        ${partner.scopes.join(' ')}`,
    ...(partner.organizationId ? [`organization:  ${partner.organizationId}`] : []),
    `rate limit:    ${partner.rateLimitPerMinute ?? 'default'}`,
    `introspection: ${partner.introspectionAllowed ? 'on' : 'off'} (production)`,
  ];
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd(),
  );
}

function requireId(positionals: string[], command: string): string {
  const id = positionals[1];
  if (!id || positionals.length > 2) throw new CliError(`${command} takes exactly one partner id\n\n${USAGE}`);
  return id;
}

/** Runs one command against an open database; returns the exit code. Separate from main() for tests. */
export async function runPartnerCommand(argv: string[], dataSource: DataSource, io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string' },
      kind: { type: 'string' },
      scopes: { type: 'string' },
      organization: { type: 'string' },
      'rate-limit': { type: 'string' },
      introspection: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const registry = new PartnerRegistry(dataSource);
  const json = values.json === true;
  const command = positionals[0];

  switch (command) {
    case 'create': {
      if (!values.name || !values.kind) throw new CliError(`create needs --name and --kind\n\n${USAGE}`);
      const kind = values.kind.toUpperCase();
      if (!isPartnerKind(kind)) throw new CliError(`--kind must be one of ${PARTNER_KINDS.join(', ')}`);
      const scopes = values.scopes?.split(/[\s,]+/).filter((scope) => scope !== '');
      const { partner, clientSecret } = await registry.create({
        name: values.name,
        kind,
        scopes,
        organizationId: values.organization ?? null,
        rateLimitPerMinute: values['rate-limit'] === undefined ? null : parseRateLimit(values['rate-limit']),
        introspectionAllowed: values.introspection === true,
      });
      if (json) {
        io.print(JSON.stringify({ ...partner, clientSecret }, null, 2));
      } else {
        io.print(`Created partner ${partner.name}.`);
        for (const line of describePartner(partner)) io.print(`  ${line}`);
        io.print(`  client secret: ${clientSecret}`);
        io.print(SECRET_WARNING);
      }
      return 0;
    }
    case 'list': {
      const partners = await registry.list();
      if (json) {
        io.print(JSON.stringify(partners, null, 2));
      } else if (partners.length === 0) {
        io.print('No partners yet. Create one with: npm run partner -- create --name NAME --kind KIND');
      } else {
        const header = ['ID', 'KIND', 'STATUS', 'CLIENT ID', 'NAME', 'SCOPES'];
        const rows = partners.map((p) => [p.id, p.kind, p.status, p.clientId, p.name, p.scopes.join(' ')]);
        for (const line of table([header, ...rows])) io.print(line);
      }
      return 0;
    }
    case 'rotate-secret': {
      const id = requireId(positionals, command);
      const clientSecret = await registry.rotateSecret(id);
      if (json) {
        io.print(JSON.stringify({ id, clientSecret }, null, 2));
      } else {
        io.print(`New client secret for partner ${id}: ${clientSecret}`);
        io.print('The old secret no longer works for new tokens; tokens already issued expire on their own.');
        io.print(SECRET_WARNING);
      }
      return 0;
    }
    case 'disable':
    case 'enable': {
      const id = requireId(positionals, command);
      const partner = command === 'disable' ? await registry.disable(id) : await registry.enable(id);
      if (json) io.print(JSON.stringify(partner, null, 2));
      else io.print(`Partner ${partner.name} (${partner.id}) is now ${partner.status}.`);
      if (!json && command === 'disable') {
        io.print('It gets no new tokens; the gateway refuses its tokens already issued within PARTNER_CACHE_SECONDS (15 s by default).');
      }
      return 0;
    }
    case 'set-rate-limit': {
      const [, id, limit, ...rest] = positionals;
      if (!id || !limit || rest.length > 0) throw new CliError(`set-rate-limit takes a partner id and a number (or "default")\n\n${USAGE}`);
      const partner = await registry.setRateLimit(id, limit === 'default' ? null : parseRateLimit(limit));
      if (json) io.print(JSON.stringify(partner, null, 2));
      else io.print(`Partner ${partner.name} (${partner.id}): rate limit ${partner.rateLimitPerMinute ?? 'default'} per minute.`);
      return 0;
    }
    case 'set-introspection': {
      const [, id, setting, ...rest] = positionals;
      if (!id || (setting !== 'on' && setting !== 'off') || rest.length > 0) {
        throw new CliError(`set-introspection takes a partner id and on or off\n\n${USAGE}`);
      }
      const partner = await registry.setIntrospection(id, setting === 'on');
      if (json) io.print(JSON.stringify(partner, null, 2));
      else io.print(`Partner ${partner.name} (${partner.id}): introspection ${partner.introspectionAllowed ? 'on' : 'off'} in production.`);
      return 0;
    }
    case undefined:
    case 'help':
      io.print(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new CliError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

function parseRateLimit(value: string): number {
  const limit = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(limit) || limit <= 0) throw new CliError(`rate limit must be a positive whole number, not "${value}"`);
  return limit;
}

if (require.main === module) runCli({ usage: USAGE, applicationName: 'gateway-partner-cli', command: runPartnerCommand });
