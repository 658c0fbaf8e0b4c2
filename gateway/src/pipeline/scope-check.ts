import { GraphQLError, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Principal } from '@union/common';
import { assertOperationAllowed, type ScopeRequirements } from '../authorization';
import type { GraphQLExchange, Refusal } from './exchange';

/**
 * Remembers the scope verdict per document and set of scopes held: partners send the same few
 * operations, and the verdict depends on nothing else.
 */
export class ScopeVerdicts {
  private readonly verdicts = new WeakMap<DocumentNode, Map<string, GraphQLError | null>>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly requirements: ScopeRequirements,
  ) {}

  /** The FORBIDDEN error for this caller and document, or null when it may run it. */
  verdict(document: DocumentNode, principal: Principal): GraphQLError | null {
    const scopes = principal.scopes.join(' ');
    let byScopes = this.verdicts.get(document);
    if (!byScopes) this.verdicts.set(document, (byScopes = new Map()));
    let verdict = byScopes.get(scopes);
    if (verdict === undefined) {
      verdict = null;
      try {
        assertOperationAllowed(this.schema, document, this.requirements, principal);
      } catch (error) {
        if (!(error instanceof GraphQLError)) throw error;
        verdict = error;
      }
      if (byScopes.size < 100) byScopes.set(scopes, verdict);
    }
    return verdict;
  }
}

export interface ScopeCheckDeps {
  verdicts: ScopeVerdicts;
  /** Whether the document is valid GraphQL for the served schema: an invalid one is answered by Apollo's validation first. */
  isValid(document: DocumentNode): boolean;
}

/**
 * Stage "check scopes": every field the operation selects against the @requiresScopes of the
 * supergraph, before the query is planned (403 FORBIDDEN naming the missing scope; no subgraph is
 * called). A document that is not valid GraphQL is left to Apollo, which refuses it with its
 * validation errors, as it did before this stage existed. Apollo re-checks any document this
 * stage did not see (see the scope safety net in apollo.ts).
 */
export function checkScopes(exchange: GraphQLExchange, deps: ScopeCheckDeps): Refusal | void {
  const document = exchange.analysis?.document;
  const principal = exchange.principal;
  if (!document || !principal || !deps.isValid(document)) return;
  const verdict = deps.verdicts.verdict(document, principal);
  if (verdict) return { status: 403, body: { errors: [{ message: verdict.message, extensions: verdict.extensions }] } };
  exchange.scopesCheckedFor = document;
}
