import { hasScope, type Principal } from '@union/common';
import type { MemberEntity } from './modules/member/member.entity';
import type { OrganizationEntity } from './modules/organization/organization.entity';
import type { OrganizationLoaders } from './modules/organization/organization.loaders';

export type PersonalDataField = 'fullName' | 'phone' | 'cardNumber';

/**
 * Is `path` inside the subtree of the organization whose path is `scopePath` (the organization
 * itself included)? Paths end in '/', so '/1/5/' is no prefix of '/1/50/'.
 */
export const pathInSubtree = (path: string, scopePath: string | null): boolean => scopePath !== null && path.startsWith(scopePath);

/**
 * The personal data one request disclosed unmasked, per member: the gateway appends it to the
 * access records (PIPL). Filled by the field resolvers that return the data, so a member that
 * is only counted or masked is never recorded.
 */
export class PersonalDataDisclosures {
  private readonly byMember = new Map<string, Set<PersonalDataField>>();

  record(memberId: string, field: PersonalDataField): void {
    const fields = this.byMember.get(memberId) ?? new Set<PersonalDataField>();
    fields.add(field);
    this.byMember.set(memberId, fields);
  }

  /** Member id -> fields, or undefined when nothing was disclosed. */
  report(): Record<string, PersonalDataField[]> | undefined {
    if (this.byMember.size === 0) return undefined;
    return Object.fromEntries([...this.byMember].map(([id, fields]) => [id, [...fields].sort()]));
  }
}

/**
 * Who may see what in the member subgraph. Every resolver path that reaches a member or an
 * organization (root fields, nested fields, connections and __resolveReference) asks this policy.
 *
 * - UNION callers see only their own subtree; anything outside it does not exist for them.
 * - PLATFORM sees every member, masked.
 * - A MEMBER sees itself.
 * - HOSPITAL / TRAVEL_PARTNER / MERCHANT never list members; they meet a member only through
 *   a card verification or their own claims and redemptions, always masked.
 * - Full name, phone and the full card number need member:pii AND the member in the caller's subtree.
 */
export class AccessPolicy {
  private unionPath?: Promise<string | null>;
  readonly disclosures = new PersonalDataDisclosures();

  constructor(
    readonly principal: Principal,
    private readonly organizations: OrganizationLoaders,
  ) {}

  /** The materialized path of a UNION caller's own organization (null for other callers). */
  scopePath(): Promise<string | null> {
    if (this.principal.kind !== 'UNION' || !this.principal.organizationId) return Promise.resolve(null);
    this.unionPath ??= this.organizations.organizationById.load(this.principal.organizationId).then((o) => o?.path ?? null);
    return this.unionPath;
  }

  /** Is `path` inside a UNION caller's subtree? Always false for other callers. */
  async inUnionSubtree(path: string): Promise<boolean> {
    return pathInSubtree(path, await this.scopePath());
  }

  /** May the caller look a member up directly (root fields, organization member lists)? */
  async canListMember(member: MemberEntity): Promise<boolean> {
    switch (this.principal.kind) {
      case 'UNION':
        return this.inUnionSubtree(member.orgPath);
      case 'PLATFORM':
      case 'SERVICE':
        return true;
      case 'MEMBER':
        return member.id === this.principal.id;
      default:
        return false;
    }
  }

  /**
   * May the caller see a member reached through another subgraph's entity (a verification, a
   * claim, a redemption)? That subgraph already checked the caller may see its parent record, so
   * partners and unions get the member masked. This matters for a union's own records about a
   * member who has since transferred out of its subtree: the claim stays readable, the person
   * behind it masked (canSeePersonalData still requires the subtree). A MEMBER only ever meets
   * itself.
   */
  async canSeeReferencedMember(member: MemberEntity): Promise<boolean> {
    if (this.principal.kind === 'MEMBER') return member.id === this.principal.id;
    return true;
  }

  async canSeePersonalData(member: MemberEntity): Promise<boolean> {
    return this.principal.kind === 'UNION' && hasScope(this.principal, 'member:pii') && this.inUnionSubtree(member.orgPath);
  }

  /** canSeePersonalData for a field about to be returned unmasked; records the disclosure when it is. */
  async disclosePersonalData(member: MemberEntity, field: PersonalDataField): Promise<boolean> {
    const visible = await this.canSeePersonalData(member);
    if (visible) this.disclosures.record(member.id, field);
    return visible;
  }

  /**
   * A join applicant's full name and phone: like a member's, for a UNION with member:pii over the
   * application's organization. Recorded under the application id in the access records.
   */
  async discloseApplicantData(application: { id: string; orgPath: string }, field: 'fullName' | 'phone'): Promise<boolean> {
    const visible = this.principal.kind === 'UNION' && hasScope(this.principal, 'member:pii') && (await this.inUnionSubtree(application.orgPath));
    if (visible) this.disclosures.record(application.id, field);
    return visible;
  }

  /** The membership history (enrollments, transfers): the unions on the member's chain, and services. */
  async canReadMembershipHistory(member: MemberEntity): Promise<boolean> {
    return this.principal.kind === 'SERVICE' || this.inUnionSubtree(member.orgPath);
  }

  /** Organizations: UNION callers only inside their subtree; others with member:read everywhere. */
  async canSeeOrganization(organization: OrganizationEntity): Promise<boolean> {
    if (this.principal.kind === 'UNION') return this.inUnionSubtree(organization.path);
    return true;
  }

  /**
   * Listing members, children and stats of an organization: a UNION inside its subtree, the
   * PLATFORM everywhere (masked), nobody else. Decided by kind as well as by scope, so a scope
   * handed to the wrong partner kind still lists nothing (the same rule as canListMember).
   */
  async canReadOrganizationContents(organization: OrganizationEntity): Promise<boolean> {
    if (!hasScope(this.principal, 'member:read')) return false;
    switch (this.principal.kind) {
      case 'UNION':
        return this.inUnionSubtree(organization.path);
      case 'PLATFORM':
      case 'SERVICE':
        return true;
      default:
        return false;
    }
  }
}
