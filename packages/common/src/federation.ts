import 'reflect-metadata';
import { buildSubgraphSchema, printSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { type GraphQLSchema, parse } from 'graphql';
import { Authorized, buildSchema, createResolversMap, Directive, type NonEmptyArray } from 'type-graphql';
import { contractError } from './errors';
import { annotateInputLimits } from './input-limits';
import type { Principal } from './principal';
import { DateScalar, DateTimeScalar } from './scalars';

const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible", "@requiresScopes", "@authenticated"])';

/**
 * Scopes a field needs, declared twice on purpose: in the schema (federation @requiresScopes, so
 * partners read the requirement and the gateway rejects before planning) and in the subgraph
 * (type-graphql @Authorized, so a subgraph never trusts that the gateway checked).
 * Each argument is one acceptable set: RequireScopes(['a'], ['b', 'c']) means a, or b and c.
 */
export function RequireScopes(...alternatives: string[][]): MethodDecorator & PropertyDecorator {
  const printed = alternatives.map((set) => `[${set.map((s) => JSON.stringify(s)).join(', ')}]`).join(', ');
  const directive = Directive(`@requiresScopes(scopes: [${printed}])`) as PropertyDecorator;
  const authorized = Authorized(alternatives.map((set) => set.join(' '))) as PropertyDecorator;
  return ((target: object, key: string | symbol, descriptor?: PropertyDescriptor) => {
    directive(target, key);
    authorized(target, key);
    return descriptor;
  }) as MethodDecorator & PropertyDecorator;
}

/** type-graphql authChecker for RequireScopes: any one alternative whose scopes the caller all holds. */
// An arrow function on purpose: type-graphql instantiates an authChecker that has a prototype as a class.
export const scopeAuthChecker = ({ context }: { context: { principal: Principal } }, alternatives: string[]): boolean => {
  const held = new Set(context.principal.scopes);
  if (alternatives.some((set) => set.split(' ').every((scope) => held.has(scope)))) return true;
  throw contractError('FORBIDDEN', `missing scope: ${alternatives.join(' or ')}`, { requiredScopes: alternatives });
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ReferenceResolvers = Record<string, (reference: any, context: any, info: any) => unknown>;

export interface FederatedSchema {
  schema: GraphQLSchema;
  /** The subgraph SDL as composition sees it (what `_service { sdl }` answers). */
  sdl: string;
}

/**
 * type-graphql builds the types and resolvers; @apollo/subgraph turns them into a federation
 * subgraph. __resolveReference functions are plain functions outside type-graphql: its
 * middlewares and @Authorized do not run there, so each one checks authorization itself.
 */
export async function buildFederatedSchema(options: {
  resolvers: NonEmptyArray<Function>;
  references: ReferenceResolvers;
  orphanedTypes?: Function[];
}): Promise<FederatedSchema> {
  const typeGraphqlSchema = await buildSchema({
    resolvers: options.resolvers,
    orphanedTypes: options.orphanedTypes,
    skipCheck: true,
    validate: false,
    authChecker: scopeAuthChecker,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
  });
  const typeDefs = annotateInputLimits(parse(`${FEDERATION_LINK}\n\n${printSchemaWithDirectives(typeGraphqlSchema)}`));
  const resolverMap = createResolversMap(typeGraphqlSchema) as Record<string, Record<string, unknown>>;
  for (const [typeName, resolveReference] of Object.entries(options.references)) {
    resolverMap[typeName] = { ...(resolverMap[typeName] ?? {}), __resolveReference: resolveReference };
  }
  resolverMap.DateTime = DateTimeScalar as unknown as Record<string, unknown>;
  resolverMap.Date = DateScalar as unknown as Record<string, unknown>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const schema = buildSubgraphSchema([{ typeDefs, resolvers: resolverMap as any }]);
  return { schema, sdl: printSubgraphSchema(schema) };
}

export { DateScalar, DateTimeScalar };
