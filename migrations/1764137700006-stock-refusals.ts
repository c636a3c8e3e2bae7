import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * A stock adjustment sent with an idempotency reference answers the same way every time: applied
 * (the movement with that reference) or refused (a row here). Without it, a first attempt the client
 * gave up on (still waiting for a connection, say) could apply after a retry was refused, and the
 * client would believe the opposite of what the ledger says (found by the fault suite).
 */
export class StockRefusals1764137700006 implements MigrationInterface {
  name = "StockRefusals1764137700006";

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE stock_refusal (
        variant_id uuid NOT NULL REFERENCES variant(id) ON DELETE CASCADE,
        kind text NOT NULL,
        reference text NOT NULL,
        code text NOT NULL,
        field text NOT NULL,
        params jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (variant_id, kind, reference)
      )`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE stock_refusal`);
  }
}
