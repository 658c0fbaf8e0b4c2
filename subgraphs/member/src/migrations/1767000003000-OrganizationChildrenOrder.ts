import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `UnionOrganization.children` pages in (name, id) order in the "C" collation, so the order does
 * not depend on the server's locale. The first index on (parent_id, name, id) was built in the
 * database's default collation, which a `name COLLATE "C"` ordering cannot use: every page read
 * all children of the parent and sorted them. This index has the collation of the ordering, so a
 * page is one index range starting right after its cursor. It also serves the parent_id lookups
 * (child counts, the foreign key) the old index served.
 */
export class OrganizationChildrenOrder1767000003000 implements MigrationInterface {
  name = 'OrganizationChildrenOrder1767000003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX organizations_children_idx ON organizations (parent_id, name COLLATE "C", id)`);
    await q.query(`DROP INDEX organizations_parent_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX organizations_parent_idx ON organizations (parent_id, name, id)`);
    await q.query(`DROP INDEX organizations_children_idx`);
  }
}
