import { createHash } from 'node:crypto';
import { parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';

interface Entry {
  document: DocumentNode;
  bytes: number;
  /** The schema the document was found valid against (undefined: not validated yet). */
  validFor?: GraphQLSchema;
}

/** Apollo's document store key: `<schema hash>:<sha256 of the query text>`. */
const queryHashOfKey = (key: string) => key.slice(key.lastIndexOf(':') + 1);

export const queryHashOf = (source: string) => createHash('sha256').update(source).digest('hex');

/**
 * Every query text the gateway sees is parsed once, here: the query-limits stage parses it (with
 * the token limit that guards the parser) and Apollo, which asks its document store before it
 * parses, gets the same DocumentNode back. Apollo only keeps validated documents in its store and
 * skips validation for what it finds there, so a document is handed to Apollo only after it has
 * passed graphql-js validation against Apollo's own API schema (the same rules Apollo runs); an
 * invalid one is not handed on, and Apollo parses and answers its errors itself.
 *
 * Bounded by entry count and by the total size of the query texts (a hostile caller sending
 * unique queries only evicts, the oldest first).
 */
export class ParsedDocuments {
  private readonly entries = new Map<string, Entry>();
  private readonly byDocument = new WeakMap<DocumentNode, Entry>();
  private totalBytes = 0;
  private schema: GraphQLSchema | undefined;
  /** Parses done here (for tests and the benchmark: one per distinct query text). */
  parses = 0;

  constructor(
    private readonly maxEntries = 1000,
    private readonly maxBytes = 8 * 1024 * 1024,
  ) {}

  /** The schema Apollo validates against (from the gateway's schema load); documents validated for another are validated again. */
  useSchema(schema: GraphQLSchema): void {
    this.schema = schema;
  }

  /** The parsed document of a query text; parse errors (syntax, too many tokens) are thrown as graphql-js raises them. */
  parse(source: string, options: { maxTokens?: number } = {}): DocumentNode {
    const hash = queryHashOf(source);
    const known = this.entries.get(hash);
    if (known) {
      this.touch(hash, known);
      return known.document;
    }
    const document = parse(source, { maxTokens: options.maxTokens });
    this.parses += 1;
    this.remember(hash, { document, bytes: source.length });
    return document;
  }

  /** Whether a document this cache parsed is valid GraphQL for the current schema (false when there is no schema yet). */
  isValid(document: DocumentNode): boolean {
    if (!this.schema) return false;
    const entry = this.byDocument.get(document);
    if (entry) return this.validated(entry);
    return validate(this.schema, document, specifiedRules).length === 0;
  }

  private validated(entry: Entry): boolean {
    if (!this.schema) return false;
    if (entry.validFor === this.schema) return true;
    if (validate(this.schema, entry.document, specifiedRules).length > 0) return false;
    entry.validFor = this.schema;
    return true;
  }

  // Apollo's document store (KeyValueCache): `get` before it parses, `set` after it has parsed and validated.
  async get(key: string): Promise<DocumentNode | undefined> {
    const entry = this.entries.get(queryHashOfKey(key));
    return entry && this.validated(entry) ? entry.document : undefined;
  }

  async set(key: string, document: DocumentNode): Promise<void> {
    const hash = queryHashOfKey(key);
    const known = this.entries.get(hash);
    if (known) {
      // Apollo parsed it itself (ours did not validate); keep Apollo's, which it has validated.
      known.document = document;
      known.validFor = this.schema;
      this.byDocument.set(document, known);
      return;
    }
    this.remember(hash, { document, bytes: 0, validFor: this.schema });
  }

  async delete(key: string): Promise<boolean | void> {
    const hash = queryHashOfKey(key);
    const entry = this.entries.get(hash);
    if (!entry) return false;
    this.entries.delete(hash);
    this.totalBytes -= entry.bytes;
    return true;
  }

  get size(): number {
    return this.entries.size;
  }

  private touch(hash: string, entry: Entry): void {
    this.entries.delete(hash);
    this.entries.set(hash, entry);
  }

  private remember(hash: string, entry: Entry): void {
    this.entries.set(hash, entry);
    this.byDocument.set(entry.document, entry);
    this.totalBytes += entry.bytes;
    while (this.entries.size > this.maxEntries || (this.totalBytes > this.maxBytes && this.entries.size > 1)) {
      const [oldest, evicted] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(oldest);
      this.totalBytes -= evicted.bytes;
    }
  }
}
