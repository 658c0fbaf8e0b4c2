import { MemberDirectory1767000000000 } from './1767000000000-MemberDirectory';
import { LocalUnions1767000002000 } from './1767000002000-LocalUnions';
import { MemberVerification1767000001000 } from './1767000001000-MemberVerification';
import { OrganizationChildrenOrder1767000003000 } from './1767000003000-OrganizationChildrenOrder';
import { MemberLifecycle1767000004000 } from './1767000004000-MemberLifecycle';
import { EventOutbox1767000013000 } from './1767000013000-EventOutbox';
import { MemberSubtreeCovering1767000016000 } from './1767000016000-MemberSubtreeCovering';

/** Every migration of the member subgraph, in order. New ones are appended here. */
export const memberMigrations = [
  MemberDirectory1767000000000,
  MemberVerification1767000001000,
  LocalUnions1767000002000,
  OrganizationChildrenOrder1767000003000,
  MemberLifecycle1767000004000,
  EventOutbox1767000013000,
  MemberSubtreeCovering1767000016000,
];
