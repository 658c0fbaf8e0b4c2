import {
  execute,
  getOperationAST,
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';

/** How many distinct operation texts a subgraph keeps parsed and validated (the gateway sends a few hundred at most). */
const PREPARED_DOCUMENTS = 1_000;

/** What a subgraph answers to one GraphQL request: the HTTP status and the body. */
export interface OperationAnswer {
  status: number;
  body: { data?: unknown; errors?: GraphQLFormattedError[]; extensions?: Record<string, unknown> };
}

/** Hooks around one operation, for the subgraph's log line, metrics and the access report. */
export interface OperationHooks<TContext> {
  /** The operation to run is known (before the context is built). */
  resolved?(operation: OperationDefinitionNode): void;
  /** Extensions to add to the answer (the access report). */
  extensions?(context: TContext): Record<string, unknown> | undefined;
}

type FormatError = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

/**
 * Runs the gateway's operations against a subgraph's schema: parse and validate once per
 * operation text (a bounded cache: the gateway's query plans send the same few texts over and
 * over), then graphql-js execution. It takes the place of a general-purpose GraphQL server, whose
 * per-request machinery (hashing each query, plugin hooks at every step, HTTP negotiation) the
 * only caller of a subgraph, the gateway, does not need.
 *
 * What it answers is what that server answered: 400 for a request that is not an operation
 * (not an object, no query, a parse or validation failure, an unknown operation name, variables
 * that do not fit), every error formatted by `formatError` with a `code`, and 200 otherwise.
 */
export class OperationRunner<TContext> {
  private readonly prepared = new Map<string, DocumentNode>();
  private readonly rules;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly formatError: FormatError,
    options: { introspection: boolean },
  ) {
    this.rules = options.introspection ? specifiedRules : [...specifiedRules, NoSchemaIntrospectionCustomRule];
  }

  /** How many operation texts are kept parsed and validated. */
  get preparedOperations(): number {
    return this.prepared.size;
  }

  async run(body: unknown, createContext: () => TContext | Promise<TContext>, hooks: OperationHooks<TContext> = {}): Promise<OperationAnswer> {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return this.refuse('a GraphQL request is one JSON object with a query', 'BAD_USER_INPUT');
    const { query, variables, operationName } = body as { query?: unknown; variables?: unknown; operationName?: unknown };
    if (typeof query !== 'string' || query.trim() === '') return this.refuse('the request has no query', 'BAD_USER_INPUT');
    if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return this.refuse('variables must be an object', 'BAD_USER_INPUT');
    if (operationName != null && typeof operationName !== 'string') return this.refuse('operationName must be a string', 'BAD_USER_INPUT');

    const document = this.prepare(query);
    if (!('kind' in document)) return { status: 400, body: { errors: document.errors } };
    const operation = getOperationAST(document, operationName ?? undefined);
    if (!operation)
      return this.refuse(operationName ? `no operation named "${operationName}"` : 'the document has no single operation to run', 'BAD_USER_INPUT');
    hooks.resolved?.(operation);

    const contextValue = await createContext();
    const result: ExecutionResult = await execute({
      schema: this.schema,
      document,
      operationName: operationName ?? undefined,
      variableValues: (variables as Record<string, unknown> | null | undefined) ?? undefined,
      contextValue,
    });
    // Without `data` nothing ran: the variables did not fit the operation.
    const coercionFailed = !('data' in result);
    const errors = result.errors?.map((error) => this.format(error, coercionFailed ? 'BAD_USER_INPUT' : 'INTERNAL_SERVER_ERROR'));
    const extensions = hooks.extensions?.(contextValue);
    return {
      status: coercionFailed ? 400 : 200,
      body: { ...(errors ? { errors } : {}), ...(coercionFailed ? {} : { data: result.data }), ...(extensions ? { extensions } : {}) },
    };
  }

  /** The parsed, valid document for an operation text, or its formatted errors (failures are not kept). */
  private prepare(query: string): DocumentNode | { errors: GraphQLFormattedError[] } {
    const cached = this.prepared.get(query);
    if (cached) return cached;
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (error) {
      return { errors: [this.format(error as GraphQLError, 'GRAPHQL_PARSE_FAILED')] };
    }
    const invalid = validate(this.schema, document, this.rules);
    if (invalid.length) return { errors: invalid.map((error) => this.format(error, 'GRAPHQL_VALIDATION_FAILED')) };
    // Oldest first out: a Map iterates in insertion order.
    if (this.prepared.size >= PREPARED_DOCUMENTS) this.prepared.delete(this.prepared.keys().next().value as string);
    this.prepared.set(query, document);
    return document;
  }

  private format(error: GraphQLError, defaultCode: string): GraphQLFormattedError {
    const formatted = error.toJSON();
    const code = formatted.extensions?.code ?? defaultCode;
    return this.formatError({ ...formatted, extensions: { ...formatted.extensions, code } }, error);
  }

  private refuse(message: string, code: string): OperationAnswer {
    const error = new GraphQLError(message, { extensions: { code } });
    return { status: 400, body: { errors: [this.format(error, code)] } };
  }
}
