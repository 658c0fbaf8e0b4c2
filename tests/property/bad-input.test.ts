import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  getNamedType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
} from 'graphql';
import { Client } from 'pg';
import { ErrorCodes, ID_MAX_LENGTH, DEFAULT_INT_MAX, DEFAULT_STRING_MAX_LENGTH, statedMaximum } from '@union/common';
import { readScopeRequirements } from '../../gateway/src/authorization';
import { supergraphSchema } from '../../gateway/src/supergraph';
import { memberToken, partnerToken } from '../testkit/client';
import { startSystem, type RunningSystem } from '../testkit/system';

/**
 * Issue 10, item 5, as a property: for every query and mutation with arguments, a bad value in
 * any one of its String, ID, Int, DateTime or Date inputs (in a variable or a literal, at the top
 * or deep in an input object), sent through the gateway of a started system by a caller that holds
 * the operation's scopes, gets a contract code (never INTERNAL_SERVER_ERROR), HTTP status below
 * 500, no stack trace, and changes no row of any table.
 */

const published = readFileSync(join(__dirname, '..', '..', 'schema', 'supergraph.graphql'), 'utf8');
const api = supergraphSchema(published);
const requirements = readScopeRequirements(published);
const CONTRACT_CODES = new Set<string>(ErrorCodes.filter((code) => code !== 'INTERNAL_SERVER_ERROR'));
const NUM_RUNS = Number(process.env.BAD_INPUT_RUNS ?? 400);

interface Operation {
  root: 'query' | 'mutation';
  field: GraphQLField<unknown, unknown>;
}
interface Slot {
  /** Argument name, then input field names (and 0 for a list item). */
  path: Array<string | number>;
  scalar: 'String' | 'ID' | 'Int' | 'DateTime' | 'Date';
  max: number;
}
type Bad = { value: unknown; refusedAtGateway: boolean; kind: string };

const operations: Operation[] = [
  ...Object.values(api.getQueryType()!.getFields()).map((field) => ({ root: 'query' as const, field })),
  ...Object.values(api.getMutationType()!.getFields()).map((field) => ({ root: 'mutation' as const, field })),
].filter(({ field }) => field.args.length > 0);

const ABSENT_ID = '00000000-0000-4000-8000-0000000000ff';

/** A well-formed value of a type: ids that do not exist, so no operation finds anything to change. */
function baseline(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return baseline(type.ofType);
  if (isListType(type)) return [baseline(type.ofType)];
  if (isInputObjectType(type)) return Object.fromEntries(Object.values(type.getFields()).map((f) => [f.name, baseline(f.type)]));
  if (isEnumType(type)) return type.getValues()[0].value;
  switch (type.name) {
    case 'ID':
      return ABSENT_ID;
    case 'String':
      return 'x';
    case 'Int':
      return 1;
    case 'Float':
      return 1;
    case 'Boolean':
      return false;
    case 'DateTime':
      return '2026-01-01T00:00:00+08:00';
    case 'Date':
      return '2026-01-01';
    default:
      return null;
  }
}

function slotsOf(type: GraphQLInputType, path: Array<string | number>, description: string | null | undefined, into: Slot[]): void {
  if (isNonNullType(type)) return slotsOf(type.ofType, path, description, into);
  if (isListType(type)) return slotsOf(type.ofType, [...path, 0], description, into);
  if (isInputObjectType(type)) {
    for (const field of Object.values(type.getFields())) slotsOf(field.type, [...path, field.name], field.description, into);
    return;
  }
  const name = getNamedType(type).name;
  if (name === 'String') into.push({ path, scalar: 'String', max: statedMaximum(description, 'String') ?? DEFAULT_STRING_MAX_LENGTH });
  if (name === 'ID') into.push({ path, scalar: 'ID', max: ID_MAX_LENGTH });
  if (name === 'Int') into.push({ path, scalar: 'Int', max: statedMaximum(description, 'Int') ?? DEFAULT_INT_MAX });
  if (name === 'DateTime' || name === 'Date') into.push({ path, scalar: name, max: 0 });
}

const slots = new Map(
  operations.map((op) => {
    const found: Slot[] = [];
    for (const arg of op.field.args) slotsOf(arg.type, [arg.name], arg.description, found);
    return [op, found] as const;
  }),
);

const CONTROL = ['\u0000', '\u0001', '\u0007', '\u0008', '\u000b', '\u001b', '\u007f', '\u0085', '\u009f'];
const text = fc.string({ maxLength: 12 });
const withControl = fc
  .tuple(text, fc.constantFrom(...CONTROL), text)
  .map(([a, c, b]) => ({ value: `${a}${c}${b}`, refusedAtGateway: true, kind: 'control character' }));
