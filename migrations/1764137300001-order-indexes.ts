import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Indexes for the orders API: lists are newest first by order date, for one producer (producer keys)
 * or for everyone (ops), so neither has to sort every order of a producer to show one page.
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
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS marketplace_order_created_idx`);
    await q.query(`DROP INDEX IF EXISTS marketplace_order_producer_created_idx`);
  }
}
