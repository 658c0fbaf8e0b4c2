import type { EntityManager } from 'typeorm';
import type { OrganizationKind } from './organization.entity';

/**
 * Inserts an organization under `parentId` (null: a new root). Its node number is drawn first so
 * the materialized path ('/<ancestors>/<own>/') is complete in the same statement.
 */
export async function insertOrganization(
  db: Pick<EntityManager, 'query'>,
  organization: { id: string; parentId: string | null; name: string; kind: OrganizationKind },
): Promise<void> {
  await db.query(
    `WITH n AS (SELECT nextval(pg_get_serial_sequence('organizations', 'node_no')) AS no)
     INSERT INTO organizations (id, node_no, parent_id, name, kind, path, depth) OVERRIDING SYSTEM VALUE
     SELECT $1, n.no, $2, $3, $4, coalesce(p.path, '/') || n.no || '/', coalesce(p.depth + 1, 0)
       FROM n LEFT JOIN organizations p ON p.id = $2`,
    [organization.id, organization.parentId, organization.name, organization.kind],
  );
}
