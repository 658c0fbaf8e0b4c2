import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { DEMO_PARTNERS, maskName, signInternalToken, type DemoPartnerKey } from '@union/common';
import { errorCodes, gql, memberToken, partnerToken, requestToken } from '../testkit/client';
import { startSystem, type RunningSystem } from '../testkit/system';
import { eventually, handMadeJwt, postRaw, sql, statementsDuring, SUBGRAPHS } from './access-support';

/**
 * Partner access through the real gateway: every bad input of issue 3, scopes enforced before
 * planning, union subtrees, limits, the rate limit, revocation and access records. The gateway
 * signs with a key this suite knows, so that it can forge expired and foreign-audience tokens.
 */

const signingKey = generateKeyPairSync('ed25519');
const PARTNER_CACHE_SECONDS = 1;

let system: RunningSystem;
const tokens: Partial<Record<DemoPartnerKey, string>> = {};
const token = (partner: DemoPartnerKey) => tokens[partner]!;

beforeAll(async () => {
  system = await startSystem({
    env: {
      JWT_PRIVATE_KEY_PEM: signingKey.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      PARTNER_CACHE_SECONDS: String(PARTNER_CACHE_SECONDS),
    },
  });
  for (const partner of Object.keys(DEMO_PARTNERS) as DemoPartnerKey[]) tokens[partner] = await partnerToken(system, partner);
  await sortMembersBySubtree();
});
afterAll(() => system?.stop());

const partnerOf = (key: DemoPartnerKey) => system.credentials.partners[key];
/** Fixture members by subtree, as the sibling district's own token sees them. */
const siblingIds = new Set<string>();
const siblingMembers = () => system.credentials.members.filter((m) => siblingIds.has(m.id));
const districtMembers = () => system.credentials.members.filter((m) => !siblingIds.has(m.id));

async function sortMembersBySubtree(): Promise<void> {
  const members = system.credentials.members;
  for (let start = 0; start < members.length; start += 15) {
    const chunk = members.slice(start, start + 15);
    const query = `{ ${chunk.map((m, i) => `m${i}: member(id: "${m.id}") { id }`).join(' ')} }`;
    const res = await gql(system, token('siblingDistrictUnion'), query);
    for (const found of Object.values(res.body.data ?? {})) if (found) siblingIds.add((found as { id: string }).id);
  }
  if (siblingIds.size < 2 || siblingIds.size === members.length) throw new Error('the demo fixtures lack members in both districts');
}

/** A token signed with the gateway's own key: only the claims can make it wrong. */
const signedToken = (claims: Record<string, unknown>) =>
  handMadeJwt(
    {
      sub: DEMO_PARTNERS.hospital.id,
      kind: 'HOSPITAL',
      scope: 'member:verify',
      name: DEMO_PARTNERS.hospital.name,
      client_id: partnerOf('hospital').clientId,
      ...claims,
    },
    { key: signingKey.privateKey },
  );

