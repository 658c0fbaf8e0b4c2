import { randomBytes, randomUUID } from 'node:crypto';
import { hasScope, isUuid, maskName, pageOf, pageSize, type Page } from '@union/common';
import { pathInSubtree } from '../../access';
import type { MemberContext } from '../../context';
import { MemberErrors } from '../../errors';
import { assertUnionWriter, checkedPerson, type Actor, type Sql, tryInsertMember, writableOrganization } from '../enrollment/enrollment.service';
import { checkedReason } from '../lifecycle/lifecycle.service';
import { recordOrganizationEvent } from '../member/member.events';
import { hashIdNumber } from '../member/member.identity';
import type { OrganizationEntity } from '../organization/organization.entity';
import { subtreeUpperBound } from '../member/member.loaders';
import { JoinApplicationStatus, type JoinApplicationRow, type JoinInvitationRow, type SubmitJoinApplicationInput } from './join.types';

/** 15 random bytes in RFC 4648 base32: 24 characters A-Z 2-7, 120 bits; easy to type when a QR code will not scan. */
const CODE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const CODE_PATTERN = /^[A-Z2-7]{24}$/;
/** An employer as the worker writes it: no control or invisible characters, no spreadsheet formula. */
const EMPLOYER = /^[^\p{Cc}\p{Cf}=+\-@][^\p{Cc}\p{Cf}]*$/u;
/** Invitations live at most a year (a printed QR code outlives its ceremony; a union makes a new one). */
const MAX_INVITATION_DAYS = 366;

export function newInvitationCode(): string {
  const bytes = randomBytes(15);
  let bits = 0;
  let value = 0;
  let code = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      code += CODE_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return code;
}

/** Case, spaces and dashes do not matter (a code typed from a poster). */
export const normalizeInvitationCode = (code: string): string => code.toUpperCase().replace(/[\s-]/g, '');

const INVITATION_COLUMNS = 'id, organization_id, code, auto_approve, expires_at, max_applications, application_count, created_at';
const APPLICATION_COLUMNS = `id, invitation_id, organization_id, org_path, full_name, id_number_hash, id_number_last4, phone, new_employment_form,
  employer, status, submitted_at, decided_at, rejection_reason, member_id`;

export function invitationFromRow(row: Record<string, unknown>): JoinInvitationRow {
  return {
    id: row.id as string,
    organizationId: row.organization_id as string,
    code: row.code as string,
    autoApprove: row.auto_approve as boolean,
    expiresAt: (row.expires_at as Date | null) ?? null,
    maxApplications: (row.max_applications as number | null) ?? null,
    applicationCount: Number(row.application_count),
    createdAt: row.created_at as Date,
  };
}

export function applicationFromRow(row: Record<string, unknown>): JoinApplicationRow {
  return {
    id: row.id as string,
    invitationId: row.invitation_id as string,
    organizationId: row.organization_id as string,
    orgPath: row.org_path as string,
    fullName: row.full_name as string,
    idNumberHash: row.id_number_hash as Buffer,
    idNumberLast4: row.id_number_last4 as string,
    phone: row.phone as string,
    newEmploymentForm: row.new_employment_form as boolean,
    employer: (row.employer as string | null) ?? null,
    status: row.status as JoinApplicationStatus,
    submittedAt: row.submitted_at as Date,
    decidedAt: (row.decided_at as Date | null) ?? null,
    rejectionReason: (row.rejection_reason as string | null) ?? null,
    memberId: (row.member_id as string | null) ?? null,
  };
}

