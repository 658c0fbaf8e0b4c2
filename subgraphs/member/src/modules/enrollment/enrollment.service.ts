import { randomUUID } from 'node:crypto';
import { hasScope, isUniqueViolation, isUuid, type Principal } from '@union/common';
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
const MOBILE_PHONE = /^1[3-9]\d{9}$/;
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

/** Checks and normalizes the input; every problem is BAD_USER_INPUT naming the field. */
export function checkEnrollmentInput(input: EnrollMemberInput, principal: Principal, today: Date = new Date()): CheckedEnrollment {
  const fullName = input.fullName.trim().replace(/\s+/g, ' ');
  const nameLength = Array.from(fullName).length;
  if (nameLength < 1 || nameLength > 50) throw MemberErrors.badInput('fullName must be 1 to 50 characters', 'input.fullName');
  if (!FULL_NAME.test(fullName)) throw MemberErrors.badInput('fullName may contain letters, spaces and the middle dot only', 'input.fullName');

  const idNumber = input.idNumber.trim().toUpperCase();
  const problem = residentIdProblem(idNumber, today);
  if (problem) throw MemberErrors.badInput(RESIDENT_ID_PROBLEM_MESSAGES[problem], 'input.idNumber');
  if (residentIdAge(idNumber, today) < MIN_ENROLLMENT_AGE) {
    throw MemberErrors.badInput(`members must be at least ${MIN_ENROLLMENT_AGE} years old`, 'input.idNumber');
  }

  const phone = input.phone.trim();
  if (!MOBILE_PHONE.test(phone)) throw MemberErrors.badInput('phone must be an 11-digit mainland mobile number, e.g. 13812345678', 'input.phone');

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

/**
 * Enrolls one person. One statement inserts the member and its ENROLLED history row, and the same
 * transaction records the MEMBER_ENROLLED event in the outbox; the unique index
 * on id_number_hash makes a second membership of the same person fail even when both enrollments
 * run at the same moment (the later one waits for the first to commit, then fails).
 */
export async function enrollMember(ctx: MemberContext, input: EnrollMemberInput): Promise<MemberEntity> {
  const { principal } = ctx;
  assertUnionWriter(principal);
  const checked = checkEnrollmentInput(input, principal);
  const organization = await writableOrganization(ctx, checked.organizationId);
  const idNumberHash = hashIdNumber(ctx.config.idNumberHmacKey, checked.idNumber);

  for (let attempt = 0; attempt < CARD_ATTEMPTS; attempt++) {
    let enrolled: MemberEntity | null;
    try {
      enrolled = await ctx.db.transaction(async (tx) => {
        const rows: Array<Record<string, unknown>> = await tx.query(
        `WITH inserted AS (
           INSERT INTO members (id, organization_id, org_path, full_name, id_number_hash, id_number_last4, phone, card_number,
                                status, real_name_verified, new_employment_form, joined_at)
           SELECT $1, o.id, o.path, $3, $4, $5, $6,
                  'GD' || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY') || lpad(nextval('member_card_seq')::text, 8, '0'),
                  'ACTIVE', $7, $8, now()
             FROM organizations o WHERE o.id = $2
           ON CONFLICT (card_number) DO NOTHING
           RETURNING ${memberColumns()}
         ), event AS (
           INSERT INTO membership_events (member_id, kind, to_organization_id, actor_kind, actor_id, actor_name)
           SELECT id, 'ENROLLED', organization_id, $9, $10, $11 FROM inserted
         )
         SELECT ${memberColumns()} FROM inserted`,
        [
          randomUUID(),
          organization.id,
          checked.fullName,
          idNumberHash,
          checked.idNumber.slice(-4),
          checked.phone,
          checked.realNameVerified,
          checked.newEmploymentForm,
          principal.kind,
          principal.id,
          principal.name,
        ],
        );
        if (rows.length !== 1) return null;
        const member = memberFromRow(rows[0]!);
        await recordMemberEvent(tx, 'MEMBER_ENROLLED', member, { joinedAt: member.joinedAt });
        return member;
      });
    } catch (error) {
      if (isUniqueViolation(error, 'members_id_number_hash_key')) throw MemberErrors.alreadyMember();
      throw error;
    }
    if (enrolled) return enrolled;
  }
  throw new Error(`no free card number after ${CARD_ATTEMPTS} attempts: card numbers in the 9xxxxxxx block were assigned by hand`);
}