const withLoneSurrogate = fc
  .tuple(text, fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff'), text)
  .filter(([a, , b]) => !/[\ud800-\udbff]$/.test(a) && !/^[\udc00-\udfff]/.test(b))
  .map(([a, s, b]) => ({ value: `${a}${s}${b}`, refusedAtGateway: true, kind: 'lone surrogate' }));
const overLong = (max: number) =>
  fc
    .tuple(fc.integer({ min: max + 1, max: max + 64 }), fc.constantFrom('a', '工', '𠀀'))
    .map(([n, c]) => ({ value: c.repeat(n), refusedAtGateway: true, kind: 'too long' }));
const BAD_DATE_TIMES = [
  '2026-11-01',
  '2026-11-01T00:00:00',
  '2026-02-30T00:00:00+08:00',
  '2026-13-01T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '1899-12-31T23:59:59Z',
  '+275760-09-13T00:00:00Z',
  '10000-01-01T00:00:00Z',
  '2026-01-01T25:00:00Z',
  '2026-01-01T00:00:00+99:00',
  'now',
  '',
];
const BAD_DATES = ['2026-02-30', '2026-1-1', '0000-01-01', '1899-12-31', '2026-01-01T00:00:00Z', '20260101', 'today', ''];
const WEIRD_IDS = ['not-a-uuid', "' OR '1'='1", '../../etc/passwd', '00000000-0000-0000-0000-00000000000G', '%', '_', '-1', '9'.repeat(40), ' '];

function badValue(slot: Slot): fc.Arbitrary<Bad> {
  switch (slot.scalar) {
    case 'String':
      return fc.oneof(withControl, withLoneSurrogate, overLong(slot.max));
    case 'ID':
      return fc.oneof(
        withControl,
        withLoneSurrogate,
        overLong(slot.max),
        fc.constantFrom(...WEIRD_IDS).map((value) => ({ value, refusedAtGateway: false, kind: 'malformed id' })),
      );
    case 'Int':
      return fc.oneof(
        fc.integer({ min: slot.max + 1, max: 2_147_483_647 }).map((value) => ({ value, refusedAtGateway: true, kind: 'over the bound' })),
        fc.constantFrom(2_147_483_648, 1e15, 1.5, '12', true).map((value) => ({ value, refusedAtGateway: true, kind: 'not an Int' })),
        fc.integer({ min: -2_147_483_648, max: -1 }).map((value) => ({ value, refusedAtGateway: false, kind: 'negative' })),
      );
    case 'DateTime':
      return fc
        .oneof(
          fc.constantFrom(...BAD_DATE_TIMES),
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 19)),
          fc.string({ maxLength: 30 }).filter((s) => !/^\d{4}-\d{2}-\d{2}T/.test(s)),
        )
        .map((value) => ({ value, refusedAtGateway: true, kind: 'bad DateTime' }));
    case 'Date':
      return fc
        .oneof(
          fc.constantFrom(...BAD_DATES),
          fc.string({ maxLength: 12 }).filter((s) => !/^\d{4}-\d{2}-\d{2}$/.test(s)),
        )
        .map((value) => ({ value, refusedAtGateway: true, kind: 'bad Date' }));
  }
}

function setAt(target: Record<string | number, unknown>, path: Array<string | number>, value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]] = value;
}

