import { randomUUID } from 'node:crypto';
import { hasScope, isUuid, type Principal } from '@union/common';
import type { MemberContext } from '../../context';
import { MemberErrors } from '../../errors';
import type { MemberEntity } from '../member/member.entity';
import { recordMemberEvent } from '../member/member.events';
import { hashIdNumber } from '../member/member.identity';
import { memberColumns, memberFromRow } from '../member/member.loaders';
import type { OrganizationEntity } from '../organization/organization.entity';
import type { EnrollMemberInput } from './enrollment.inputs';
import { RESIDENT_ID_PROBLEM_MESSAGES, residentIdAge, residentIdProblem } from './resident-id';

/** PRC labour law: nobody under 16 may be employed, so nobody younger joins a union. */
export const MIN_ENROLLMENT_AGE = 16;

/** Mainland mobile numbers: 11 digits, 13x..19x. */
export const MOBILE_PHONE = /^1[3-9]\d{9}$/;
/**
 * Names as printed on ID cards: Han characters, or names of minorities and naturalized citizens
 * with a middle dot (买买提·艾力) or latin letters. Starting with a letter also keeps spreadsheet
 * formulas (=, +, -, @) out of exports.
 */
const FULL_NAME = /^\p{L}[\p{L}\p{M}·• .'-]*$/u;

export interface CheckedEnrollment {
  organizationId: string;
  fullName: string;
  idNumber: string;
  phone: string;
  newEmploymentForm: boolean;
  realNameVerified: boolean;
}

/**
 * Characters that show as nothing (zero-width spaces and joiners, the BOM, soft hyphens, bidi
 * controls, Hangul fillers, the braille blank): two names that look the same on screen would be
 * different people, and a name could hide text from the officer who reviews it.
 */
const INVISIBLE = /[\p{Cf}\p{Cc}\u115F\u1160\u3164\uFFA0\u2800]/u;

/** A person's data as a worker or a spreadsheet gives it, before any check. */
export interface PersonInput {
  fullName: string;
  idNumber: string;
  phone: string;
}

export type PersonCheck = { ok: true; fullName: string; idNumber: string; phone: string } | { ok: false; field: keyof PersonInput; message: string };

/**
 * The checks of enrolment, shared by enrollMember, join applications and bulk imports: a real
 * name without invisible characters, a resident ID with its check digit and a birth date at
 * least 16 years ago, a mainland mobile number. Normalizes what it accepts.
 */
export function checkPerson(input: PersonInput, today: Date = new Date()): PersonCheck {
  const invisible = INVISIBLE.exec(input.fullName);
  if (invisible) {
    const code = invisible[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    return { ok: false, field: 'fullName', message: `fullName contains an invisible character (U+${code})` };
  }
  const fullName = input.fullName.trim().replace(/\s+/g, ' ');
  const nameLength = Array.from(fullName).length;
  if (nameLength < 1 || nameLength > 50) return { ok: false, field: 'fullName', message: 'fullName must be 1 to 50 characters' };
  if (!FULL_NAME.test(fullName)) return { ok: false, field: 'fullName', message: 'fullName may contain letters, spaces and the middle dot only' };

  const idNumber = input.idNumber.trim().toUpperCase();
  const problem = residentIdProblem(idNumber, today);
  if (problem) return { ok: false, field: 'idNumber', message: RESIDENT_ID_PROBLEM_MESSAGES[problem] };
  if (residentIdAge(idNumber, today) < MIN_ENROLLMENT_AGE) {
    return { ok: false, field: 'idNumber', message: `members must be at least ${MIN_ENROLLMENT_AGE} years old` };
  }

  const phone = input.phone.trim();
  if (!MOBILE_PHONE.test(phone)) return { ok: false, field: 'phone', message: 'phone must be an 11-digit mainland mobile number, e.g. 13812345678' };
  return { ok: true, fullName, idNumber, phone };
}

/** checkPerson for a GraphQL input: the first problem is BAD_USER_INPUT naming input.<field>. */
export function checkedPerson(input: PersonInput, today: Date = new Date()): { fullName: string; idNumber: string; phone: string } {
  const person = checkPerson(input, today);
  if (!person.ok) throw MemberErrors.badInput(person.message, `input.${person.field}`);
  return person;
}

/** Checks and normalizes the input; every problem is BAD_USER_INPUT naming the field. */
export function checkEnrollmentInput(input: EnrollMemberInput, principal: Principal, today: Date = new Date()): CheckedEnrollment {
  const { fullName, idNumber, phone } = checkedPerson(input, today);
  const realNameVerified = input.realNameVerified === true;
  if (realNameVerified && !hasScope(principal, 'member:assert-verified')) {
    throw MemberErrors.forbidden('asserting realNameVerified needs scope member:assert-verified');
  }
  return { organizationId: input.organizationId, fullName, idNumber, phone, newEmploymentForm: input.newEmploymentForm === true, realNameVerified };
}

/**
 * The organization a UNION caller writes in: NOT_FOUND when it does not exist, FORBIDDEN when it
 * exists outside the caller's subtree (organizations and their ids are public, members are not).
 */
export async function writableOrganization(ctx: MemberContext, organizationId: string): Promise<OrganizationEntity> {
  const organization = isUuid(organizationId) ? await ctx.loaders.organizationById.load(organizationId) : null;
  if (!organization) throw MemberErrors.notFound('organization');
  if (!(await ctx.access.inUnionSubtree(organization.path))) {
    throw MemberErrors.forbidden('this organization is outside the subtree you may write in');
  }
  return organization;
}

export function assertUnionWriter(principal: Principal): void {
  if (principal.kind !== 'UNION' || !principal.organizationId) throw MemberErrors.forbidden('only a UNION acts on members of its subtree');
}

/** How many fresh card numbers one enrollment tries before giving up (a collision needs a hand-made card in the 9xxxxxxx block). */
const CARD_ATTEMPTS = 3;

/** Who wrote a membership (recorded in its history). */
export interface Actor {
  kind: string;
  id: string;
  name: string;
}

/** Anything that runs SQL: the pool or a transaction's entity manager. */
export interface Sql {
  // TypeORM's own signature: rows for SELECT and INSERT, [rows, count] for UPDATE; callers say which.
  query(sql: string, parameters?: unknown[]): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A checked person about to become a member; the ID number only as its keyed hash and last 4. */
export interface NewMember {
  fullName: string;
  idNumberHash: Buffer;
  idNumberLast4: string;
  phone: string;
  newEmploymentForm: boolean;
  realNameVerified: boolean;
}

/**
 * Inserts one member and its ENROLLED history row with one statement, and records MEMBER_ENROLLED
 * in the outbox (`sql` is the caller's transaction, so both commit or neither); null when the
 * person already has a membership. The unique index on id_number_hash makes a second membership of the same person
 * impossible even when two inserts run at the same moment (the later one waits for the first to
 * commit, then inserts nothing). `ON CONFLICT DO NOTHING` (no target) keeps a surrounding
 * transaction usable: a conflict is told apart afterwards, by looking the hash up.
 */
export async function tryInsertMember(sql: Sql, organizationId: string, person: NewMember, actor: Actor): Promise<MemberEntity | null> {
  for (let attempt = 0; attempt < CARD_ATTEMPTS; attempt++) {
    const rows: Array<Record<string, unknown>> = await sql.query(
      `WITH inserted AS (
         INSERT INTO members (id, organization_id, org_path, full_name, id_number_hash, id_number_last4, phone, card_number,
                              status, real_name_verified, new_employment_form, joined_at)
         SELECT $1, o.id, o.path, $3, $4, $5, $6,
                'GD' || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY') || lpad(nextval('member_card_seq')::text, 8, '0'),
                'ACTIVE', $7, $8, now()
           FROM organizations o WHERE o.id = $2
         ON CONFLICT DO NOTHING
         RETURNING ${memberColumns()}
       ), event AS (
         INSERT INTO membership_events (member_id, kind, to_organization_id, actor_kind, actor_id, actor_name)
         SELECT id, 'ENROLLED', organization_id, $9, $10, $11 FROM inserted
       )
       SELECT ${memberColumns()} FROM inserted`,
      [
        randomUUID(),
        organizationId,
        person.fullName,
        person.idNumberHash,
        person.idNumberLast4,
        person.phone,
        person.realNameVerified,
        person.newEmploymentForm,
        actor.kind,
        actor.id,
        actor.name,
      ],
    );
    if (rows.length === 1) {
      const member = memberFromRow(rows[0]!);
      await recordMemberEvent(sql, 'MEMBER_ENROLLED', member, { joinedAt: member.joinedAt });
      return member;
    }
    const existing: unknown[] = await sql.query(`SELECT 1 FROM members WHERE id_number_hash = $1`, [person.idNumberHash]);
    if (existing.length > 0) return null;
  }
  throw new Error(`no free card number after ${CARD_ATTEMPTS} attempts: card numbers in the 9xxxxxxx block were assigned by hand`);
}

/** Enrolls one person (see tryInsertMember). */
export async function enrollMember(ctx: MemberContext, input: EnrollMemberInput): Promise<MemberEntity> {
  const { principal } = ctx;
  assertUnionWriter(principal);
  const checked = checkEnrollmentInput(input, principal);
  const organization = await writableOrganization(ctx, checked.organizationId);
  const member = await ctx.db.transaction((tx) =>
    tryInsertMember(
      tx,
      organization.id,
      { ...checked, idNumberHash: hashIdNumber(ctx.config.idNumberHmacKey, checked.idNumber), idNumberLast4: checked.idNumber.slice(-4) },
      principal,
    ),
  );
  if (!member) throw MemberErrors.alreadyMember();
  return member;
}
