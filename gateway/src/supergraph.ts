import { readFileSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { buildASTSchema, Kind, parse, print, visit, type DocumentNode, type GraphQLSchema } from 'graphql';

/** Where each subgraph is served; the URLs in the committed supergraph are placeholders replaced at boot. */
export const SUBGRAPH_NAMES = ['member', 'benefit', 'points', 'events'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

/** Composes the subgraph SDLs into a supergraph SDL; throws with every composition error listed. */
export function composeSupergraph(subgraphs: Record<string, string>): string {
  const result = composeServices(
    Object.entries(subgraphs).map(([name, sdl]) => ({ name, url: `http://${name}.subgraph.invalid/graphql`, typeDefs: parse(sdl) })),
  );
  if (result.errors) throw new Error(`composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join('\n')}`);
  return `${result.supergraphSdl.trim()}\n`;
}

export function readSupergraph(path: string): string {
  return readFileSync(path, 'utf8');
}

const SECURITY_DIRECTIVES = new Set(['requiresScopes', 'authenticated']);

/**
 * @apollo/gateway refuses a supergraph that links the `requiresScopes` / `authenticated` specs
 * `for: SECURITY` (only Apollo's router implements them). The published supergraph keeps them so
 * partners read the requirements; the query planner gets a copy without them, and our own
 * authorization step (authorization.ts) enforces them before planning.
 */
export function plannerSupergraph(supergraphSdl: string): string {
  const document = parse(supergraphSdl);
  const stripped = visit(document, {
    Directive(node) {
      const name = node.name.value;
      if (SECURITY_DIRECTIVES.has(name)) return null;
      if (name === 'link') {
        const url = node.arguments?.find((a) => a.name.value === 'url');
        if (url && url.value.kind === Kind.STRING && /\/(requiresScopes|authenticated)\//.test(url.value.value)) return null;
      }
      return undefined;
    },
    DirectiveDefinition(node) {
      return SECURITY_DIRECTIVES.has(node.name.value) ? null : undefined;
    },
    ScalarTypeDefinition(node) {
      return node.name.value === 'requiresScopes__Scope' ? null : undefined;
    },
  }) as DocumentNode;
  return print(stripped);
}

/** The published supergraph as a GraphQL schema (API types plus join directives), for reading requirements. */
export function supergraphSchema(supergraphSdl: string): GraphQLSchema {
  return buildASTSchema(parse(supergraphSdl), { assumeValidSDL: true });
}
