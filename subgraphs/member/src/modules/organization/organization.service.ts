import type { EntityManager } from 'typeorm';
import type { OrganizationKind } from './organization.entity';

/**
 * SQL for the ids of the organizations on a materialized path column, nearest first (the
 * organization itself, then its ancestors): the organization chain other subgraphs receive.
 */
export const organizationChainSql = (pathColumn: string): string => `ARRAY(
  SELECT o.id FROM unnest(string_to_array(trim(both '/' from ${pathColumn}), '/')::bigint[]) WITH ORDINALITY AS a(node_no, pos)
  JOIN organizations o ON o.node_no = a.node_no ORDER BY a.pos DESC)`;

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
