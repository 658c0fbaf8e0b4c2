import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  parse,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
  valueFromASTUntyped,
} from 'graphql';

/**
 * Limits on one GraphQL operation, checked on the parsed document before it is validated,
 * planned or sent to any subgraph (docs/access.md has the defaults and the reasoning).
 */
export interface QueryLimits {
  /** UTF-8 bytes of the query text. */
  maxDocumentBytes: number;
  /** Lexical tokens the parser may read before it gives up (guards the parser itself). */
  maxTokens: number;
  /** Nesting of fields: `{ a { b } }` has depth 2. Fragments count where they are spread. */
  maxDepth: number;
  /** Aliased fields anywhere in the document. */
  maxAliases: number;
  /** Top-level fields of the operation (fragments on the root type expanded). */
  maxRootFields: number;
  /** Cost of the operation (see analyzeOperation). */
  maxCost: number;
  /** What one top-level mutation field costs: writes and verifications are the expensive, guessable part. */
  mutationFieldCost: number;
}

/** The page size a list field with a `first` argument is charged for when the caller gives none (the contract default). */
export const DEFAULT_PAGE_SIZE = 20;
/** The contract caps `first` at 100 (a larger one is refused as BAD_USER_INPUT), so no list is charged for more. */
export const MAX_PAGE_SIZE = 100;

export interface OperationAnalysis {
  operationName: string | null;
  operationType: 'query' | 'mutation' | 'subscription';
  depth: number;
  aliases: number;
  rootFields: number;
  cost: number;
  /** __schema or __type is selected at the top level. */
  introspection: boolean;
  /** The cost read a variable (a `first: $n`): the same text may cost differently next time. */
  dependsOnVariables: boolean;
  document: DocumentNode;
}

export type LimitName = 'documentSize' | 'tokens' | 'depth' | 'aliases' | 'rootFields' | 'cost';

export function queryTooComplex(limit: LimitName, message: string, value: number, max: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'QUERY_TOO_COMPLEX', limit, value, max } });
}

// graphql-js 16 says "more that N tokens"; accept the corrected wording of later versions too.
const MAX_TOKENS_MESSAGE = /Document contains more tha[nt] \d+ tokens/;

interface Measure {
  depth: number;
  cost: number;
  /** The part of `cost` that comes from list-typed fields: what a `first` above multiplies. */
  listCost: number;
}

const ZERO: Measure = { depth: 0, cost: 0, listCost: 0 };

/**
 * Parses `source` and measures the operation that `operationName` selects, throwing
 * QUERY_TOO_COMPLEX for the first limit it exceeds. Returns null when the document is not
 * valid GraphQL or names no single operation: Apollo answers those with its own error, and
 * nothing invalid is ever executed.
 *
 * Cost: every field that returns an object costs 1, scalars cost 0, a top-level field costs 1
 * (a top-level mutation field `mutationFieldCost`, whatever it returns). A field with a `first`
 * argument (a connection) multiplies the cost of the list fields directly inside it (`nodes`) by
 * `first` (default 20, at most 100), so nested connections multiply: `members(first: 50) { nodes { vouchers(first: 10) { nodes
 * { batch { name } } } } }` costs 1 + 50 × (1 + 1 + 10 × (1 + 1)) = 1101.
 */