/** A GraphQL literal of a value as it is (a bad value stays bad: no coercion to the type), enum values bare. */
function literalOf(value: unknown, type: GraphQLInputType | undefined): string {
  const named = type ? getNamedType(type) : undefined;
  const inner = type && isNonNullType(type) ? type.ofType : type;
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map((item) => literalOf(item, inner && isListType(inner) ? inner.ofType : undefined)).join(', ')}]`;
  if (typeof value === 'object') {
    const fields = named && isInputObjectType(named) ? named.getFields() : {};
    return `{ ${Object.entries(value as Record<string, unknown>)
      .map(([key, item]) => `${key}: ${literalOf(item, fields[key]?.type)}`)
      .join(', ')} }`;
  }
  if (typeof value === 'string' && named && isEnumType(named)) return value;
  // JSON's string escapes are GraphQL's (a lone surrogate becomes \ud800, which GraphQL refuses to parse).
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** The operation text, with the values as literals or as variables. */
function request(op: Operation, args: Record<string, unknown>, literal: boolean): { query: string; variables?: Record<string, unknown> } {
  const named = getNamedType(op.field.type);
  const selection = isCompositeType(named) ? ' { __typename }' : '';
  if (literal) {
    const printed = op.field.args.map((arg: GraphQLArgument) => `${arg.name}: ${literalOf(args[arg.name], arg.type)}`);
    return { query: `${op.root} { ${op.field.name}(${printed.join(', ')})${selection} }` };
  }
  const definitions = op.field.args.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(', ');
  const uses = op.field.args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
  return { query: `${op.root} Probe(${definitions}) { ${op.field.name}(${uses})${selection} }`, variables: args };
}

let system: RunningSystem;
let sql: Client;
const callers: Array<{ name: string; token: string; scopes: Set<string> }> = [];

function callerFor(op: Operation) {
  const alternatives = requirements.get(`${op.root === 'query' ? 'Query' : 'Mutation'}.${op.field.name}`);
  if (!alternatives) return callers[0];
  return callers.find((c) => alternatives.some((set) => set.every((scope) => c.scopes.has(scope)))) ?? callers[0];
}

/** Row count and a checksum of every table of every service. */
async function snapshot(): Promise<Record<string, string>> {
  const { rows: tables } = await sql.query<{ schema: string; name: string }>(
    `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
      WHERE table_schema IN ('member', 'benefit', 'points', 'gateway') AND table_type = 'BASE TABLE' ORDER BY 1, 2`,
  );
  const result: Record<string, string> = {};
  for (const { schema, name } of tables) {
    const { rows } = await sql.query<{ n: number; sum: string }>(
      `SELECT count(*)::int AS n, coalesce(md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))), '') AS sum FROM "${schema}"."${name}" t`,
    );
    result[`${schema}.${name}`] = `${rows[0].n}:${rows[0].sum}`;
  }
  return result;
}

beforeAll(async () => {
  // A budget no run can spend: the property is about input handling, not the rate limit.
  system = await startSystem({ env: { RATE_LIMIT_PER_MINUTE: '100000000' } });
  sql = new Client({ connectionString: system.databaseUrl });
  await sql.connect();
  const scopesOf = (token: string) => new Set<string>(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')).scope.split(' '));
  for (const partner of ['districtUnion', 'platform', 'hospital', 'travelPartner'] as const) {
    const token = await partnerToken(system, partner);
    callers.push({ name: partner, token, scopes: scopesOf(token) });
  }
  const member = await memberToken(system, system.credentials.members[0].id);
  callers.push({ name: 'member', token: member, scopes: scopesOf(member) });
}, 300_000);
afterAll(async () => {
  await sql?.end();
  await system?.stop();
});

test('every operation with arguments has a slot a bad value can go in', () => {
  expect(operations.length).toBeGreaterThan(25);
  expect(operations.filter((op) => slots.get(op)!.length === 0).map((op) => op.field.name)).toEqual([]);
});

test(`bad values in every argument of every operation (${NUM_RUNS} runs): a contract code, < 500, no stack, no row changed`, async () => {
  const before = await snapshot();
  const tally = new Map<string, { tried: number; held: number }>();
  const arbitrary = fc
    .constantFrom(...operations)
    .chain((op) => fc.tuple(fc.constant(op), fc.constantFrom(...slots.get(op)!), fc.boolean()))
    .chain(([op, slot, literal]) => badValue(slot).map((bad) => ({ op, slot, literal, bad })));

  await fc.assert(
    fc.asyncProperty(arbitrary, async ({ op, slot, literal, bad }) => {
      const args = Object.fromEntries(op.field.args.map((arg) => [arg.name, baseline(arg.type)]));
      setAt(args, slot.path, bad.value);
      const body = request(op, args, literal);
      const caller = callerFor(op);
      const response = await fetch(system.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${caller.token}` },
        body: JSON.stringify(body),
      });
      const raw = await response.text();
      const count = tally.get(bad.kind) ?? { tried: 0, held: 0 };
      count.tried += 1;
      tally.set(bad.kind, count);
      const what = `${op.field.name} ${slot.path.join('.')} = ${JSON.stringify(bad.value).slice(0, 80)} (${bad.kind}, ${literal ? 'literal' : 'variable'}, ${caller.name}): HTTP ${response.status} ${raw.slice(0, 400)}`;
      expect({ what, status: response.status < 500 }).toEqual({ what, status: true });
      expect({ what, stack: /stacktrace|\n\s+at |\.ts:\d+|\.js:\d+/.test(raw) }).toEqual({ what, stack: false });
      const parsed = JSON.parse(raw) as { errors?: Array<{ extensions?: { code?: string } }> };
      const codes = (parsed.errors ?? []).map((e) => String(e.extensions?.code));
      expect({ what, foreign: codes.filter((code) => !CONTRACT_CODES.has(code)) }).toEqual({ what, foreign: [] });
      if (bad.refusedAtGateway) expect({ what, status: response.status, codes }).toEqual({ what, status: 400, codes: ['BAD_USER_INPUT'] });
      count.held += 1;
    }),
    { numRuns: NUM_RUNS },
  );

  expect(await snapshot()).toEqual(before);
  // The figures docs/reliability.md quotes.
  console.log(`bad-input property: ${JSON.stringify(Object.fromEntries(tally))}`);
}, 600_000);

test('the two classic mistakes of the issue, through the gateway', async () => {
  const hospital = callers.find((c) => c.name === 'hospital')!;
  const claims = await fetch(system.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${hospital.token}` },
    body: JSON.stringify({ query: `{ discountClaims(from: "2026-11-01", to: "2026-12-01T00:00:00+08:00") { totalCount } }` }),
  });
  expect(claims.status).toBe(400);
  expect(await claims.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT', argument: 'from' } }] });
  const twoOperations = await fetch(system.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${hospital.token}` },
    body: JSON.stringify({ query: `query A { viewer { id } } query B { viewer { kind } }` }),
  });
  expect(twoOperations.status).toBe(400);
  expect(await twoOperations.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT' } }] });
});
