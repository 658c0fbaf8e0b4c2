import { graphQLRefusal, type GraphQLExchange, type Refusal } from './exchange';

export const INTROSPECTION_OFF_MESSAGE =
  'schema introspection is off for this partner; the schema is published as schema/supergraph.graphql (an operator can allow introspection: npm run partner -- set-introspection ID on)';

/**
 * Stage "introspection gate": in production, `__schema` / `__type` only for partners flagged for
 * it (or everyone with ALLOW_INTROSPECTION); 403 FORBIDDEN otherwise.
 */
export function gateIntrospection(exchange: GraphQLExchange, options: { production: boolean; allowIntrospection: boolean }): Refusal | void {
  if (!exchange.analysis?.introspection || !options.production || options.allowIntrospection) return;
  if (exchange.access?.introspectionAllowed) return;
  return graphQLRefusal(403, 'FORBIDDEN', INTROSPECTION_OFF_MESSAGE);
}
