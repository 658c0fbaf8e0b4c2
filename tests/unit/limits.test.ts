import { join } from 'node:path';
import { analyzeOperation, type QueryLimits } from '../../gateway/src/limits';
import { readSupergraph, supergraphSchema } from '../../gateway/src/supergraph';

const schema = supergraphSchema(readSupergraph(join(__dirname, '..', '..', 'schema', 'supergraph.graphql')));

const LIMITS: QueryLimits = {
  maxDocumentBytes: 32 * 1024,
  maxTokens: 10_000,
  maxDepth: 15,
  maxAliases: 50,
  maxRootFields: 20,
  maxCost: 5_000,
  mutationFieldCost: 10,
};

const analyze = (query: string, variables: Record<string, unknown> = {}, limits: Partial<QueryLimits> = {}, operationName?: string) =>
  analyzeOperation(schema, query, operationName, variables, { ...LIMITS, ...limits });

function tooComplex(query: string, limits: Partial<QueryLimits> = {}, variables: Record<string, unknown> = {}) {
  try {
    analyze(query, variables, limits);
  } catch (error) {
    return (error as { extensions: Record<string, unknown> }).extensions;
  }
  throw new Error('expected QUERY_TOO_COMPLEX');
}

describe('operation cost', () => {
  it('charges 1 per object field, nothing for scalars', () => {
    expect(analyze('{ viewer { id kind scopes organization { id name } } }')!.cost).toBe(2);
    expect(analyze('{ __typename }')!.cost).toBe(1);
  });

  it('multiplies the nodes of a connection by its `first`, nested connections multiplicatively', () => {
    const query = `query ($org: ID!) { organization(id: $org) {
      members(first: 50) { totalCount pageInfo { hasNextPage } nodes { id vouchers(first: 10) { nodes { batch { name } } } } }
    } }`;
    // organization 1 + members (1 + pageInfo 1 + 50 × nodes (1 + vouchers (1 + 10 × nodes (1 + batch 1))))
    expect(analyze(query, { org: 'x' })!.cost).toBe(1 + 1 + 1 + 50 * (1 + (1 + 10 * (1 + 1))));
  });

  it('charges a connection without `first` for the contract default of 20, and `first` from variables', () => {
    const query = 'query ($n: Int) { organization(id: "x") { children(first: $n) { nodes { id } } } }';
    expect(analyze(query, {})!.cost).toBe(1 + 1 + 20);
    expect(analyze(query, { n: 5 })!.cost).toBe(1 + 1 + 5);
    expect(analyze('{ organization(id: "x") { children { nodes { id } } } }')!.cost).toBe(22);
    // The contract refuses first > 100 anyway, so nothing is charged for more.
    expect(analyze(query, { n: 1_000_000 })!.cost).toBe(1 + 1 + 100);
  });

  it("charges a `first` the request leaves out at the operation's default for that variable", () => {
    const query = 'query ($n: Int = 100) { organization(id: "x") { children(first: $n) { nodes { id } } } }';
    expect(analyze(query, {})!.cost).toBe(1 + 1 + 100);
    expect(analyze(query, { n: 5 })!.cost).toBe(1 + 1 + 5);
    // Two nested lists of 100 through a default: the same 10,202 as written out, and refused.
    const nested = `query ($n: Int = 100) { organization(id: "x") { members(first: $n) { nodes { vouchers(first: $n) { nodes { id } } } } } }`;
    expect(tooComplex(nested)).toMatchObject({ limit: 'cost', value: 1 + 1 + 100 * (1 + 1 + 100) });
    // A variable named like an Object.prototype member is only a variable.
    expect(analyze('query ($constructor: Int) { organization(id: "x") { children(first: $constructor) { nodes { id } } } }', {})!.cost).toBe(22);
  });

  it('charges every top-level mutation field, aliases included', () => {
    const one = 'mutation { verifyMemberCard(token: "x", purpose: HOSPITAL_DISCOUNT) { valid } }';
    expect(analyze(one)!.cost).toBe(10);
    const many = `mutation { ${Array.from({ length: 15 }, (_, i) => `v${i}: verifyMemberCard(token: "t${i}", purpose: HOSPITAL_DISCOUNT) { valid }`).join(' ')} }`;
    expect(analyze(many)!.cost).toBe(150);
  });

  it('expands fragments where they are spread, and refuses a cost over the limit', () => {
    const query = `query { organization(id: "x") { ...Deep } }
      fragment Deep on UnionOrganization { members(first: 100) { nodes { vouchers(first: 100) { nodes { id } } } } }`;
    const extensions = tooComplex(query);
    expect(extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'cost', max: 5000 });
    expect(extensions.value).toBe(1 + 1 + 100 * (1 + 1 + 100));
  });

  it('measures a document of nested fragment spreads in linear time', () => {
    // Each fragment spreads the previous one twice: expanded, this is 2^40 fields.
    const fragments = Array.from({ length: 40 }, (_, i) =>
      i === 0 ? 'fragment F0 on Viewer { id }' : `fragment F${i} on Viewer { ...F${i - 1} ...F${i - 1} }`,
    ).join('\n');
    const started = Date.now();
    expect(analyze(`{ viewer { ...F39 } } ${fragments}`)!.depth).toBe(2);
    expect(Date.now() - started).toBeLessThan(500);
  });
});

