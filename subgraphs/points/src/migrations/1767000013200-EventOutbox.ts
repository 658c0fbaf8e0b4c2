import { createEventOutbox, dropEventOutbox } from '@union/common';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The points service's event outbox: its writes record their events in the same transaction (docs/events.md). */
export class EventOutbox1767000013200 implements MigrationInterface {
  name = 'EventOutbox1767000013200';

  async up(q: QueryRunner): Promise<void> {
    await createEventOutbox(q);
  }

  async down(q: QueryRunner): Promise<void> {
    await dropEventOutbox(q);
  }
}
