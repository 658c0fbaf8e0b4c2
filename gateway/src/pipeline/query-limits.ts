import { GraphQLError } from 'graphql';
import type { OperationAnalyzer } from '../limits';
import type { GraphQLExchange, Refusal } from './exchange';

/**
 * Stage "enforce query limits": size, tokens, depth, aliases, top-level fields and cost of the
 * operation, on its parsed document, before Apollo validates or plans anything (400
 * QUERY_TOO_COMPLEX naming the limit). A request without a query text, or one that does not
 * parse, passes with no analysis: Apollo answers it with its own error and runs nothing.
 */
export function enforceQueryLimits(exchange: GraphQLExchange, deps: { analyzer: Pick<OperationAnalyzer, 'analyze'> }): Refusal | void {
  const { query, operationName, variables } = exchange.operation ?? {};
  exchange.analysis = null;
  if (typeof query !== 'string') return;
  try {
    exchange.analysis = deps.analyzer.analyze(
      query,
      typeof operationName === 'string' ? operationName : null,
      typeof variables === 'object' && variables !== null ? (variables as Record<string, unknown>) : null,
    );
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    return { status: 400, body: { errors: [{ message: error.message, extensions: error.extensions }] } };
  }
}