describe('structural limits', () => {
  it('refuses depth over the limit, counting the root field as 1', () => {
    const nest = (levels: number) => `{ organization(id: "x") { ${'parent { '.repeat(levels - 2)}id${' }'.repeat(levels - 2)} } }`;
    expect(analyze(nest(15))!.depth).toBe(15);
    expect(tooComplex(nest(16))).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'depth', value: 16, max: 15 });
    expect(tooComplex(nest(50))).toMatchObject({ limit: 'depth', value: 50 });
  });

  it('refuses more aliases than the limit, counted in the text', () => {
    const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    expect(analyze(aliased(20))!.aliases).toBe(20);
    expect(tooComplex(aliased(51))).toMatchObject({ limit: 'aliases', value: 51, max: 50 });
  });

  it('refuses more top-level fields than the limit', () => {
    const fields = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `f${i}: viewer { id }`).join(' ')} }`;
    expect(tooComplex(fields(21), { maxAliases: 1000 })).toMatchObject({ limit: 'rootFields', value: 21, max: 20 });
  });

  it('refuses a document over the size limit before parsing it', () => {
    expect(tooComplex(`{ viewer { id } }${' '.repeat(40_000)}`)).toMatchObject({ limit: 'documentSize', max: 32 * 1024 });
  });

  it('refuses a document with more tokens than the parser may read', () => {
    expect(tooComplex(`{ viewer { ${'id '.repeat(300)} } }`, { maxTokens: 200 })).toMatchObject({ limit: 'tokens' });
  });

  it('leaves malformed documents, fragment cycles and unknown operations to Apollo (null)', () => {
    expect(analyze('{ viewer { id }')).toBeNull();
    expect(analyze('{ viewer { ...A } } fragment A on Viewer { ...B } fragment B on Viewer { ...A }')).toBeNull();
    expect(analyze('query A { viewer { id } } query B { viewer { id } }')).toBeNull();
    expect(analyze('query A { viewer { id } } query B { viewer { id } }', {}, {}, 'B')!.operationName).toBe('B');
  });

  it('notices introspection at the top level', () => {
    expect(analyze('{ __schema { types { name } } }')!.introspection).toBe(true);
    expect(analyze('{ __type(name: "Member") { name } }')!.introspection).toBe(true);
    expect(analyze('{ __typename viewer { id } }')!.introspection).toBe(false);
  });

  it('lets the standard introspection query through the depth limit', () => {
    const { getIntrospectionQuery } = jest.requireActual('graphql') as typeof import('graphql');
    expect(analyze(getIntrospectionQuery())!.depth).toBeLessThanOrEqual(15);
  });
});
