import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  isAbstractType,
  Kind,
  parse,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type ConstValueNode,
} from 'graphql';
import type { Principal } from '@union/common';

/** Scope alternatives per "Type.field": any one inner list, all of its scopes. */
export type ScopeRequirements = Map<string, string[][]>;

const listOfStrings = (value: ConstValueNode): string[] =>
  value.kind === Kind.LIST ? value.values.flatMap((v) => (v.kind === Kind.STRING ? [v.value] : [])) : [];

const FIELD_CONTAINERS = new Set<string>([
  Kind.OBJECT_TYPE_DEFINITION,
  Kind.OBJECT_TYPE_EXTENSION,
  Kind.INTERFACE_TYPE_DEFINITION,
  Kind.INTERFACE_TYPE_EXTENSION,
]);

/**
 * Reads the @requiresScopes declared in the published supergraph: the schema is where partners
 * read the requirements, so it is also where the gateway takes them from. Fields of object types
 * and of interfaces are read; a requirement on a whole type (object, interface, scalar, enum) is
 * refused, because this gateway enforces requirements per field and would otherwise let such a
 * type through unchecked.
 */
export function readScopeRequirements(supergraphSdl: string): ScopeRequirements {
  const requirements: ScopeRequirements = new Map();
  for (const definition of parse(supergraphSdl).definitions) {
    if (!('directives' in definition) || !('name' in definition) || !definition.name) continue;
    if (definition.directives?.some((d) => d.name.value === 'requiresScopes')) {
      throw new Error(`@requiresScopes on the type ${definition.name.value} is not enforced by the gateway; declare it on the fields instead`);
    }
    if (!FIELD_CONTAINERS.has(definition.kind) || !('fields' in definition)) continue;
    for (const field of definition.fields ?? []) {
      const directive = field.directives?.find((d) => d.name.value === 'requiresScopes');
      const scopes = directive?.arguments?.find((a) => a.name.value === 'scopes')?.value;
      if (scopes?.kind === Kind.LIST) requirements.set(`${definition.name.value}.${field.name.value}`, scopes.values.map(listOfStrings));
    }
  }
  return requirements;
}

/**
 * Rejects an operation that selects any field whose @requiresScopes the caller does not meet,
 * before the query is planned: no subgraph is called for a forbidden operation. Every fragment
 * of the document is checked on its own type condition; a field selected on an interface must
 * meet the interface's requirement and that of every implementation, since any of them may be
 * what the subgraph answers with.
 */
export function assertOperationAllowed(schema: GraphQLSchema, document: DocumentNode, requirements: ScopeRequirements, principal: Principal): void {
  const held = new Set(principal.scopes);
  const typeInfo = new TypeInfo(schema);
  const missing = new Map<string, string[][]>();
  const check = (coordinate: string) => {
    const alternatives = requirements.get(coordinate);
    if (alternatives && !alternatives.some((set) => set.every((scope) => held.has(scope)))) missing.set(coordinate, alternatives);
  };
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field() {
        const parent = typeInfo.getParentType();
        const field = typeInfo.getFieldDef();
        if (!parent || !field) return;
        check(`${parent.name}.${field.name}`);
        if (isAbstractType(parent)) for (const type of schema.getPossibleTypes(parent)) check(`${type.name}.${field.name}`);
      },
    }),
  );
  if (missing.size === 0) return;
  const [coordinate, alternatives] = [...missing.entries()][0];
  const needed = alternatives.map((set) => set.join(' + ')).join(' or ');
  throw new GraphQLError(`${coordinate} requires scope ${needed}`, {
    extensions: { code: 'FORBIDDEN', missingScopes: Object.fromEntries(missing) },
  });
}