export function analyzeOperation(
  schema: GraphQLSchema,
  source: string,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  limits: QueryLimits,
  /** Where the document comes from (the gateway's ParsedDocuments, which hands it on to Apollo); a plain parse by default. */
  parseDocument: (source: string, maxTokens: number) => DocumentNode = (text, maxTokens) => parse(text, { noLocation: true, maxTokens }),
): OperationAnalysis | null {
  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes > limits.maxDocumentBytes) {
    throw queryTooComplex('documentSize', `the query document is ${bytes} bytes; the limit is ${limits.maxDocumentBytes}`, bytes, limits.maxDocumentBytes);
  }
  let document: DocumentNode;
  try {
    document = parseDocument(source, limits.maxTokens);
  } catch (error) {
    if (error instanceof GraphQLError && MAX_TOKENS_MESSAGE.test(error.message)) {
      throw queryTooComplex('tokens', `the query document has more than ${limits.maxTokens} tokens`, limits.maxTokens + 1, limits.maxTokens);
    }
    return null;
  }

  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }

  // Counted in the text, not expanded: every distinct response key needs an alias node of its own.
  let aliases = 0;
  const countAliases = (set: SelectionSetNode | undefined): void => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD && selection.alias) aliases += 1;
      if (selection.kind !== Kind.FRAGMENT_SPREAD) countAliases(selection.selectionSet);
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) countAliases(definition.selectionSet);
  }
  if (aliases > limits.maxAliases) {
    throw queryTooComplex('aliases', `the query has ${aliases} aliases; the limit is ${limits.maxAliases}`, aliases, limits.maxAliases);
  }

  const rootType = schema.getRootType(operation.operation) ?? undefined;
  const rootKeys = new Set<string>();
  let introspection = false;
  const collectRootFields = (set: SelectionSetNode, seen: Set<string>): void => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        rootKeys.add((selection.alias ?? selection.name).value);
        if (selection.name.value === '__schema' || selection.name.value === '__type') introspection = true;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        collectRootFields(selection.selectionSet, seen);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !seen.has(fragment.name.value)) collectRootFields(fragment.selectionSet, new Set([...seen, fragment.name.value]));
      }
    }
  };
  collectRootFields(operation.selectionSet, new Set());
  if (rootKeys.size > limits.maxRootFields) {
    throw queryTooComplex(
      'rootFields',
      `the operation selects ${rootKeys.size} top-level fields; the limit is ${limits.maxRootFields}`,
      rootKeys.size,
      limits.maxRootFields,
    );
  }

  // A variable the request leaves out takes its default from the operation (`$n: Int = 100`):
  // that is the value the resolvers will see, so that is the value the cost is computed with.
  const variableValues: Record<string, unknown> = Object.create(null);
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue) variableValues[definition.variable.name.value] = valueFromASTUntyped(definition.defaultValue);
  }
  for (const [name, value] of Object.entries(variables ?? {})) variableValues[name] = value;
  const measurer = new Measurer(schema, fragments, variableValues, operation.operation === 'mutation' ? limits.mutationFieldCost : 1);
  const measure = measurer.selectionSet(rootType, operation.selectionSet, true);
  if (measure === null) return null;
  // The operation itself is one level: `{ a }` has depth 1.
  if (measure.depth > limits.maxDepth) {
    throw queryTooComplex('depth', `the query is nested ${measure.depth} levels deep; the limit is ${limits.maxDepth}`, measure.depth, limits.maxDepth);
  }
  const cost = Math.max(1, measure.cost);
  if (cost > limits.maxCost) {
    throw queryTooComplex(
      'cost',
      `the query costs ${Number.isFinite(cost) ? cost : 'more than ' + Number.MAX_SAFE_INTEGER}; the limit is ${limits.maxCost} per operation (lists cost by their \`first\`, default ${DEFAULT_PAGE_SIZE})`,
      Number.isFinite(cost) ? cost : Number.MAX_SAFE_INTEGER,
      limits.maxCost,
    );
  }
  return {
    operationName: operation.name?.value ?? null,
    operationType: operation.operation,
    depth: measure.depth,
    aliases,
    rootFields: rootKeys.size,
    cost,
    introspection,
    dependsOnVariables: measurer.readVariables,
    document,
  };
}

/**
 * analyzeOperation with a memory: the analysis of a query text that passed, unless its cost
 * depends on variables, is reused (partners send the same few operations over and over).
 */
export class OperationAnalyzer {
  private readonly passed = new Map<string, OperationAnalysis>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly limits: QueryLimits,
    private readonly maxEntries = 1000,
    private readonly parseDocument?: (source: string, maxTokens: number) => DocumentNode,
  ) {}

  analyze(source: string, operationName: string | null | undefined, variables: Record<string, unknown> | null | undefined): OperationAnalysis | null {
    const key = `${operationName ?? ''}\n${source}`;
    const known = this.passed.get(key);
    if (known) return known;
    const analysis = analyzeOperation(this.schema, source, operationName, variables, this.limits, this.parseDocument);
    if (analysis && !analysis.dependsOnVariables) {
      if (this.passed.size >= this.maxEntries) this.passed.delete(this.passed.keys().next().value as string);
      this.passed.set(key, analysis);
    }
    return analysis;
  }
}

/**
 * Depth and cost of selection sets. A fragment is measured once per type it is spread on and
 * remembered, so a document that spreads fragments into fragments cannot make this walk take
 * exponential time; a fragment cycle (invalid GraphQL) makes the whole measure null.
 */
