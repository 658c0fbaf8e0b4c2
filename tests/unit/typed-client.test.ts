import { readFileSync } from 'node:fs';
import { GENERATED_FILE, generateClient, readOperationSources, SUPERGRAPH_FILE } from '../../scripts/src/generate-client';

const SCHEMA = `
  "A calendar date."
  scalar Date
  enum Status { ACTIVE LAPSED }
  input Filter { status: Status  since: Date  limit: Int! = 10  tags: [String!] }
  type Org { id: ID!  name: String! }
  type Person { id: ID!  "Full name, or null." name: String  status: Status!  orgs: [Org!]!  boss: Person }
  type Query { people(filter: Filter, first: Int = 20): [Person!]!  person(id: ID!): Person }
  type Mutation { rename(id: ID!, name: String!): Person! }
`;

const generate = (source: string) => generateClient(SCHEMA, [{ file: 'test.graphql', source }]);

describe('typed client generator (scripts/src/generate-client.ts)', () => {
  it('the committed client matches the supergraph and examples/operations (regenerate after changing either)', () => {
    const fresh = generateClient(readFileSync(SUPERGRAPH_FILE, 'utf8'), readOperationSources());
    if (readFileSync(GENERATED_FILE, 'utf8') !== fresh) {
      throw new Error('clients/typescript/src/generated.ts is stale: run `npm run build && node scripts/dist/generate-client.js` and commit it');
    }
  });

  it('derives result types from the selection: nullability, lists, aliases, fragments, @include', () => {
    const out = generate(`
      fragment Who on Person { id name }
      query People($filter: Filter, $withOrgs: Boolean!) {
        people(filter: $filter) { ...Who  kind: __typename  state: status  orgs @include(if: $withOrgs) { name }  boss { id } }
      }`);
    expect(out).toContain('export interface PeopleQuery {\n  people: Array<{\n');
    expect(out).toMatch(/ {4}id: string;/);
    expect(out).toMatch(/\/\*\* Full name, or null. \*\/\n {4}name: string \| null;/);
    expect(out).toContain('    kind: "Person";');
    expect(out).toContain('    state: Status;');
    expect(out).toContain('    orgs?: Array<{\n');
    expect(out).toContain('    boss: {\n      id: string;\n    } | null;');
    expect(out).toContain('export interface PeopleVariables {\n  filter?: Filter | null;\n  withOrgs: boolean;\n}');
    // The fragment travels with the operation that uses it.
    expect(out).toMatch(/export const PeopleDocument = "query People[^"]*fragment Who on Person/);
    expect(out).toContain('export function people(client: GraphQLRequester, variables: PeopleVariables): Promise<PeopleQuery>');
  });

  it('emits the enums and inputs the operations use, inputs with defaults optional, custom scalars in Scalars', () => {
    const out = generate(`query People($filter: Filter) { people(filter: $filter) { id } }`);
    expect(out).toContain('export type Status =\n  | "ACTIVE"\n  | "LAPSED";');
    expect(out).toContain('  status?: Status | null;\n  since?: Scalars["Date"] | null;\n  limit?: number;\n  tags?: Array<string> | null;');
    expect(out).toContain('export interface Scalars {\n  /** Calendar date, YYYY-MM-DD. */\n  Date: string;\n}');
    // Nothing the operation does not reach.
    expect(generate(`query { person(id: "1") { id } }`.replace('query', 'query One'))).not.toContain('export type Status');
  });

  it('refuses operations the schema does not have, unnamed operations, and wrong variable types', () => {
    expect(() => generate(`query Bad { people { id salary } }`)).toThrow(/Cannot query field "salary" on type "Person"/);
    expect(() => generate(`query { people { id } }`)).toThrow(/every operation needs a name/);
    expect(() => generate(`mutation Rename($id: Int!) { rename(id: $id, name: "x") { id } }`)).toThrow(
      /Variable "\$id" of type "Int!" used in position expecting type "ID!"/,
    );
  });
});
