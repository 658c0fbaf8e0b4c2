import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadGatewayConfig } from '../../gateway/src/config';
import { readSupergraph } from '../../gateway/src/supergraph';
import { ACCESS_DOC, scopeTable, TABLE_END, TABLE_START, withScopeTable } from '../../scripts/src/scope-table';

const doc = readFileSync(ACCESS_DOC, 'utf8');

describe('docs/access.md', () => {
  it('carries the scope table generated from the published supergraph', () => {
    const table = scopeTable(readSupergraph(join(__dirname, '..', '..', 'schema', 'supergraph.graphql')));
    const current = doc.slice(doc.indexOf(TABLE_START) + TABLE_START.length, doc.indexOf(TABLE_END)).trim();
    // On failure: npm run build && node scripts/dist/scope-table.js --write
    expect(current).toBe(table);
    expect(withScopeTable(doc, table)).toBe(doc);
  });

  it('names every partner-facing operation with the scopes the gateway enforces', () => {
    for (const line of [
      '| `Query.organization` | `member:read` | UNION, PLATFORM |',
      '| `Mutation.verifyMemberCard` | `member:verify` | HOSPITAL, TRAVEL_PARTNER, MERCHANT |',
    ]) {
      expect(doc).toContain(line);
    }
  });

  it('documents the limit defaults the gateway actually uses', () => {
    const config = loadGatewayConfig({ INTERNAL_SECRET: 'x'.repeat(32), DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db' });
    const actual: Record<string, number> = {
      MAX_BODY_BYTES: config.maxBodyBytes,
      MAX_DOCUMENT_BYTES: config.limits.maxDocumentBytes,
      MAX_QUERY_TOKENS: config.limits.maxTokens,
      MAX_QUERY_DEPTH: config.limits.maxDepth,
      MAX_QUERY_ALIASES: config.limits.maxAliases,
      MAX_ROOT_FIELDS: config.limits.maxRootFields,
      MAX_QUERY_COST: config.limits.maxCost,
      MUTATION_FIELD_COST: config.limits.mutationFieldCost,
      RATE_LIMIT_PER_MINUTE: config.rateLimit.perMinute,
      FAILED_GUESS_PENALTY: config.rateLimit.failedGuessPenalty,
      PARTNER_CACHE_SECONDS: config.partnerCacheMs / 1000,
      TOKEN_FAILURES_PER_MINUTE: config.tokenFailuresPerMinute,
      TOKEN_FAILURES_PER_ADDRESS_PER_MINUTE: config.tokenFailuresPerAddressPerMinute,
    };
    const documented = Object.fromEntries([...doc.matchAll(/^\| `([A-Z_]+)` \| (\d+) \|/gm)].map((m) => [m[1], Number(m[2])]));
    expect(documented).toEqual(actual);
  });

  it('reads every limit from the environment', () => {
    const config = loadGatewayConfig({
      INTERNAL_SECRET: 'x'.repeat(32),
      DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
      MAX_QUERY_DEPTH: '7',
      MAX_QUERY_COST: '123',
      RATE_LIMIT_PER_MINUTE: '600',
      PARTNER_CACHE_SECONDS: '0.5',
      TOKEN_FAILURES_PER_MINUTE: '0',
    });
    expect(config.limits).toMatchObject({ maxDepth: 7, maxCost: 123 });
    expect(config.rateLimit.perMinute).toBe(600);
    expect(config.partnerCacheMs).toBe(500);
    expect(config.tokenFailuresPerMinute).toBe(0);
    expect(() => loadGatewayConfig({ INTERNAL_SECRET: 'x'.repeat(32), DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db', MAX_QUERY_DEPTH: 'deep' })).toThrow(
      /MAX_QUERY_DEPTH/,
    );
  });
});