/** createJoinInvitation: UNION with member:write over the organization. */
export async function createJoinInvitation(
  ctx: MemberContext,
  organizationId: string,
  autoApprove: boolean,
  expiresAt: Date | null,
  maxApplications: number | null,
): Promise<JoinInvitationRow> {
  const { principal } = ctx;
  assertUnionWriter(principal);
  if (expiresAt !== null) {
    if (expiresAt.getTime() <= Date.now()) throw MemberErrors.badInput('expiresAt must be in the future', 'expiresAt');
    if (expiresAt.getTime() > Date.now() + MAX_INVITATION_DAYS * 86_400_000) {
      throw MemberErrors.badInput(`expiresAt must be within ${MAX_INVITATION_DAYS} days`, 'expiresAt');
    }
  }
  if (maxApplications !== null && (!Number.isInteger(maxApplications) || maxApplications < 1 || maxApplications > 1_000_000)) {
    throw MemberErrors.badInput('maxApplications must be between 1 and 1,000,000', 'maxApplications');
  }
  const organization = await writableOrganization(ctx, organizationId);
  const rows: Array<Record<string, unknown>> = await ctx.db.query(
    `INSERT INTO join_invitations (id, organization_id, code, auto_approve, expires_at, max_applications, created_by_kind, created_by_id, created_by_name)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${INVITATION_COLUMNS}`,
    [randomUUID(), organization.id, newInvitationCode(), autoApprove, expiresAt, maxApplications, principal.kind, principal.id, principal.name],
  );
  return invitationFromRow(rows[0]!);
}

function checkedEmployer(employer: string | null | undefined): string | null {
  if (employer == null) return null;
  const trimmed = employer.trim().replace(/\s+/g, ' ');
  if (trimmed === '') return null;
  if (Array.from(trimmed).length > 100 || !EMPLOYER.test(trimmed)) {
    throw MemberErrors.badInput('employer must be 1 to 100 characters, without control or invisible characters, not starting with = + - @', 'input.employer');
  }
  return trimmed;
}

/**
 * Takes one unit of a durable, fixed-window counter, or answers RATE_LIMITED. The counter row is
 * updated under its row lock, so concurrent applications count exactly; it runs inside the
 * application's transaction, so a refused or rolled-back application uses nothing.
 */
async function consumeRate(tx: Sql, key: string, window: 'hour' | 'day', limit: number, what: string): Promise<void> {
  const rows: unknown[] = await tx.query(
    `INSERT INTO join_rate_windows (limit_key, window_start, used) VALUES ($1, date_trunc('${window}', now()), 1)
     ON CONFLICT (limit_key, window_start) DO UPDATE SET used = join_rate_windows.used + 1 WHERE join_rate_windows.used < $2
     RETURNING used`,
    [key, limit],
  );
  if (rows.length === 0) {
    const now = new Date();
    const next =
      window === 'hour'
        ? 3600 - (now.getUTCMinutes() * 60 + now.getUTCSeconds())
        : 86_400 - (now.getUTCHours() * 3600 + now.getUTCMinutes() * 60 + now.getUTCSeconds());
    throw MemberErrors.rateLimited(`${what}; try again later`, next);
  }
}

/**
 * An application's event, visible to the unions over its organization: ids, the masked name and
 * the decision, never the full name, phone or ID number.
 */
function recordApplicationEvent(tx: Sql, type: 'JOIN_APPLICATION_SUBMITTED' | 'JOIN_APPLICATION_DECIDED', application: JoinApplicationRow): Promise<string> {
  return recordOrganizationEvent(tx, type, application.id, application.orgPath, {
    applicationId: application.id,
    invitationId: application.invitationId,
    organizationId: application.organizationId,
    displayName: maskName(application.fullName),
    newEmploymentForm: application.newEmploymentForm,
    status: application.status,
    ...(application.memberId ? { memberId: application.memberId } : {}),
    ...(application.rejectionReason ? { rejectionReason: application.rejectionReason } : {}),
  });
}

/**
 * Approves a locked PENDING application inside the caller's transaction: creates the member in the
 * application's organization, or links the person's existing membership when it is in that very
 * organization (imported or enrolled meanwhile). Returns null when the person is a member of
 * another organization (a transfer is the way), with that member's id and path.
 */
