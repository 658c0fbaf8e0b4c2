import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ERROR_CATALOGUE, errorCatalogue, ErrorCodes } from '@union/common';
import { ERRORS_DOC, renderErrorDoc } from '../../scripts/src/error-doc';

/**
 * One catalogue of error codes (packages/common/src/error-catalogue.ts): every code a service can
 * raise is in it and in the contract's list, and docs/errors.md is rendered from it.
 */

const root = join(__dirname, '..', '..');
const contractPath = join(root, '..', 'shared', 'contract', 'partner-api.graphql');

/**
 * The codes listed at the bottom of the contract ("# CODE  meaning", "# A / B / C  where"), plus
 * INTERNAL_SERVER_ERROR: GraphQL's own code for a fault of ours, which the contract's list leaves
 * out and which every GraphQL server answers (with an error id, never details).
 */
function contractCodes(): Set<string> {
  const text = readFileSync(contractPath, 'utf8');
  const list = text.slice(text.indexOf('error codes (extensions.code)'));
  const codes = new Set<string>(['INTERNAL_SERVER_ERROR']);
  for (const line of list.split('\n')) {
    const head = /^#\s+([A-Z][A-Z_]*(?:\s*\/\s*[A-Z][A-Z_]*)*)(?:\s{2,}|$)/.exec(line);
    if (head) for (const code of head[1].split('/')) codes.add(code.trim());
  }
  return codes;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'dist' ? [] : sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

/**
 * Every code literal a service raises with: contractError('X', ...), sendGraphQLError(res, status,
 * 'X', ...), an `extensions.code` written as `code: 'X'`, and `'X' as ErrorCode`.
 */
export function raisedCodes(source: string): string[] {
  const patterns = [
    /contractError\(\s*['"`]([A-Z][A-Z0-9_]*)['"`]/g,
    /sendGraphQLError\([^,()]+,\s*[^,()]+,\s*['"`]([A-Z][A-Z0-9_]*)['"`]/g,
    /\bcode:\s*['"`]([A-Z][A-Z0-9_]*)['"`]/g,
    /['"`]([A-Z][A-Z0-9_]*)['"`]\s+as\s+ErrorCode\b/g,
  ];
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1]));
}

const serviceDirs = [
  join(root, 'gateway', 'src'),
  join(root, 'packages', 'common', 'src'),
  ...readdirSync(join(root, 'subgraphs')).map((name) => join(root, 'subgraphs', name, 'src')),
];
const raised = new Map<string, string[]>();
for (const file of serviceDirs.flatMap(sourceFiles)) {
  if (file.endsWith('error-catalogue.ts')) continue; // describes the codes, raises none
  for (const code of raisedCodes(readFileSync(file, 'utf8'))) raised.set(code, [...(raised.get(code) ?? []), relative(root, file)]);
}

describe('error catalogue', () => {
  it('finds the codes the services raise (the scan is not blind)', () => {
    expect(raisedCodes(`throw contractError('NEW_CODE', 'x'); sendGraphQLError(res, 418, 'TEAPOT', 'm'); ({ extensions: { code: 'THIRD' } })`)).toEqual([
      'NEW_CODE',
      'TEAPOT',
      'THIRD',
    ]);
    for (const code of [
      'UNAUTHENTICATED',
      'FORBIDDEN',
      'RATE_LIMITED',
      'QUERY_TOO_COMPLEX',
      'SOLD_OUT',
      'ANNUAL_CAP_REACHED',
      'DAILY_CAP_REACHED',
      'ALREADY_MEMBER',
    ]) {
      expect(raised.has(code)).toBe(true);
    }
  });

  it('every code a service can raise is in the catalogue and in the contract', () => {
    const contract = contractCodes();
    const unknown = [...raised.entries()]
      .filter(([code]) => !(code in ERROR_CATALOGUE) || !contract.has(code))
      .map(([code, files]) => `${code} (${files.join(', ')})`);
    expect(unknown).toEqual([]);
  });

  it('the catalogue is exactly the contract list and ErrorCodes, each with a status, retry advice and an action', () => {
    const contract = contractCodes();
    expect(contract.size).toBeGreaterThan(20);
    expect(new Set(Object.keys(ERROR_CATALOGUE))).toEqual(contract);
    expect(new Set<string>(ErrorCodes)).toEqual(contract);
    for (const entry of errorCatalogue()) {
      expect(entry.httpStatus).toBeGreaterThanOrEqual(200);
      expect(entry.meaning.length).toBeGreaterThan(10);
      expect(entry.action.length).toBeGreaterThan(10);
    }
    expect(ERROR_CATALOGUE.RATE_LIMITED).toMatchObject({ httpStatus: 429, retryable: true });
    expect(ERROR_CATALOGUE.BAD_USER_INPUT.retryable).toBe(false);
  });

  it('docs/errors.md is the catalogue as rendered now (on failure: npm run errors:doc)', () => {
    expect(readFileSync(ERRORS_DOC, 'utf8')).toBe(renderErrorDoc());
  });
});
