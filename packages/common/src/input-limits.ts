import { Kind, visit, type DocumentNode, type InputValueDefinitionNode, type TypeNode } from 'graphql';

/**
 * Upper bounds of every String and Int input (argument or input field), written into the schema
 * description at build time ("At most 200 characters.", "At most 100,000,000."), so a partner
 * reads them in the schema and the gateway enforces them from there (gateway/src/input-validation.ts)
 * before anything is planned. One table, by input name: a new field gets the default unless it is
 * listed, and its description says so either way.
 */
export const STRING_INPUT_MAX_LENGTH: Readonly<Record<string, number>> = {
  after: 512,
  cardNumber: 32,
  code: 64,
  employer: 200,
  fullName: 50,
  hospitalName: 200,
  idempotencyKey: 200,
  idNumber: 18,
  invitationCode: 128,
  invoiceNumber: 128,
  month: 7,
  name: 200,
  partnerOrderId: 128,
  phone: 20,
  reason: 500,
  rejectionReason: 500,
  search: 64,
  sourceRef: 200,
  token: 1024,
  url: 2048,
};
export const DEFAULT_STRING_MAX_LENGTH = 200;
/** IDs are opaque strings; ours are UUIDs (36 characters). Not written per argument: it is the same everywhere. */
export const ID_MAX_LENGTH = 100;

/** Money inputs (names ending in Fen): 10 million yuan, the largest amount any operation of this API deals in. */
export const MAX_MONEY_FEN = 1_000_000_000;
export const INT_INPUT_MAX: Readonly<Record<string, number>> = {
  amount: 1000,
  first: 100,
  maxApplications: 1_000_000,
  perMemberLimit: 10_000_000,
  pointsCost: 1_000_000,
  quantity: 100,
  rateBasisPoints: 10_000,
  stock: 1_000_000,
  totalQuantity: 10_000_000,
  validDaysAfterClaim: 3660,
};
/** Any other count. */
export const DEFAULT_INT_MAX = 1_000_000;

const STRING_LIMIT = /\bat most ([\d,]+) characters\b/i;
const INT_LIMIT = /\bat most ([\d,]+)\b/i;

export function maxStringLength(name: string): number {
  return STRING_INPUT_MAX_LENGTH[name] ?? DEFAULT_STRING_MAX_LENGTH;
}

export function maxIntValue(name: string): number {
  if (/Fen$/.test(name)) return MAX_MONEY_FEN;
  return INT_INPUT_MAX[name] ?? DEFAULT_INT_MAX;
}

/** The bound a description states ("At most 200 characters." / "at most 100."), or null. */
export function statedMaximum(description: string | undefined | null, kind: 'String' | 'Int'): number | null {
  const match = (kind === 'String' ? STRING_LIMIT : INT_LIMIT).exec(description ?? '');
  return match ? Number(match[1].replace(/,/g, '')) : null;
}

function namedType(type: TypeNode): string {
  return type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type);
}

function withLimit(node: InputValueDefinitionNode): InputValueDefinitionNode {
  const type = namedType(node.type);
  if (type !== 'String' && type !== 'Int') return node;
  const description = node.description?.value ?? '';
  if (statedMaximum(description, type) !== null) return node;
  const max = type === 'String' ? maxStringLength(node.name.value) : maxIntValue(node.name.value);
  const sentence = type === 'String' ? `At most ${max.toLocaleString('en-US')} characters.` : `At most ${max.toLocaleString('en-US')}.`;
  const text = description ? `${description.replace(/\s+$/, '')}${/[.!?)]$/.test(description.trim()) ? '' : '.'} ${sentence}` : sentence;
  return { ...node, description: { kind: Kind.STRING, value: text, block: false } };
}

/** Writes the bound of every String and Int argument and input field into its description (see above). */
export function annotateInputLimits(typeDefs: DocumentNode): DocumentNode {
  return visit(typeDefs, {
    FieldDefinition: {
      leave(node) {
        if (!node.arguments?.length) return undefined;
        return { ...node, arguments: node.arguments.map(withLimit) };
      },
    },
    InputObjectTypeDefinition: {
      leave(node) {
        if (!node.fields?.length) return undefined;
        return { ...node, fields: node.fields.map(withLimit) };
      },
    },
  });
}
