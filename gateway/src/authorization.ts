import {
  type DocumentNode,
  getNamedType,
  GraphQLError,
  type GraphQLSchema,
  isObjectType,
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

/**
 * Reads the @requiresScopes declared in the published supergraph: the schema is where partners
 * read the requirements, so it is also where the gateway takes them from.
 */
export function readScopeRequirements(supergraphSdl: string): ScopeRequirements {
  const requirements: ScopeRequirements = new Map();
  for (const definition of parse(supergraphSdl).definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
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
 * before the query is planned: no subgraph is called for a forbidden operation.
 */
export function assertOperationAllowed(schema: GraphQLSchema, document: DocumentNode, requirements: ScopeRequirements, principal: Principal): void {
  const held = new Set(principal.scopes);
  const typeInfo = new TypeInfo(schema);
  const missing = new Map<string, string[][]>();
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field() {
        const parent = typeInfo.getParentType();
        const field = typeInfo.getFieldDef();
        if (!parent || !field || !isObjectType(getNamedType(parent))) return;
        const coordinate = `${parent.name}.${field.name}`;
        const alternatives = requirements.get(coordinate);
        if (alternatives && !alternatives.some((set) => set.every((scope) => held.has(scope)))) missing.set(coordinate, alternatives);
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
