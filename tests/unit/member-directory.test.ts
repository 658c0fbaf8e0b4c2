import {
  CoalescedLookup,
  coalescedLoader,
  MEMBER_DIRECTORY_ROUTES,
  memberDirectoryRoutes,
  type MemberFacts,
  readMemberAccessFacts,
  signMemberAccessFacts,
} from '@union/common';

/** The member directory contract: signed access facts and the routes' request validation. */

const SECRET = 'x'.repeat(40);
const facts: MemberFacts = {
  id: '11111111-1111-4111-8111-111111111111',
  status: 'ACTIVE',
  realNameVerified: true,
  organizationId: '22222222-2222-4222-8222-222222222222',
  organizationChain: ['22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333'],
};

describe('signed access facts', () => {
  it('reads back what was signed, for the member it names', () => {
    expect(readMemberAccessFacts(signMemberAccessFacts(facts, SECRET), facts.id, SECRET)).toEqual(facts);
  });

  it('refuses another secret, a changed payload, another member, an expired one and anything not a string', () => {
    const signed = signMemberAccessFacts(facts, SECRET);
    const [payload, mac] = signed.split('.');
    const widened = Buffer.from(
      JSON.stringify({ f: { ...facts, organizationChain: [...facts.organizationChain, '44444444-4444-4444-8444-444444444444'] }, e: Date.now() + 60_000 }),
    ).toString('base64url');
    expect(readMemberAccessFacts(signMemberAccessFacts(facts, 'y'.repeat(40)), facts.id, SECRET)).toBeNull();
    expect(readMemberAccessFacts(`${widened}.${mac}`, facts.id, SECRET)).toBeNull();
    expect(readMemberAccessFacts(`${payload}.${mac.slice(0, -2)}`, facts.id, SECRET)).toBeNull();
    expect(readMemberAccessFacts(signed, '55555555-5555-4555-8555-555555555555', SECRET)).toBeNull();
    expect(readMemberAccessFacts(signMemberAccessFacts(facts, SECRET, Date.now() - 31_000), facts.id, SECRET)).toBeNull();
    for (const junk of [undefined, null, 42, '', '.', 'abc', `${payload}.`]) expect(readMemberAccessFacts(junk, facts.id, SECRET)).toBeNull();
  });
});

describe('member directory routes', () => {
  it('registers every contract route and hands each handler only well-formed requests', async () => {
    const seen: unknown[] = [];
    const routes = memberDirectoryRoutes({
      memberFacts: async (request) => (seen.push(request), []),
      organizationFacts: async (request) => (seen.push(request), []),
      verification: async (request) => (seen.push(request), null),
    });
    expect(Object.keys(routes).sort()).toEqual(Object.values(MEMBER_DIRECTORY_ROUTES).sort());
    const caller = { kind: 'SERVICE' as const, id: 'test', name: 'test', scopes: ['internal'] };
    await routes[MEMBER_DIRECTORY_ROUTES.memberFacts]({ ids: [facts.id, 'not-a-uuid', 7] }, caller);
    await routes[MEMBER_DIRECTORY_ROUTES.organizationFacts]('nonsense', caller);
    expect(await routes[MEMBER_DIRECTORY_ROUTES.verification]({ id: "1' OR 1=1" }, caller)).toBeNull();
    await routes[MEMBER_DIRECTORY_ROUTES.verification]({ id: facts.id }, caller);
    expect(seen).toEqual([{ ids: [facts.id] }, { ids: [] }, { id: facts.id }]);
  });
});

describe('coalesced lookups', () => {
  const item = (id: string) => ({ id, label: `item ${id}` });
  const recorder = () => {
    const calls: Array<{ ids: string[]; requestId?: string }> = [];
    const fetch = async (ids: string[], requestId?: string) => {
      calls.push({ ids, requestId });
      return ids.filter((id) => id !== 'unknown').map(item);
    };
    return { calls, fetch };
  };

  it('sends the lookups of concurrent requests made in one turn as one call, each id once', async () => {
    const { calls, fetch } = recorder();
    const lookup = new CoalescedLookup(fetch, 100);
    const [a, b, c] = await Promise.all([lookup.get(['1', '2'], 'request-a'), lookup.get(['2', '3'], 'request-b'), lookup.get(['unknown'], 'request-c')]);
    expect(calls).toEqual([{ ids: ['1', '2', '3', 'unknown'], requestId: 'request-a' }]);
    expect([lookup.asked, lookup.calls]).toEqual([3, 1]);
    expect([a.get('1'), b.get('3'), c.get('unknown')]).toEqual([item('1'), item('3'), undefined]);
  });

  it('keeps nothing: a lookup in a later turn is a new call', async () => {
    const { calls, fetch } = recorder();
    const lookup = new CoalescedLookup(fetch, 100);
    await lookup.get(['1']);
    await lookup.get(['1']);
    expect(calls.map((call) => call.ids)).toEqual([['1'], ['1']]);
  });

  it('opens another call past the id limit, and a failed call fails every request it served', async () => {
    const { calls, fetch } = recorder();
    const capped = new CoalescedLookup(fetch, 3);
    await Promise.all([capped.get(['1', '2']), capped.get(['3', '4']), capped.get(['5'])]);
    expect(calls.map((call) => call.ids)).toEqual([
      ['1', '2'],
      ['3', '4', '5'],
    ]);

    const failing = new CoalescedLookup<{ id: string }>(async () => {
      throw new Error('member subgraph unavailable');
    }, 100);
    const answers = await Promise.allSettled([failing.get(['1']), failing.get(['2'])]);
    expect(answers.map((answer) => answer.status)).toEqual(['rejected', 'rejected']);
  });

  it('per-request loaders of one turn share one read; each request maps its own rows and keeps its own answers', async () => {
    const { calls, fetch } = recorder();
    const lookup = new CoalescedLookup(fetch, 100);
    const toEntity = (row: { id: string; label: string }) => ({ ...row });
    const requestA = coalescedLoader(lookup, toEntity);
    const requestB = coalescedLoader(lookup, toEntity);
    const [a1, a2, b1, unknown] = await Promise.all([requestA.load('1'), requestA.load('2'), requestB.load('1'), requestB.load('unknown')]);
    expect(calls.map((call) => call.ids)).toEqual([['1', '2', 'unknown']]);
    expect([a1, a2, b1, unknown]).toEqual([item('1'), item('2'), item('1'), null]);
    // The same row, two objects: what one request's resolvers do to theirs, the other never sees.
    expect(a1).not.toBe(b1);
    // A request asking again is answered from its own loader; another request's asks anew.
    await requestA.load('1');
    expect(calls).toHaveLength(1);
    await coalescedLoader(lookup, toEntity).load('1');
    expect(calls).toHaveLength(2);
  });

  it('composite keys go by the id the loader names them with', async () => {
    const { calls, fetch } = recorder();
    const lookup = new CoalescedLookup(fetch, 100);
    const loader = coalescedLoader(
      lookup,
      (row) => row.label,
      (key: { member: string; status: string }) => `${key.member}:${key.status}`,
    );
    const labels = await loader.loadMany([
      { member: 'm', status: 'ISSUED' },
      { member: 'm', status: 'ISSUED' },
      { member: 'm', status: 'USED' },
    ]);
    expect(labels).toEqual(['item m:ISSUED', 'item m:ISSUED', 'item m:USED']);
    expect(calls.map((call) => call.ids)).toEqual([['m:ISSUED', 'm:USED']]);
  });
});
