import type { ApolloServerPlugin, GraphQLRequest } from '@apollo/server';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { ErrorCodes, RETRY_AFTER_SECONDS, serviceUnavailable } from '@union/common';
import { GraphQLError, Kind, parse, type GraphQLFormattedError, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

/**
 * One service down costs only its own fields. When the gateway cannot get an answer from a
 * subgraph (connection refused or reset, timeout, HTTP 502/503/504), it answers the fetch itself
 * as the subgraph would have if each field had failed: null for every field the fetch asked for,
 * and a SERVICE_UNAVAILABLE error at each of those fields' paths. The query planner then merges
 * this like any other subgraph answer, so the member's own fields from the member subgraph and
 * the vouchers from the benefit subgraph arrive, with `points: null` and an error whose path is
 * `["member", "points"]`. A field the contract makes non-null passes its null up to the nearest
 * nullable parent, as GraphQL says; its error still names the field.
 */

/** What the gateway does with a subgraph fetch that threw. */
export type FetchFailure = { kind: 'unavailable'; detail: string } | { kind: 'client-mistake'; errors: GraphQLFormattedError[] } | { kind: 'internal' };

type GatewayGraphQLResponse = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

const UNAVAILABLE_STATUSES = new Set([502, 503, 504]);
const CONTRACT_CODES = new Set<string>(ErrorCodes);

export function classifyFetchFailure(error: unknown): FetchFailure {
  if (error instanceof GraphQLError) {
    const response = error.extensions?.response as { status?: number; body?: unknown } | undefined;
    if (!response) return { kind: 'internal' };
    if (UNAVAILABLE_STATUSES.has(response.status ?? 0)) return { kind: 'unavailable', detail: `HTTP ${response.status}` };
    // A subgraph that refused the request as malformed (HTTP 400 with contract errors, e.g. a
    // variable its scalar refused) speaks to the partner: its errors pass, not an internal error.
    const body = response.body as { errors?: GraphQLFormattedError[] } | undefined;
    const errors = Array.isArray(body?.errors) ? body.errors : [];
    if (
      response.status === 400 &&
      errors.length > 0 &&
      errors.every((e) => CONTRACT_CODES.has(String(e.extensions?.code)) && e.extensions?.code !== 'INTERNAL_SERVER_ERROR')
    ) {
      return { kind: 'client-mistake', errors: errors.map((e) => ({ message: e.message, extensions: { code: e.extensions?.code } })) };
    }
    return { kind: 'internal' };
  }
  // Anything the HTTP client threw (ECONNREFUSED, ECONNRESET, socket hang up, our timeout): no answer.
  return { kind: 'unavailable', detail: (error as Error)?.message ?? String(error) };
}

/** The answer of a subgraph that could not be reached: null and a SERVICE_UNAVAILABLE error for every field the fetch asked for. */
export function outageResponse(request: Pick<GraphQLRequest, 'query' | 'variables' | 'operationName'>): GatewayGraphQLResponse {
  // The path says which field; the message names no internal service, host or port.
  const unavailable = serviceUnavailable('the service behind this field');
  const errorAt = (path: Array<string | number>): GraphQLFormattedError => ({ message: unavailable.message, path, extensions: { ...unavailable.extensions } });
  let operation: OperationDefinitionNode | undefined;
  try {
    const document = parse(request.query ?? '', { noLocation: true });
    operation = document.definitions.find(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (!request.operationName || d.name?.value === request.operationName),
    );
  } catch {
    operation = undefined;
  }
  if (!operation) return { errors: [errorAt([])] };

  const errors: GraphQLFormattedError[] = [];
  const data: Record<string, unknown> = {};
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) continue;
    const responseName = selection.alias?.value ?? selection.name.value;
    if (selection.name.value === '__typename') {
      data[responseName] = operation.operation === 'mutation' ? 'Mutation' : 'Query';
    } else if (selection.name.value === '_entities') {
      const representations = (request.variables?.representations ?? []) as Array<Record<string, unknown>>;
      data[responseName] = representations.map((representation, index) =>
        unavailableEntity(representation, selection.selectionSet, (field) => errors.push(errorAt([responseName, index, field]))),
      );
    } else {
      data[responseName] = null;
      errors.push(errorAt([responseName]));
    }
  }
  return { data, errors };
}

/** One entity of an `_entities` answer: its typename and key fields as given, null (and an error) for the rest. */
function unavailableEntity(
  representation: Record<string, unknown>,
  selectionSet: SelectionSetNode | undefined,
  fail: (responseName: string) => void,
): Record<string, unknown> {
  const typename = String(representation.__typename ?? '');
  const entity: Record<string, unknown> = { __typename: typename };
  const visit = (set: SelectionSetNode | undefined) => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (!selection.typeCondition || selection.typeCondition.name.value === typename) visit(selection.selectionSet);
      } else if (selection.kind === Kind.FIELD) {
        const responseName = selection.alias?.value ?? selection.name.value;
        if (responseName in entity) continue;
        if (selection.name.value === '__typename') entity[responseName] = typename;
        else if (!selection.selectionSet && selection.name.value in representation) entity[responseName] = representation[selection.name.value];
        else {
          entity[responseName] = null;
          fail(responseName);
        }
      }
    }
  };
  visit(selectionSet);
  return entity;
}

/**
 * HTTP status of an answer that lost its data to an unavailable service: 503 with Retry-After when
 * nothing came back; 200 when the other services' part of the answer did (partial answer).
 */
export function markUnavailableAnswer(
  http: { status?: number; headers: Map<string, string> },
  data: unknown,
  errors: readonly GraphQLFormattedError[] | undefined,
): void {
  if (!errors?.some((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE')) return;
  http.headers.set('retry-after', String(RETRY_AFTER_SECONDS));
  // Nothing came back (every top-level field null): the answer as a whole is unavailable.
  const nothing = data === null || data === undefined || Object.values(data).every((value) => value === null);
  if (nothing) http.status = 503;
}

/** markUnavailableAnswer for the answers Apollo Server writes. */
export const serviceUnavailableStatus: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (response.body.kind !== 'single') return;
        markUnavailableAnswer(response.http, response.body.singleResult.data, response.body.singleResult.errors);
      },
    };
  },
};
