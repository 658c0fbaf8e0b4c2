import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DefinitionNode, Kind, parse, print } from 'graphql';

/**
 * The partner contract (shared/contract/partner-api.graphql) must exist in the composed
 * supergraph exactly as written: every type, field, argument, input field and enum value, with
 * the same type. Items not built yet are listed explicitly below; the list only ever shrinks.
 */
const NOT_YET_BUILT = new Set<string>([]);

const contractPath = join(__dirname, '..', '..', '..', 'shared', 'contract', 'partner-api.graphql');
const supergraphPath = join(__dirname, '..', '..', 'schema', 'supergraph.graphql');

/** "Type.field" -> printed type, "Type.field(arg)" -> printed type, "Enum.VALUE", "Scalar" ... */
function contractItems(definitions: readonly DefinitionNode[]): Map<string, string> {
  const items = new Map<string, string>();
  for (const d of definitions) {
    switch (d.kind) {
      case Kind.OBJECT_TYPE_DEFINITION:
      case Kind.OBJECT_TYPE_EXTENSION:
      case Kind.INPUT_OBJECT_TYPE_DEFINITION:
      case Kind.INPUT_OBJECT_TYPE_EXTENSION:
        items.set(d.name.value, 'type');
        for (const field of d.fields ?? []) {
          items.set(`${d.name.value}.${field.name.value}`, print(field.type));
          if ('arguments' in field) {
            for (const arg of field.arguments ?? []) items.set(`${d.name.value}.${field.name.value}(${arg.name.value})`, print(arg.type));
          }
        }
        break;
      case Kind.ENUM_TYPE_DEFINITION:
        items.set(d.name.value, 'enum');
        for (const value of d.values ?? []) items.set(`${d.name.value}.${value.name.value}`, 'value');
        break;
      case Kind.SCALAR_TYPE_DEFINITION:
        items.set(d.name.value, 'scalar');
        break;
      default:
        break;
    }
  }
  return items;
}

const contract = contractItems(parse(readFileSync(contractPath, 'utf8')).definitions);
const supergraph = contractItems(parse(readFileSync(supergraphPath, 'utf8')).definitions);

describe('partner contract', () => {
  const missing = [...contract.entries()].filter(([item, type]) => supergraph.get(item) !== type).map(([item]) => item);

  it('every contract item exists in the supergraph with the same type (or is on the not-yet-built list)', () => {
    const unexpected = missing
      .filter((item) => !NOT_YET_BUILT.has(item))
      .map((item) => `${item}: contract ${contract.get(item)}, supergraph ${supergraph.get(item) ?? 'missing'}`);
    expect(unexpected).toEqual([]);
  });

  it('the not-yet-built list only names items that are still missing', () => {
    const built = [...NOT_YET_BUILT].filter((item) => !missing.includes(item));
    expect(built).toEqual([]);
  });

  it('every type, field, argument and enum value of the supergraph has a description', () => {
    const document = parse(readFileSync(supergraphPath, 'utf8'));
    const undocumented: string[] = [];
    for (const d of document.definitions) {
      if (!('name' in d) || !d.name || d.name.value.startsWith('join__') || d.name.value.startsWith('link__') || d.name.value.startsWith('requiresScopes__'))
        continue;
      if (d.kind === Kind.DIRECTIVE_DEFINITION) continue;
      const name = d.name.value;
      if (['Query', 'Mutation'].includes(name)) {
        // root types need no description of their own
      } else if ('description' in d && !d.description) undocumented.push(name);
      if ('fields' in d) {
        for (const f of d.fields ?? []) {
          if (!f.description) undocumented.push(`${name}.${f.name.value}`);
          if ('arguments' in f) for (const a of f.arguments ?? []) if (!a.description) undocumented.push(`${name}.${f.name.value}(${a.name.value})`);
        }
      }
      if (d.kind === Kind.ENUM_TYPE_DEFINITION) for (const v of d.values ?? []) if (!v.description) undocumented.push(`${name}.${v.name.value}`);
    }
    expect(undocumented).toEqual([]);
  });
});
