import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * In production, schema introspection is answered only for partners flagged for it (an
 * integration partner's developer tooling, say); everyone else reads the published schema.
 */
export class PartnerIntrospectionFlag1795364100000 implements MigrationInterface {
  name = 'PartnerIntrospectionFlag1795364100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE partners ADD COLUMN introspection_allowed boolean NOT NULL DEFAULT false`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE partners DROP COLUMN introspection_allowed`);
  }
}
