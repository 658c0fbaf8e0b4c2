import { join } from 'node:path';
import { GraphQLError } from 'graphql';
import { InputValidator } from '../../gateway/src/input-validation';
import { readSupergraph, supergraphSchema } from '../../gateway/src/supergraph';

/** Issue 10, item 5: every bad input refused at the gateway, before planning, naming the argument. */
const validator = new InputValidator(supergraphSchema(readSupergraph(join(__dirname, '..', '..', 'schema', 'supergraph.graphql'))));

function refusal(query: string, variables?: unknown, operationName?: unknown): { message: string; argument?: unknown } | null {
  try {
    validator.check({ query, variables, operationName });
    return null;
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect((error.extensions.http as { status: number }).status).toBe(400);
    return { message: error.message, argument: error.extensions.argument };
  }
}

const CLAIMS = (from: string) => `{ discountClaims(from: ${JSON.stringify(from)}, to: "2026-12-01T00:00:00+08:00") { totalCount } }`;
const CLAIMS_VARS = `query ($from: DateTime!) { discountClaims(from: $from, to: "2026-12-01T00:00:00+08:00") { totalCount } }`;

describe('DateTime and Date', () => {
  const bad = [
    '2026-11-01',
    '2026-11-01T00:00:00',
    '2026-11-01 00:00:00+08:00',
    '2026-02-30T00:00:00+08:00',
    '2026-13-01T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '0000-01-01T00:00:00Z',
    '1899-12-31T23:59:59Z',
    '+275760-09-13T00:00:00Z',
    '2026-01-01T00:00:00+25:00',
    '',
    'now',
  ];
  it.each(bad)('refuses %j as a literal and as a variable, naming the argument', (value) => {
    expect(refusal(CLAIMS(value))).toMatchObject({ argument: 'from', message: expect.stringContaining('argument "from" of Query.discountClaims') });
    expect(refusal(CLAIMS_VARS, { from: value })).toMatchObject({ argument: 'from' });
  });
  it('accepts instants with an offset, Z included, and leap days', () => {
    for (const value of ['2026-11-01T00:00:00+08:00', '2024-02-29T23:59:59.123Z', '1900-01-01T00:00:00-05:30', '9999-12-31T23:59:59Z']) {
      expect(refusal(CLAIMS(value))).toBeNull();
      expect(refusal(CLAIMS_VARS, { from: value })).toBeNull();
    }
  });
  it('checks input objects too (createVoucherBatch), and Date in filters', () => {
    const input = {
      programId: 'p',
      name: 'n',
      voucherKind: 'MEAL',
      faceValueFen: 100,
      totalQuantity: 1,
      claimStartsAt: '2026-02-30T00:00:00Z',
      claimEndsAt: '2026-03-01T00:00:00Z',
      validFrom: '2026-03-01T00:00:00Z',
      validTo: '2026-04-01T00:00:00Z',
      redeemablePartnerIds: [],
    };
    expect(refusal(`mutation ($input: CreateVoucherBatchInput!) { createVoucherBatch(input: $input) { id } }`, { input })).toMatchObject({
      argument: 'input.claimStartsAt',
    });
    expect(refusal(`{ organization(id: "o") { members(filter: { joinedFrom: "2026-02-30" }) { totalCount } } }`)).toMatchObject({
      argument: 'filter.joinedFrom',
    });
  });
});

describe('strings, money and counts', () => {
  it.each([
    ['NUL', 'a\u0000b'],
    ['escape', '\u001b[31m'],
    ['DEL', 'x\u007f'],
    ['C1', 'x\u0085'],
    ['lone high surrogate', 'x\ud800'],
    ['lone low surrogate', '\udc00x'],
  ])('refuses a %s in any string argument', (_name, value) => {
    expect(refusal(`query ($s: String) { organization(id: "o") { members(filter: { search: $s }) { totalCount } } }`, { s: value })).toMatchObject({
      argument: 'filter.search',
    });
    expect(refusal(`mutation ($r: String!) { voidDiscountClaim(claimId: "c", reason: $r) { id } }`, { r: value })).toMatchObject({ argument: 'reason' });
    expect(refusal(`query ($id: ID!) { member(id: $id) { id } }`, { id: value })).toMatchObject({ argument: 'id' });
  });
  it('accepts tabs, newlines, Chinese text and characters outside the BMP', () => {
    expect(refusal(`mutation ($r: String!) { voidDiscountClaim(claimId: "c", reason: $r) { id } }`, { r: '医保结算撤销\n第二行\t𠀀' })).toBeNull();
  });
  it('refuses a string over the length its description states', () => {
    expect(refusal(`mutation ($r: String!) { voidDiscountClaim(claimId: "c", reason: $r) { id } }`, { r: 'x'.repeat(501) })).toMatchObject({
      argument: 'reason',
    });
    expect(refusal(`mutation ($r: String!) { voidDiscountClaim(claimId: "c", reason: $r) { id } }`, { r: '撤'.repeat(500) })).toBeNull();
  });
  it('refuses money and counts over their bound', () => {
    expect(refusal(`mutation { quoteHospitalDiscount(verificationId: "v", selfPaidFen: 2147483647) { discountFen } }`)).toMatchObject({
      argument: 'selfPaidFen',
    });
    expect(refusal(`mutation { redeemReward(rewardId: "r", quantity: 101) { id } }`)).toMatchObject({ argument: 'quantity' });
    expect(refusal(`{ rewards(first: 101) { totalCount } }`)).toMatchObject({ argument: 'first' });
  });
});

describe('the request itself', () => {
  it('refuses several operations without operationName, and an unknown operationName', () => {
    expect(refusal(`query A { viewer { id } } query B { viewer { id } }`)?.message).toMatch(/2 operations/);
    expect(refusal(`query A { viewer { id } } query B { viewer { id } }`, undefined, 'C')?.message).toMatch(/no operation named "C"/);
    expect(refusal(`query A { viewer { id } } query B { viewer { id } }`, undefined, 'B')).toBeNull();
  });
  it.each([[[1]], ['{}'], [42], [true]])('refuses variables %j', (variables) => {
    expect(refusal(`{ viewer { id } }`, variables)?.message).toMatch(/variables/);
  });
  it('refuses a non-string operationName', () => {
    expect(refusal(`{ viewer { id } }`, undefined, 7)?.message).toMatch(/operationName/);
  });
});
