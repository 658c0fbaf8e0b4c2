import { dateProblem, dateTimeProblem, ID_MAX_LENGTH, DEFAULT_STRING_MAX_LENGTH, DEFAULT_INT_MAX, statedMaximum } from '@union/common';
import {
  getNamedType,
  GraphQLError,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  Kind,
  parse,
  TypeInfo,
  typeFromAST,
  valueFromASTUntyped,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValueNode,
} from 'graphql';

/**
 * Every input checked at the gateway, before Apollo validates or plans anything: a bad value is
 * answered 400 BAD_USER_INPUT naming the argument, and no subgraph is asked. What is checked:
 *
 * - the request itself: `variables` a JSON object, `operationName` a string naming an operation of
 *   the document, and one operation unless `operationName` picks one;
 * - every argument, given literally or through a variable (input objects and lists included):
 *   DateTime with an offset, a real calendar day and a year within 1900..9999; Date likewise;
 *   strings (ID included) without NUL, other control characters (tab, newline and carriage return
 *   are text) or lone surrogates, and no longer than the "At most N characters." their schema
 *   description states; Int no larger than the "At most N." of theirs.
 *
 * The subgraphs validate again (their scalars, their business rules); this is what makes every
 * malformed value the same cheap, early, well-named refusal.
 */

export interface GraphQLRequestParts {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
}

// C0 controls other than tab, newline and carriage return; DEL; C1 controls.
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function badRequestInput(message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', ...extensions, http: { status: 400 } } });
}

/** What is wrong with a string input, or null. */
export function textProblem(value: string, maxLength: number): string | null {
  if (CONTROL_CHARACTER.test(value)) return 'the text contains a control character (NUL, escape ...); only printable text, tab and newline are accepted';
  if (LONE_SURROGATE.test(value)) return 'the text is not well-formed Unicode (a lone surrogate)';
  // Code points, as a partner counts characters (一 is one, 𠀀 is one).
  let length = 0;
  for (const _ of value) if (++length > maxLength) return `the text is longer than ${maxLength} characters`;
  return null;
}

/** One argument of an operation: where it is, its schema type, and the literal or variable that gives its value. */
interface ArgumentSite {
  type: GraphQLInputType;
  value: ValueNode;
  name: string;
  description: string | null | undefined;
  where: string;
}

export class InputValidator {
  /** Per parsed operation (weakly held: a document the store lets go takes its entry with it). */
  private readonly argumentSites = new WeakMap<OperationDefinitionNode, { document: DocumentNode; sites: ArgumentSite[] }>();

  constructor(private readonly schema: GraphQLSchema) {}

