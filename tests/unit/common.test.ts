import { createHmac } from 'node:crypto';
import { GraphQLError, Kind, locatedError } from 'graphql';
import {
  contractError,
  CursorCodec,
  retryingDeadlocks,
  DateScalar,
  DateTimeScalar,
  signInternalToken,
  verifyInternalToken,
  type Principal,
} from '@union/common';

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
  /** An HS256 JWT made by hand, as RFC 7515 describes it: what any JWT library would make. */
  const signed = (claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'HS256' }) => {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const body = `${part(header)}.${part({ p: principal, iss: 'union-gateway', aud: 'union-subgraphs', iat: Math.floor(Date.now() / 1000), ...claims })}`;
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

  it('are standard HS256 JWTs, and nothing else is accepted: another header, issuer or audience, a changed payload', async () => {
    const token = await signInternalToken(principal, secret, 30);
    const [header, payload, signature] = token.split('.');
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'HS256' });
    expect(createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url')).toBe(signature);
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    expect(claims).toMatchObject({ p: principal, iss: 'union-gateway', aud: 'union-subgraphs' });
    expect(claims.exp - claims.iat).toBe(30);

    const exp = Math.floor(Date.now() / 1000) + 60;
    await expect(verifyInternalToken(signed({ exp }, { alg: 'HS256', typ: 'JWT' }), secret)).rejects.toThrow(/malformed/);
    await expect(verifyInternalToken(signed({ exp }, { alg: 'none' }).replace(/[^.]+$/, ''), secret)).rejects.toThrow(/malformed/);
    await expect(verifyInternalToken(signed({ exp, iss: 'someone-else' }), secret)).rejects.toThrow(/not for us/);
    await expect(verifyInternalToken(signed({ exp, aud: 'another-api' }), secret)).rejects.toThrow(/not for us/);
    const widened = Buffer.from(JSON.stringify({ ...claims, p: { ...principal, scopes: ['member:verify', 'member:pii'] } })).toString('base64url');
    await expect(verifyInternalToken(`${header}.${widened}.${signature}`, secret)).rejects.toThrow(/signature/);
    await expect(verifyInternalToken(`${token}=`, secret)).rejects.toThrow(/malformed/);
    await expect(verifyInternalToken(token, secret)).resolves.toEqual(principal);
  });
});

describe('contract errors', () => {
  it('carry their code and message but no stack frames, also once graphql-js has located them; other errors keep theirs', () => {
    const refusal = contractError('SOLD_OUT', 'sold out', { batchId: 'b' });
    expect(refusal).toBeInstanceOf(GraphQLError);
    expect(refusal.extensions).toEqual({ batchId: 'b', code: 'SOLD_OUT' });
    const located = locatedError(refusal, undefined, ['claimVoucher']);
    expect(located.extensions.code).toBe('SOLD_OUT');
    expect(located.stack).not.toMatch(/\n\s+at /);
    expect(new Error('a fault').stack).toMatch(/\n\s+at /);
    expect(Error.stackTraceLimit).toBeGreaterThan(0);
  });
});

describe('retryingDeadlocks', () => {
  const failing = (codes: string[]) => {
    let calls = 0;
    const attempt = async () => {
      const code = codes[calls++];
      if (code) throw Object.assign(new Error(code), { code });
      return calls;
    };
    return { attempt, calls: () => calls };
  };

  it('runs work PostgreSQL aborted to break a deadlock again, up to three times in all, and nothing else', async () => {
    const twice = failing(['40P01', '40P01']);
    await expect(retryingDeadlocks(twice.attempt)).resolves.toBe(3);
    const always = failing(['40P01', '40P01', '40P01', '40P01']);
    await expect(retryingDeadlocks(always.attempt)).rejects.toMatchObject({ code: '40P01' });
    expect(always.calls()).toBe(3);
    const other = failing(['23505']);
    await expect(retryingDeadlocks(other.attempt)).rejects.toMatchObject({ code: '23505' });
    expect(other.calls()).toBe(1);
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
