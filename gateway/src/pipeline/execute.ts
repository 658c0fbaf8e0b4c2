import type { ApolloServer } from '@apollo/server';
import { headerMap } from '@union/common';
import { AccessReportCollector } from '../audit';
import type { GatewayContext, GraphQLExchange } from './exchange';

/**
 * Stage "execute": Apollo validates (or finds the document the limits stage parsed, already
 * validated, in its document store: the query text is not parsed again), plans and runs the
 * operation against the subgraphs. The context it runs with stays on the exchange, so the stages
 * after it read what the subgraphs reported.
 */
export async function executeOperation(
  exchange: GraphQLExchange,
  deps: { apollo: Pick<ApolloServer<GatewayContext>, 'executeHTTPGraphQLRequest'> },
): Promise<void> {
  const { principal, rate } = exchange;
  if (!principal || !rate) throw new Error('execute: the request was not authenticated and charged');
  const context: GatewayContext = {
    principal,
    requestId: exchange.requestId,
    accessReport: new AccessReportCollector(),
    rate,
    notes: { subgraphFetches: 0 },
    scopesCheckedFor: exchange.scopesCheckedFor,
  };
  exchange.context = context;
  exchange.response = await deps.apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: exchange.req.method ?? 'POST', headers: headerMap(exchange.req), search: exchange.url.search, body: exchange.body },
    context: async () => context,
  });
}