  /** Throws BAD_USER_INPUT (HTTP 400) for the first problem found; the document is parsed unless given. */
  check(request: GraphQLRequestParts, parsed?: DocumentNode | null): void {
    const { query, operationName, variables } = request;
    if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) {
      throw badRequestInput('`variables` must be a JSON object (or left out)');
    }
    if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') {
      throw badRequestInput('`operationName` must be a string (or left out)');
    }
    if (typeof query !== 'string') return;
    let document = parsed ?? null;
    if (!document) {
      try {
        document = parse(query, { noLocation: true });
      } catch {
        return; // Apollo answers a syntax error with its position
      }
    }
    const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    let operation: OperationDefinitionNode | undefined;
    if (typeof operationName === 'string' && operationName !== '') {
      operation = operations.find((o) => o.name?.value === operationName);
      if (!operation) throw badRequestInput(`the document has no operation named "${operationName}"`);
    } else if (operations.length > 1) {
      throw badRequestInput(`the document has ${operations.length} operations; say which one to run with operationName`);
    } else {
      operation = operations[0];
    }
    if (!operation) return;
    this.checkOperation(document, operation, (variables ?? {}) as Record<string, unknown>);
  }

  private checkOperation(document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): void {
    // Defaults of the operation's variables are inputs too.
    for (const definition of operation.variableDefinitions ?? []) {
      const type = typeFromAST(this.schema, definition.type as never) as GraphQLInputType | undefined;
      if (type && definition.defaultValue) {
        this.checkValue(
          type,
          valueFromASTUntyped(definition.defaultValue),
          `$${definition.variable.name.value}`,
          null,
          `the default of $${definition.variable.name.value}`,
        );
      }
    }
    for (const site of this.argumentSitesOf(document, operation)) {
      this.checkValue(site.type, valueFromASTUntyped(site.value, variables), site.name, site.description, site.where);
    }
  }

  /**
   * Every argument of the operation (its fragments included) with its schema type, found once per
   * parsed document: the documents are cached by query text (parsed-documents.ts), so a request
   * only reads its values, instead of walking the document with type information every time.
   */
  private argumentSitesOf(document: DocumentNode, operation: OperationDefinitionNode): ArgumentSite[] {
    const known = this.argumentSites.get(operation);
    if (known && known.document === document) return known.sites;
    const sites: ArgumentSite[] = [];
    const typeInfo = new TypeInfo(this.schema);
    const scope = [operation, ...document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION)];
    for (const definition of scope) {
      visit(
        definition,
        visitWithTypeInfo(typeInfo, {
          Argument: (node) => {
            const argument = typeInfo.getArgument();
            if (!argument) return;
            const field = typeInfo.getFieldDef();
            const where = field ? `${typeInfo.getParentType()?.name ?? ''}.${field.name}` : 'a directive';
            sites.push({
              type: argument.type,
              value: node.value,
              name: argument.name,
              description: argument.description,
              where: `argument "${argument.name}" of ${where}`,
            });
          },
        }),
      );
    }
    this.argumentSites.set(operation, { document, sites });
    return sites;
  }

  private checkValue(type: GraphQLInputType, value: unknown, path: string, description: string | null | undefined, where: string): void {
    if (value === null || value === undefined) return;
    if (isNonNullType(type)) return this.checkValue(type.ofType, value, path, description, where);
    const fail = (problem: string) => {
      const inner = /[.[]/.test(path) ? `${path}: ` : '';
      throw badRequestInput(`${where}: ${inner}${problem}`, { argument: path });
    };
    if (isListType(type)) {
      if (Array.isArray(value)) value.forEach((item, index) => this.checkValue(type.ofType, item, `${path}[${index}]`, description, where));
      else this.checkValue(type.ofType, value, path, description, where);
      return;
    }
    if (isInputObjectType(type)) {
      if (typeof value !== 'object' || Array.isArray(value)) return; // GraphQL's own coercion refuses it
      for (const field of Object.values(type.getFields())) {
        this.checkValue(field.type, (value as Record<string, unknown>)[field.name], `${path}.${field.name}`, field.description, where);
      }
      return;
    }
    if (isEnumType(type) || !isScalarType(getNamedType(type))) return;
    switch (type.name) {
      case 'DateTime': {
        const problem = dateTimeProblem(value);
        if (problem) fail(problem);
        return;
      }
      case 'Date': {
        const problem = dateProblem(value);
        if (problem) fail(problem);
        return;
      }
      case 'String':
      case 'ID': {
        if (typeof value !== 'string') return;
        const max = type.name === 'ID' ? ID_MAX_LENGTH : (statedMaximum(description, 'String') ?? DEFAULT_STRING_MAX_LENGTH);
        const problem = textProblem(value, max);
        if (problem) fail(problem);
        return;
      }
      case 'Int': {
        if (typeof value !== 'number' || !Number.isInteger(value)) return;
        const max = statedMaximum(description, 'Int') ?? DEFAULT_INT_MAX;
        if (value > max) fail(`${value} is more than ${max.toLocaleString('en-US')}, the most this accepts`);
        return;
      }
      default:
        return;
    }
  }
}
