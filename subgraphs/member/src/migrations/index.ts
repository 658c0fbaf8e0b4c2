import { MemberDirectory1767000000000 } from './1767000000000-MemberDirectory';

/** Every migration of the member subgraph, in order. New ones are appended here. */
export const memberMigrations = [MemberDirectory1767000000000];