async function approveInTransaction(
  tx: Sql,
  application: JoinApplicationRow,
  actor: Actor,
): Promise<{ approved: JoinApplicationRow } | { elsewhere: { memberId: string; orgPath: string } }> {
  let memberId: string;
  const member = await tryInsertMember(
    tx,
    application.organizationId,
    {
      fullName: application.fullName,
      idNumberHash: application.idNumberHash,
      idNumberLast4: application.idNumberLast4,
      phone: application.phone,
      newEmploymentForm: application.newEmploymentForm,
      realNameVerified: false,
    },
    actor,
  );
  if (member) memberId = member.id;
  else {
    const [existing] = (await tx.query(`SELECT id, organization_id, org_path FROM members WHERE id_number_hash = $1`, [application.idNumberHash])) as Array<{
      id: string;
      organization_id: string;
      org_path: string;
    }>;
    if (!existing) throw new Error('member vanished between insert and lookup');
    if (existing.organization_id !== application.organizationId) return { elsewhere: { memberId: existing.id, orgPath: existing.org_path } };
    memberId = existing.id;
  }
  const rows: Array<Record<string, unknown>> = await tx
    .query(
      `UPDATE join_applications SET status = 'APPROVED', member_id = $2, decided_at = now(), decided_by_kind = $3, decided_by_id = $4, decided_by_name = $5
      WHERE id = $1 RETURNING ${APPLICATION_COLUMNS}`,
      [application.id, memberId, actor.kind, actor.id, actor.name],
    )
    .then((r: unknown) => (Array.isArray(r) && Array.isArray(r[0]) ? r[0] : r) as Array<Record<string, unknown>>);
  const approved = applicationFromRow(rows[0]!);
  await recordApplicationEvent(tx, 'JOIN_APPLICATION_DECIDED', approved);
  return { approved };
}

/**
 * submitJoinApplication (PLATFORM, for the worker who scanned the code). In one transaction: the
 * application (unique per invitation and ID number: a repeat answers the first one), the
 * invitation's guarded counter (expired or full: APPLICATION_CLOSED, nothing written), the two
 * rate-limit counters, and with auto-approval the member.
 */
