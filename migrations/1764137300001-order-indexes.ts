import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Indexes for the orders API: lists are newest first by order date, for one producer (producer keys)
 * or for everyone (ops), so neither has to sort every order of a producer to show one page. Pending
 * webhook events per channel, which an order-import job claims and takes over in one go.
 */
export class OrderIndexes1764137300001 implements MigrationInterface {
  name = "OrderIndexes1764137300001";

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX marketplace_order_producer_created_idx ON marketplace_order (producer_id, remote_created_at DESC NULLS LAST, id DESC)`,
    );
    await q.query(
      `CREATE INDEX marketplace_order_created_idx ON marketplace_order (remote_created_at DESC NULLS LAST, id DESC)`,
    );
    // An import job claims the channel's pending events it is fetching, so concurrent jobs do not fetch them again.
    await q.query(`ALTER TABLE webhook_event ADD COLUMN claimed_at timestamptz`);
    await q.query(
      `CREATE INDEX webhook_event_pending_idx ON webhook_event (channel_id, id) WHERE processed_at IS NULL`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS webhook_event_pending_idx`);
    await q.query(`ALTER TABLE webhook_event DROP COLUMN IF EXISTS claimed_at`);
    await q.query(`DROP INDEX IF EXISTS marketplace_order_created_idx`);
    await q.query(`DROP INDEX IF EXISTS marketplace_order_producer_created_idx`);
  }
}