class Measurer {
  private readonly fragmentMeasures = new Map<string, Measure | null>();
  private readonly inProgress = new Set<string>();
  readVariables = false;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: Map<string, FragmentDefinitionNode>,
    private readonly variables: Record<string, unknown>,
    private readonly rootFieldCost: number,
  ) {}

  selectionSet(parentType: GraphQLNamedType | undefined, set: SelectionSetNode, root = false): Measure | null {
    let depth = 0;
    let cost = 0;
    let listCost = 0;
    for (const selection of set.selections) {
      let measure: Measure | null;
      if (selection.kind === Kind.FIELD) {
        measure = this.field(parentType, selection, root);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? this.schema.getType(selection.typeCondition.name.value) : parentType;
        measure = this.selectionSet(type ?? undefined, selection.selectionSet, root);
      } else {
        measure = this.fragment(selection.name.value, root);
      }
      if (measure === null) return null;
      depth = Math.max(depth, measure.depth);
      cost += measure.cost;
      listCost += measure.listCost;
    }
    return { depth, cost, listCost };
  }

  private fragment(name: string, root: boolean): Measure | null {
    const key = `${name}${root ? ':root' : ''}`;
    if (this.fragmentMeasures.has(key)) return this.fragmentMeasures.get(key) ?? null;
    const fragment = this.fragments.get(name);
    if (!fragment || this.inProgress.has(key)) return null;
    this.inProgress.add(key);
    const measure = this.selectionSet(this.schema.getType(fragment.typeCondition.name.value) ?? undefined, fragment.selectionSet, root);
    this.inProgress.delete(key);
    this.fragmentMeasures.set(key, measure);
    return measure;
  }

  private field(parentType: GraphQLNamedType | undefined, node: FieldNode, root: boolean): Measure | null {
    const definition = this.fieldDefinition(parentType, node.name.value);
    const type = definition ? getNamedType(definition.type) : undefined;
    const children = node.selectionSet ? this.selectionSet(type, node.selectionSet) : ZERO;
    if (children === null) return null;
    // Unknown fields (validation will refuse the operation) still count, as objects when they have a selection.
    const returnsObject = type ? isCompositeType(type) : node.selectionSet !== undefined;
    // Top-level fields always cost: a mutation returning a scalar is still a write.
    const base = root ? this.rootFieldCost : returnsObject ? 1 : 0;
    const returnsList = definition ? isListType(getNullableType(definition.type)) : false;
    const pageSize = definition ? this.pageSize(definition, node) : null;
    let cost: number;
    if (pageSize === null) cost = base + children.cost;
    else if (returnsList) cost = base + pageSize * children.cost;
    else cost = base + (children.cost - children.listCost) + pageSize * children.listCost;
    return { depth: 1 + children.depth, cost, listCost: returnsList ? cost : 0 };
  }

  private fieldDefinition(parentType: GraphQLNamedType | undefined, name: string): GraphQLField<unknown, unknown> | undefined {
    if (name === '__typename') return TypeNameMetaFieldDef;
    if (parentType === this.schema.getQueryType()) {
      if (name === '__schema') return SchemaMetaFieldDef;
      if (name === '__type') return TypeMetaFieldDef;
    }
    if (parentType && (isObjectType(parentType) || isInterfaceType(parentType))) return parentType.getFields()[name];
    return undefined;
  }

  /** The `first` a list field will be charged for, or null for a field without a `first` argument. */
  private pageSize(definition: GraphQLField<unknown, unknown>, node: FieldNode): number | null {
    const argument = definition.args.find((a) => a.name === 'first');
    if (!argument) return null;
    const given = node.arguments?.find((a) => a.name.value === 'first')?.value;
    const value = given === undefined ? argument.defaultValue : this.valueOf(given);
    // A negative or malformed `first` is refused later (BAD_USER_INPUT); charge the default meanwhile.
    return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.min(Math.ceil(value), MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
  }

  private valueOf(node: ValueNode): unknown {
    if (node.kind === Kind.INT || node.kind === Kind.FLOAT) return Number(node.value);
    if (node.kind === Kind.VARIABLE) {
      this.readVariables = true;
      return this.variables[node.name.value];
    }
    return undefined;
  }
}