describe('tokens: every bad credential gets its documented error', () => {
  it('a wrong secret and an unknown client get 401 invalid_client from the token endpoint', async () => {
    const { clientId } = partnerOf('hospital');
    for (const [id, secret] of [
      [clientId, 'not-the-secret-not-the-secret-not-the-secret'],
      ['cl_unknownclientunknown', partnerOf('hospital').clientSecret],
    ]) {
      const response = await fetch(system.credentials.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: id, client_secret: secret }).toString(),
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'invalid_client' });
    }
  });

  it('a token signed by the gateway key works (control for the forgeries below)', async () => {
    const res = await gql(system, signedToken({}), '{ viewer { kind id } }');
    expect(res.status).toBe(200);
    expect(res.body.data!.viewer).toEqual({ kind: 'HOSPITAL', id: DEMO_PARTNERS.hospital.id });
  });

  it.each([
    ['expired', () => signedToken({ iat: Math.floor(Date.now() / 1000) - 900, exp: Math.floor(Date.now() / 1000) - 300 }), /expired/],
    ['for another audience', () => signedToken({ aud: 'someone-elses-api' }), /aud/],
    ['from another issuer', () => signedToken({ iss: 'https://evil.example' }), /iss/],
    [
      'signed by another key',
      () =>
        handMadeJwt(
          { sub: DEMO_PARTNERS.hospital.id, kind: 'HOSPITAL', scope: 'member:verify', name: 'x' },
          { key: generateKeyPairSync('ed25519').privateKey },
        ),
      /signature/,
    ],
    [
      'unsigned (alg: none)',
      () =>
        handMadeJwt({ sub: DEMO_PARTNERS.cityUnion.id, kind: 'UNION', scope: 'member:read member:pii', name: 'x', org: partnerOf('cityUnion').organizationId }),
      /algorithm|malformed/,
    ],
    ['claiming scopes its kind may never hold', () => signedToken({ scope: 'member:verify member:pii' }), /malformed/],
    ['not a JWT at all', () => 'hello', /malformed/],
  ])('a token %s is refused with 401 UNAUTHENTICATED', async (_, make, reason) => {
    const res = await gql(system, make(), '{ viewer { id } }');
    expect(res.status).toBe(401);
    expect(errorCodes(res)).toEqual(['UNAUTHENTICATED']);
    expect(res.body.errors![0].message).toMatch(reason);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('a disabled partner gets no new token, and its existing token stops working within the cache window', async () => {
    const partner = partnerOf('otherHospital');
    const existing = await partnerToken(system, 'otherHospital');
    expect((await gql(system, existing, '{ viewer { id } }')).status).toBe(200);
    await sql(system, `UPDATE gateway.partners SET status = 'disabled', disabled_at = now() WHERE id = $1`, [partner.id]);
    try {
      expect(await requestToken(system, 'otherHospital')).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
      const waited = await eventually(async () => (await gql(system, existing, '{ viewer { id } }')).status === 401, (PARTNER_CACHE_SECONDS + 2) * 1000);
      expect(waited).toBeLessThanOrEqual((PARTNER_CACHE_SECONDS + 1) * 1000);
      const res = await gql(system, existing, '{ viewer { id } }');
      expect(errorCodes(res)).toEqual(['UNAUTHENTICATED']);
      expect(res.body.errors![0].message).toMatch(/disabled/);
    } finally {
      await sql(system, `UPDATE gateway.partners SET status = 'active', disabled_at = NULL WHERE id = $1`, [partner.id]);
    }
    await eventually(async () => (await gql(system, existing, '{ viewer { id } }')).status === 200, (PARTNER_CACHE_SECONDS + 2) * 1000);
  });

  it('subgraphs refuse a forged internal header sent straight to them', async () => {
    const principal = { kind: 'PLATFORM', id: DEMO_PARTNERS.platform.id, name: 'forger', scopes: ['member:read'] };
    const forgeries = [
      await signInternalToken(principal as never, 'a-secret-that-is-not-the-internal-secret-at-all'),
      token('platform'),
      handMadeJwt({ p: principal, iss: 'union-gateway', aud: 'union-subgraphs' }),
      'garbage',
    ];
    for (const name of SUBGRAPHS) {
      for (const forged of forgeries) {
        const response = await fetch(system.subgraphUrls[name], {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-union-internal-token': forged },
          body: JSON.stringify({ query: '{ _service { sdl } }' }),
        });
        expect(response.status).toBe(401);
        expect(await response.text()).toContain('UNAUTHENTICATED');
      }
    }
  });
});

describe('viewer', () => {
  it.each(Object.keys(DEMO_PARTNERS) as DemoPartnerKey[])('answers who %s is, with its scopes and organization', async (key) => {
    const res = await gql(system, token(key), '{ viewer { kind id name scopes organization { id } } }');
    expect(res.body.errors).toBeUndefined();
    const viewer = res.body.data!.viewer;
    expect(viewer).toMatchObject({ kind: DEMO_PARTNERS[key].kind, id: DEMO_PARTNERS[key].id, name: DEMO_PARTNERS[key].name });
    expect(viewer.scopes.length).toBeGreaterThan(0);
    expect(viewer.organization).toEqual(partnerOf(key).organizationId ? { id: partnerOf(key).organizationId } : null);
  });

  it('answers for a MEMBER token: the member, masked, with member:self', async () => {
    const member = districtMembers()[2];
    const res = await gql(system, await memberToken(system, member.id), '{ viewer { kind id name scopes organization { id } } }');
    expect(res.body.data!.viewer).toEqual({ kind: 'MEMBER', id: member.id, name: maskName(member.fullName), scopes: ['member:self'], organization: null });
  });
});

