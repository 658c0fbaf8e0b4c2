import { createHmac } from 'node:crypto';
import { GraphQLError, Kind } from 'graphql';
import { CursorCodec, DateScalar, DateTimeScalar, signInternalToken, verifyInternalToken, type Principal } from '@union/common';

/** The contract error code a scalar answers `value` with, or 'ok'. */
function codeOf(parse: () => unknown): string {
  try {
    parse();
    return 'ok';
  } catch (error) {
    return error instanceof GraphQLError ? String(error.extensions.code) : `threw ${String(error)}`;
  }
}

describe('DateTime and Date scalars', () => {
  it('read an instant with an offset', () => {
    expect(DateTimeScalar.parseValue('2026-03-01T09:30:00+08:00')).toEqual(new Date('2026-03-01T01:30:00Z'));
    expect(DateTimeScalar.parseLiteral({ kind: Kind.STRING, value: '2024-02-29T00:00Z' })).toEqual(new Date('2024-02-29T00:00:00Z'));
  });

  it('refuse a day that is not in the calendar as BAD_USER_INPUT, instead of rolling it over into the next month', () => {
    for (const value of ['2026-02-29T00:00:00+08:00', '2026-02-30T10:00:00Z', '2026-04-31T00:00:00+08:00', '2026-13-01T00:00:00Z', '2026-01-01']) {
      expect([value, codeOf(() => DateTimeScalar.parseValue(value))]).toEqual([value, 'BAD_USER_INPUT']);
    }
    for (const value of ['2026-02-30', '2026-02-29', '2026-1-01']) {
      expect([value, codeOf(() => DateScalar.parseValue(value))]).toEqual([value, 'BAD_USER_INPUT']);
    }
    expect(DateScalar.parseValue('2024-02-29')).toBe('2024-02-29');
  });
});

describe('internal tokens (gateway -> subgraph)', () => {
  const secret = 's'.repeat(40);
  const principal: Principal = { kind: 'HOSPITAL', id: '00000000-0000-4000-8000-000000000001', name: 'x', scopes: ['member:verify'] };
  /** An HS256 JWT made by hand (jose is a dependency of the services, not of the tests). */
  const signed = (claims: { exp?: number }) => {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const body = `${part({ alg: 'HS256' })}.${part({ p: principal, iss: 'union-gateway', aud: 'union-subgraphs', iat: Math.floor(Date.now() / 1000), ...claims })}`;
    return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
  };

  it('carry the principal, and only under the shared secret', async () => {
    await expect(verifyInternalToken(await signInternalToken(principal, secret), secret)).resolves.toEqual(principal);
    await expect(verifyInternalToken(await signInternalToken(principal, 'o'.repeat(40)), secret)).rejects.toThrow();
  });

  it('are refused once expired, and refused without an expiry at all', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect(verifyInternalToken(signed({ exp: now + 60 }), secret)).resolves.toEqual(principal);
    await expect(verifyInternalToken(signed({ exp: now - 1 }), secret)).rejects.toThrow(/exp/);
    await expect(verifyInternalToken(signed({}), secret)).rejects.toThrow(/exp/);
  });
});

describe('keyset cursors', () => {
  const secret = 's'.repeat(40);
  const cursors = new CursorCodec(secret);

  it('round-trip a position for the list they name', () => {
    const cursor = cursors.encode('members:org-1', ['/1/2/', 'id-9']);
    expect(cursors.decode('members:org-1', cursor)).toEqual(['/1/2/', 'id-9']);
    expect(cursors.decode('members:org-1', null)).toBeNull();
  });

  it('refuse a cursor of another list, an edited one, and garbage with BAD_USER_INPUT', () => {
    const cursor = cursors.encode('members:org-1', ['/1/2/', 'id-9']);
    const [body, signature] = cursor.split('.');
    const edited = `${Buffer.from(JSON.stringify(['members:org-1', ['/1/', 'id-1']])).toString('base64url')}.${signature}`;
    for (const bad of [
      () => cursors.decode('members:org-2', cursor),
      () => cursors.decode('members:org-1', edited),
      () => cursors.decode('members:org-1', body),
    ]) {
      expect(codeOf(bad)).toBe('BAD_USER_INPUT');
    }
  });

  it('sign with a key of their own, not the service secret itself', () => {
    const [body, signature] = cursors.encode('rewards', [1]).split('.');
    expect(signature).not.toBe(createHmac('sha256', secret).update(body).digest('base64url').slice(0, 22));
    expect(codeOf(() => new CursorCodec('t'.repeat(40)).decode('rewards', `${body}.${signature}`))).toBe('BAD_USER_INPUT');
  });
});
