import { buildSchema, parse } from 'graphql';
import { ParsedDocuments, queryHashOf } from '../../../gateway/src/parsed-documents';

const schema = buildSchema('type Query { a: Int b: Int }');
const key = (query: string) => `schemahash:${queryHashOf(query)}`;

describe('ParsedDocuments (the one parse of a query text, shared with Apollo)', () => {
  it('parses a query text once and hands the same document out again', () => {
    const documents = new ParsedDocuments();
    const first = documents.parse('{ a }');
    expect(documents.parse('{ a }')).toBe(first);
    expect(documents.parses).toBe(1);
  });

  it("gives Apollo's document store only documents valid for the schema Apollo serves", async () => {
    const documents = new ParsedDocuments();
    const valid = documents.parse('{ a }');
    documents.parse('{ c }');
    expect(await documents.get(key('{ a }'))).toBeUndefined(); // no schema yet: nothing is known valid
    documents.useSchema(schema);
    expect(await documents.get(key('{ a }'))).toBe(valid);
    expect(await documents.get(key('{ c }'))).toBeUndefined();
    expect(documents.isValid(valid)).toBe(true);
    expect(await documents.get(key('{ never seen }'))).toBeUndefined();
  });

  it('keeps what Apollo parsed and validated itself', async () => {
    const documents = new ParsedDocuments();
    documents.useSchema(schema);
    const parsedByApollo = parse('{ b }');
    await documents.set(key('{ b }'), parsedByApollo);
    expect(await documents.get(key('{ b }'))).toBe(parsedByApollo);
    expect(await documents.delete(key('{ b }'))).toBe(true);
    expect(await documents.get(key('{ b }'))).toBeUndefined();
  });

  it('is bounded by entries and by query text size, the oldest going first', () => {
    const documents = new ParsedDocuments(2, 1_000_000);
    for (const q of ['{ a }', '{ b }', '{ a b }']) documents.parse(q);
    expect(documents.size).toBe(2);
    const bySize = new ParsedDocuments(100, 20);
    bySize.parse(`{ a ${' '.repeat(15)}}`);
    bySize.parse(`{ b ${' '.repeat(15)}}`);
    expect(bySize.size).toBe(1);
  });

  it('throws the parser errors, the token limit included', () => {
    const documents = new ParsedDocuments();
    expect(() => documents.parse('{ a ')).toThrow(/Syntax Error/);
    expect(() => documents.parse(`{ ${'a '.repeat(50)}}`, { maxTokens: 10 })).toThrow(/tokens/);
  });
});