describe('scopes are enforced at the gateway, before any subgraph is called', () => {
  it('a hospital cannot list members: FORBIDDEN naming member:read, and no subgraph runs a statement', async () => {
    let res!: Awaited<ReturnType<typeof gql>>;
    const statements = await statementsDuring(system, async () => {
      res = await gql(system, token('hospital'), 'query ($id: ID!) { organization(id: $id) { members { nodes { id fullName } } } }', {
        id: partnerOf('cityUnion').organizationId,
      });
    });
    expect(res.status).toBe(403);
    expect(errorCodes(res)).toEqual(['FORBIDDEN']);
    expect(res.body.errors![0].message).toMatch(/member:read/);
    expect(res.body.data ?? null).toBeNull();
    expect(statements).toEqual({ member: 0, benefit: 0, points: 0 });
  });

  it('a token narrowed to fewer scopes is held to them (a union without member:write cannot enroll)', async () => {
    const narrowed = await partnerToken(system, 'districtUnion', 'member:read');
    const statements = await statementsDuring(system, async () => {
      const res = await gql(
        system,
        narrowed,
        'mutation ($o: ID!) { enrollMember(input: { organizationId: $o, fullName: "张三", idNumber: "11010519491231002X", phone: "13800000000" }) { id } }',
        { o: partnerOf('districtUnion').organizationId },
      );
      expect(errorCodes(res)).toEqual(['FORBIDDEN']);
      expect(res.body.errors![0].message).toMatch(/member:write/);
    });
    expect(statements).toEqual({ member: 0, benefit: 0, points: 0 });
  });

  it('the error names every alternative when a field accepts several scopes', async () => {
    const verifyOnly = await partnerToken(system, 'hospital', 'member:verify');
    const res = await gql(system, verifyOnly, '{ voucherBatch(id: "x") { id } }');
    expect(errorCodes(res)).toEqual(['FORBIDDEN']);
    expect(res.body.errors![0].message).toMatch(/member:self or voucher:redeem/);
  });
});