export async function submitJoinApplication(ctx: MemberContext, input: SubmitJoinApplicationInput): Promise<JoinApplicationRow> {
  const { principal } = ctx;
  if (principal.kind !== 'PLATFORM')
    throw MemberErrors.forbidden('join applications are submitted by the PLATFORM (the member app) for the worker who scanned the code');
  const code = normalizeInvitationCode(input.invitationCode);
  const person = checkedPerson(input);
  const employer = checkedEmployer(input.employer);
  const closed = () => MemberErrors.applicationClosed('this invitation is unknown, expired or full; ask the union for a new QR code');
  if (!CODE_PATTERN.test(code)) throw closed();

  const [invitationRow] = (await ctx.db.query(
    `SELECT i.id, i.organization_id, i.code, i.auto_approve, i.expires_at, i.max_applications, i.application_count, i.created_at,
            i.created_by_kind, i.created_by_id, i.created_by_name, o.path
       FROM join_invitations i JOIN organizations o ON o.id = i.organization_id WHERE i.code = $1`,
    [code],
  )) as Array<Record<string, unknown>>;
  if (!invitationRow) throw closed();
  const invitation = invitationFromRow(invitationRow);
  const idNumberHash = hashIdNumber(ctx.config.idNumberHmacKey, person.idNumber);

  const existingOf = async (sql: Sql) =>
    (
      (await sql.query(`SELECT ${APPLICATION_COLUMNS} FROM join_applications WHERE invitation_id = $1 AND id_number_hash = $2`, [
        invitation.id,
        idNumberHash,
      ])) as Array<Record<string, unknown>>
    ).map(applicationFromRow)[0];
  // A worker who scans again (or a retried request) gets the application they already have.
  const earlier = await existingOf(ctx.db);
  if (earlier) return earlier;

  if (Math.random() < 0.01) await ctx.db.query(`DELETE FROM join_rate_windows WHERE window_start < now() - interval '2 days'`);

  return ctx.db.transaction(async (tx) => {
    const inserted: Array<Record<string, unknown>> = await tx.query(
      `INSERT INTO join_applications (id, invitation_id, organization_id, org_path, full_name, id_number_hash, id_number_last4, phone,
                                      new_employment_form, employer, status, submitted_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'PENDING', $11)
       ON CONFLICT (invitation_id, id_number_hash) DO NOTHING
       RETURNING ${APPLICATION_COLUMNS}`,
      [
        randomUUID(),
        invitation.id,
        invitation.organizationId,
        invitationRow.path,
        person.fullName,
        idNumberHash,
        person.idNumber.slice(-4),
        person.phone,
        input.newEmploymentForm === true,
        employer,
        principal.id,
      ],
    );
    // The same person applying twice at the same moment: the second insert waited for the first.
    if (inserted.length === 0) return (await existingOf(tx))!;

    const counted: unknown[] = await tx
      .query(
        `UPDATE join_invitations SET application_count = application_count + 1
        WHERE id = $1 AND (expires_at IS NULL OR expires_at > now()) AND (max_applications IS NULL OR application_count < max_applications)
        RETURNING id`,
        [invitation.id],
      )
      .then((r: unknown) => (Array.isArray(r) && Array.isArray(r[0]) ? r[0] : r) as unknown[]);
    if (counted.length === 0) throw closed();
    await consumeRate(
      tx,
      `invitation:${invitation.id}`,
      'hour',
      ctx.config.joinApplicationsPerInvitationPerHour,
      'this invitation received too many applications this hour',
    );
    await consumeRate(
      tx,
      `id:${idNumberHash.toString('base64')}`,
      'day',
      ctx.config.joinApplicationsPerIdNumberPerDay,
      'too many applications for this ID number today',
    );
    const application = applicationFromRow(inserted[0]!);
    await recordApplicationEvent(tx, 'JOIN_APPLICATION_SUBMITTED', application);
    if (!invitation.autoApprove) return application;
    // Auto-approval acts in the name of the union that made the invitation. A person who is a
    // member elsewhere stays PENDING: the union sees the application and arranges a transfer.
    const actor = {
      kind: String(invitationRow.created_by_kind),
      id: String(invitationRow.created_by_id),
      name: `${String(invitationRow.created_by_name)} (自动审批)`,
    };
    const outcome = await approveInTransaction(tx, application, actor);
    return 'approved' in outcome ? outcome.approved : application;
  });
}

/** Locks an application the UNION caller may decide (its organization in the caller's subtree), else NOT_FOUND. */
async function lockDecidable(ctx: MemberContext, tx: Sql, id: string, scopePath: string | null): Promise<JoinApplicationRow> {
  const [row] = (await tx.query(`SELECT ${APPLICATION_COLUMNS} FROM join_applications WHERE id = $1 FOR UPDATE`, [id])) as Array<Record<string, unknown>>;
  if (!row || !pathInSubtree(row.org_path as string, scopePath)) throw MemberErrors.notFound('join application');
  return applicationFromRow(row);
}

/**
 * approveJoinApplication: creates the member in the invitation's organization. Approving again
 * answers the application as it is. A person who is a member of another organization gets
 * ALREADY_MEMBER with `extensions.hint: TRANSFER` (and the member id when that member is in the
 * caller's own subtree, so it can transfer it at once); the application stays PENDING.
 */
export async function approveJoinApplication(ctx: MemberContext, id: string): Promise<JoinApplicationRow> {
  assertUnionWriter(ctx.principal);
  if (!hasScope(ctx.principal, 'member:write')) throw MemberErrors.forbidden('missing scope: member:write');
  if (!isUuid(id)) throw MemberErrors.notFound('join application');
  const scopePath = await ctx.access.scopePath();
  return ctx.db.transaction(async (tx) => {
    const application = await lockDecidable(ctx, tx, id, scopePath);
    if (application.status === JoinApplicationStatus.APPROVED) return application;
    if (application.status === JoinApplicationStatus.REJECTED)
      throw MemberErrors.notEligible('this application was rejected; the worker applies again through a new invitation');
    const outcome = await approveInTransaction(tx, application, ctx.principal);
    if ('approved' in outcome) return outcome.approved;
    throw MemberErrors.alreadyMemberElsewhere(pathInSubtree(outcome.elsewhere.orgPath, scopePath) ? outcome.elsewhere.memberId : null);
  });
}