describe('union subtrees', () => {
  it('a district union sees its own district, with personal data', async () => {
    const member = districtMembers()[0];
    const res = await gql(
      system,
      token('districtUnion'),
      'query ($org: ID!, $m: ID!) { organization(id: $org) { id members(first: 3) { totalCount nodes { id } } } member(id: $m) { id fullName } }',
      { org: partnerOf('districtUnion').organizationId, m: member.id },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.organization.members.totalCount).toBeGreaterThanOrEqual(10);
    expect(res.body.data!.member).toEqual({ id: member.id, fullName: member.fullName });
  });

  it('a district union does not see its sibling district, nor the city one level up: they do not exist for it', async () => {
    const sibling = siblingMembers()[0];
    const res = await gql(
      system,
      token('districtUnion'),
      'query ($sib: ID!, $city: ID!, $m: ID!) { sibling: organization(id: $sib) { id } city: organization(id: $city) { id } member(id: $m) { id fullName } }',
      { sib: partnerOf('siblingDistrictUnion').organizationId, city: partnerOf('cityUnion').organizationId, m: sibling.id },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toEqual({ sibling: null, city: null, member: null });
  });

  it('a member reached through the parent organization of its own district stays out of reach', async () => {
    // The district's own organization is visible, its parent is not: the walk up stops at the subtree root.
    const res = await gql(
      system,
      token('districtUnion'),
      'query ($org: ID!) { organization(id: $org) { id parent { id members(first: 5) { nodes { id } } } } }',
      {
        org: partnerOf('districtUnion').organizationId,
      },
    );
    expect(res.body.data?.organization?.parent ?? null).toBeNull();
    expect(JSON.stringify(res.body)).not.toContain(siblingMembers()[0].id);
  });
});

describe('limits: each answered QUERY_TOO_COMPLEX before any subgraph is called', () => {
  async function refused(query: string, limit: string) {
    let res!: Awaited<ReturnType<typeof postRaw>>;
    const statements = await statementsDuring(system, async () => {
      res = await postRaw(system, token('cityUnion'), JSON.stringify({ query }));
    });
    expect(res.status).toBe(400);
    const body = res.json();
    expect(body.errors![0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit });
    expect(body.errors![0].message.length).toBeGreaterThan(10);
    expect(statements).toEqual({ member: 0, benefit: 0, points: 0 });
    return body.errors![0];
  }

  it('depth 50', async () => {
    const error = await refused(`{ organization(id: "x") { ${'parent { '.repeat(48)}id${' }'.repeat(48)} } }`, 'depth');
    expect(error.message).toMatch(/nested 50 levels deep; the limit is 15/);
  });

  it('10,000 aliases', async () => {
    const query = `{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}:__typename`).join(' ')} }`;
    await refused(query, 'documentSize');
  });

  it('60 aliases in a small document', async () => {
    await refused(`{ ${Array.from({ length: 60 }, (_, i) => `a${i}:__typename`).join(' ')} }`, 'aliases');
  });

  it('500 aliases of verifyMemberCard cannot try 500 card tokens', async () => {
    const query = `mutation { ${Array.from({ length: 500 }, (_, i) => `v${i}: verifyMemberCard(token: "guess${i}", purpose: HOSPITAL_DISCOUNT) { valid }`).join(' ')} }`;
    const statements = await statementsDuring(system, async () => {
      const res = await postRaw(system, token('hospital'), JSON.stringify({ query }));
      expect(res.status).toBe(400);
      expect(res.json().errors![0].extensions!.code).toBe('QUERY_TOO_COMPLEX');
    });
    expect(statements).toEqual({ member: 0, benefit: 0, points: 0 });
  });

  it('more top-level fields than allowed', async () => {
    await refused(`{ ${Array.from({ length: 25 }, (_, i) => `v${i}: viewer { id }`).join(' ')} }`, 'rootFields');
  });

  it('a cost over the per-operation budget (lists cost by their `first`)', async () => {
    const error = await refused(`{ organization(id: "x") { members(first: 100) { nodes { vouchers(first: 100) { nodes { id } } } } } }`, 'cost');
    expect(error.extensions).toMatchObject({ value: 1 + 1 + 100 * (1 + 1 + 100), max: 5000 });
  });

  it('a 10 MB body gets 413 QUERY_TOO_COMPLEX', async () => {
    const body = JSON.stringify({ query: '{ viewer { id } }', variables: { padding: 'x'.repeat(10 * 1024 * 1024) } });
    const res = await postRaw(system, token('cityUnion'), body);
    expect(res.status).toBe(413);
    expect(res.json().errors![0].extensions!.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('batched requests are off', async () => {
    const res = await postRaw(system, token('cityUnion'), JSON.stringify([{ query: '{ viewer { id } }' }, { query: '{ viewer { id } }' }]));
    expect(res.status).toBe(400);
    expect(res.json().errors![0].message).toMatch(/batched/);
  });

  it('automatic persisted queries are off: a hash without the query text is BAD_USER_INPUT, and nothing runs', async () => {
    const persistedQuery = { version: 1, sha256Hash: 'ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38' };
    for (const body of [{ extensions: { persistedQuery } }, { query: '{ viewer { id } }', extensions: { persistedQuery } }]) {
      let res!: Awaited<ReturnType<typeof postRaw>>;
      const statements = await statementsDuring(system, async () => {
        res = await postRaw(system, token('cityUnion'), JSON.stringify(body));
      });
      const error = res.json().errors![0];
      // The message Apollo's clients look for to fall back to sending the query text.
      expect(error).toEqual({ message: 'PersistedQueryNotSupported', extensions: { code: 'BAD_USER_INPUT' } });
      expect(statements).toEqual({ member: 0, benefit: 0, points: 0 });
    }
  });

  it('a query within the limits still works, fragments and all', async () => {
    const res = await gql(system, token('cityUnion'), '{ viewer { ...V } } fragment V on Viewer { id kind }');
    expect(res.body.data!.viewer).toEqual({ id: DEMO_PARTNERS.cityUnion.id, kind: 'UNION' });
  });
});

describe('rate limit (operation cost per partner per minute)', () => {
  const setRate = (partner: DemoPartnerKey, perMinute: number | null) =>
    sql(system, `UPDATE gateway.partners SET rate_limit_per_minute = $2 WHERE id = $1`, [partnerOf(partner).id, perMinute]);
  const settle = () => new Promise((resolve) => setTimeout(resolve, PARTNER_CACHE_SECONDS * 1000 + 200));

  afterEach(async () => {
    await setRate('merchant', null);
    await setRate('travelPartner', null);
    await setRate('otherHospital', null);
    await setRate('hospital', null);
  });

  it('answers 429 RATE_LIMITED with Retry-After once the partner has spent its budget', async () => {
    await setRate('merchant', 120);
    await settle();
    const rewards = '{ rewards(first: 50) { nodes { id } } }'; // costs 1 + 50 = 51
    expect((await gql(system, token('merchant'), rewards)).status).toBe(200);
    expect((await gql(system, token('merchant'), rewards)).status).toBe(200);
    const limited = await gql(system, token('merchant'), rewards);
    expect(limited.status).toBe(429);
    expect(errorCodes(limited)).toEqual(['RATE_LIMITED']);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.body.errors![0].extensions).toMatchObject({ cost: 51, budgetPerMinute: 120, retryAfterSeconds: retryAfter });
    // Other partners are not affected.
    expect((await gql(system, token('travelPartner'), rewards)).status).toBe(200);
  });

  it('counts cost, not requests: an operation bigger than the whole budget is refused outright', async () => {
    await setRate('merchant', 30);
    await settle();
    const res = await gql(system, token('merchant'), '{ rewards(first: 50) { nodes { id } } }');
    expect(res.status).toBe(429);
    expect(res.body.errors![0].message).toMatch(/more than your whole budget of 30/);
  });

  it('failed guesses cost extra, even when the answer leaves out `valid` and `reason`', async () => {
    await setRate('travelPartner', 300);
    await settle();
    const guess = (code: string) =>
      gql(system, token('travelPartner'), 'mutation ($c: String!) { validateVoucher(code: $c, orderAmountFen: 10000) { discountFen } }', { c: code });
    // Each costs 10 up front; each wrong code 250 more afterwards: the third attempt finds the budget spent.
    expect((await guess('NO-SUCH-CODE-1')).status).toBe(200);
    expect((await guess('NO-SUCH-CODE-2')).status).toBe(200);
    const third = await guess('NO-SUCH-CODE-3');
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(30);
  });

  it('forged card codes count as failed guesses too (verifyMemberCard answering TOKEN_INVALID)', async () => {
    await setRate('hospital', 300);
    await settle();
    const scan = (code: string) =>
      gql(system, token('hospital'), 'mutation ($t: String!) { verifyMemberCard(token: $t, purpose: HOSPITAL_DISCOUNT) { verificationId } }', { t: code });
    const first = await scan('forged-code-1');
    expect(first.status).toBe(200);
    expect(first.body.data!.verifyMemberCard).toEqual({ verificationId: null });
    expect((await scan('forged-code-2')).status).toBe(200);
    expect((await scan('forged-code-3')).status).toBe(429);
  });

  it('without wrong guesses the same budget lasts: ten operations of cost 10 pass', async () => {
    await setRate('otherHospital', 300);
    await settle();
    const verifications = '{ a: viewer { id } b: viewer { id } c: viewer { id } d: viewer { id } e: viewer { id } }';
    for (let i = 0; i < 10; i += 1) expect((await gql(system, token('otherHospital'), verifications)).status).toBe(200);
  });
});

describe('access records', () => {
  const auditRows = (partnerId: string) =>
    sql<{ operation_name: string | null; member_ids: string[]; fields: string[]; principal_kind: string; detail: Record<string, unknown> }>(
      system,
      `SELECT operation_name, member_ids, fields, principal_kind, detail FROM gateway.audit_records WHERE partner_id = $1 ORDER BY id`,
      [partnerId],
    );
  /** An export's record is written once the connection settled (EXPORT_DELIVERY_GRACE_MS at most after the last byte). */
  const exportRecordsAfter = async (partnerId: string, before: number) => {
    const until = Date.now() + 15_000;
    for (;;) {
      const rows = (await auditRows(partnerId)).slice(before);
      if (rows.length > 0 || Date.now() > until) return rows;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  it('a response with unmasked personal data appends one record: partner, operation, members, fields', async () => {
    const before = (await auditRows(DEMO_PARTNERS.districtUnion.id)).length;
    const member = districtMembers()[3];
    const res = await gql(system, token('districtUnion'), 'query LookUpMember($m: ID!) { member(id: $m) { fullName phone cardNumber } }', { m: member.id });
    expect(res.body.data!.member).toMatchObject({ fullName: member.fullName, cardNumber: member.cardNumber });
    expect(JSON.stringify(res.body)).not.toContain('unionAccessReport');
    const rows = (await auditRows(DEMO_PARTNERS.districtUnion.id)).slice(before);
    expect(rows).toEqual([
      expect.objectContaining({
        operation_name: 'LookUpMember',
        principal_kind: 'UNION',
        member_ids: [member.id],
        fields: ['cardNumber', 'fullName', 'phone'],
      }),
    ]);
    expect(rows[0].detail).toMatchObject({ requestId: res.headers.get('x-request-id') });
  });

  it('a list of members appends one record naming every member shown unmasked', async () => {
    const before = (await auditRows(DEMO_PARTNERS.districtUnion.id)).length;
    const res = await gql(system, token('districtUnion'), 'query ($org: ID!) { organization(id: $org) { members(first: 4) { nodes { id fullName } } } }', {
      org: partnerOf('districtUnion').organizationId,
    });
    const shown = res.body.data!.organization.members.nodes.map((m: { id: string }) => m.id).sort();
    const rows = (await auditRows(DEMO_PARTNERS.districtUnion.id)).slice(before);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ member_ids: shown, fields: ['fullName'] });
  });

  it('masked responses append nothing', async () => {
    const narrowed = await partnerToken(system, 'cityUnion', 'member:read');
    const platformBefore = (await auditRows(DEMO_PARTNERS.platform.id)).length;
    const cityBefore = (await auditRows(DEMO_PARTNERS.cityUnion.id)).length;
    const districtBefore = (await auditRows(DEMO_PARTNERS.districtUnion.id)).length;
    const member = districtMembers()[4];
    const query = 'query ($m: ID!) { member(id: $m) { displayName fullName phone cardNumber } }';
    for (const caller of [narrowed, token('platform')]) {
      const res = await gql(system, caller, query, { m: member.id });
      expect(res.body.data!.member).toMatchObject({ fullName: null, displayName: maskName(member.fullName) });
      expect(res.body.data!.member.cardNumber).not.toBe(member.cardNumber);
    }
    // Only fields that are not personal data: nothing to record either.
    await gql(system, token('districtUnion'), 'query ($m: ID!) { member(id: $m) { id displayName status } }', { m: member.id });
    expect(await auditRows(DEMO_PARTNERS.platform.id)).toHaveLength(platformBefore);
    expect(await auditRows(DEMO_PARTNERS.cityUnion.id)).toHaveLength(cityBefore);
    expect(await auditRows(DEMO_PARTNERS.districtUnion.id)).toHaveLength(districtBefore);
  });

  it('a member export appends one record with the filter and the row count', async () => {
    const before = (await auditRows(DEMO_PARTNERS.districtUnion.id)).length;
    const url = new URL('/exports/members', system.baseUrl);
    url.searchParams.set('organizationId', partnerOf('districtUnion').organizationId!);
    url.searchParams.set('format', 'ndjson');
    url.searchParams.set('status', 'ACTIVE');
    const response = await fetch(url, { headers: { authorization: `Bearer ${token('districtUnion')}` } });
    expect(response.status).toBe(200);
    const lines = (await response.text()).split('\n').filter((line) => line !== '');
    expect(lines.length).toBeGreaterThanOrEqual(10);
    const rows = await exportRecordsAfter(DEMO_PARTNERS.districtUnion.id, before);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ operation_name: 'GET /exports/members', fields: ['cardNumber', 'fullName', 'phone'] });
    expect(rows[0].detail).toMatchObject({
      export: true,
      rows: lines.length,
      complete: true,
      masked: false,
      format: 'ndjson',
      filter: { organizationId: partnerOf('districtUnion').organizationId, status: 'ACTIVE' },
    });
  });

  it('a CSV export counts data rows, not the header', async () => {
    const before = (await auditRows(DEMO_PARTNERS.districtUnion.id)).length;
    const url = new URL('/exports/members', system.baseUrl);
    url.searchParams.set('organizationId', partnerOf('districtUnion').organizationId!);
    const response = await fetch(url, { headers: { authorization: `Bearer ${token('districtUnion')}` } });
    expect(response.status).toBe(200);
    const lines = (await response.text()).split('\r\n').filter((line) => line !== '');
    const rows = await exportRecordsAfter(DEMO_PARTNERS.districtUnion.id, before);
    expect(rows[0].detail).toMatchObject({ rows: lines.length - 1, format: 'csv', complete: true });
  });

  it('the records cannot be changed or deleted', async () => {
    await expect(sql(system, `DELETE FROM gateway.audit_records`)).rejects.toThrow(/append-only/);
    await expect(sql(system, `UPDATE gateway.audit_records SET fields = '{}'`)).rejects.toThrow(/append-only/);
  });

  it('an unknown member id is no disclosure', async () => {
    const before = (await auditRows(DEMO_PARTNERS.districtUnion.id)).length;
    await gql(system, token('districtUnion'), 'query ($m: ID!) { member(id: $m) { fullName } }', { m: randomUUID() });
    expect(await auditRows(DEMO_PARTNERS.districtUnion.id)).toHaveLength(before);
  });
});