/** rejectJoinApplication: with a reason the worker can be told. Rejecting again answers the application as it is. */
export async function rejectJoinApplication(ctx: MemberContext, id: string, reason: string): Promise<JoinApplicationRow> {
  assertUnionWriter(ctx.principal);
  const checked = checkedReason(reason);
  if (!isUuid(id)) throw MemberErrors.notFound('join application');
  const scopePath = await ctx.access.scopePath();
  return ctx.db.transaction(async (tx) => {
    const application = await lockDecidable(ctx, tx, id, scopePath);
    if (application.status === JoinApplicationStatus.REJECTED) return application;
    if (application.status === JoinApplicationStatus.APPROVED)
      throw MemberErrors.notEligible('this application was approved: the worker is a member (change the status with changeMemberStatus)');
    const rows: Array<Record<string, unknown>> = await tx
      .query(
        `UPDATE join_applications SET status = 'REJECTED', rejection_reason = $2, decided_at = now(), decided_by_kind = $3, decided_by_id = $4, decided_by_name = $5
        WHERE id = $1 RETURNING ${APPLICATION_COLUMNS}`,
        [id, checked, ctx.principal.kind, ctx.principal.id, ctx.principal.name],
      )
      .then((r: unknown) => (Array.isArray(r) && Array.isArray(r[0]) ? r[0] : r) as Array<Record<string, unknown>>);
    const rejected = applicationFromRow(rows[0]!);
    await recordApplicationEvent(tx, 'JOIN_APPLICATION_DECIDED', rejected);
    return rejected;
  });
}

export interface ApplicationPage extends Page<JoinApplicationRow> {
  organization: OrganizationEntity;
  status: JoinApplicationStatus | null;
}

/**
 * joinApplications: a UNION's applications in the subtree of one of its organizations, oldest
 * first (a review queue), keyset-paginated on (submitted_at, id) over join_applications_queue_idx.
 */
export async function listJoinApplications(
  ctx: MemberContext,
  organizationId: string,
  status: JoinApplicationStatus | null,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<ApplicationPage> {
  if (ctx.principal.kind !== 'UNION') throw MemberErrors.forbidden('join applications are listed by the unions they were sent to');
  const limit = pageSize(first);
  const organization = await writableOrganization(ctx, organizationId);
  const listName = `join-applications:${organization.id}:${status ?? ''}`;
  const position = ctx.cursors.decode<[string, string]>(listName, after);
  const rows: Array<Record<string, unknown>> = await ctx.db.query(
    `SELECT ${APPLICATION_COLUMNS} FROM join_applications
      WHERE org_path >= $1 AND org_path < $2 AND ($3::text IS NULL OR status = $3)
        AND (submitted_at, id) > ($4::timestamptz, $5::uuid)
      ORDER BY submitted_at, id LIMIT $6`,
    [
      organization.path,
      subtreeUpperBound(organization.path),
      status,
      position?.[0] ?? '-infinity',
      position?.[1] ?? '00000000-0000-0000-0000-000000000000',
      limit + 1,
    ],
  );
  return {
    ...pageOf(rows.map(applicationFromRow), limit, (last) => ctx.cursors.encode(listName, [last.submittedAt.toISOString(), last.id])),
    organization,
    status,
  };
}

export async function countJoinApplications(ctx: MemberContext, page: ApplicationPage): Promise<number> {
  const [row] = (await ctx.db.query(
    `SELECT count(*) AS n FROM join_applications WHERE org_path >= $1 AND org_path < $2 AND ($3::text IS NULL OR status = $3)`,
    [page.organization.path, subtreeUpperBound(page.organization.path), page.status],
  )) as Array<{ n: string }>;
  return Number(row?.n ?? 0);
}
