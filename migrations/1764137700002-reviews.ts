import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Buyer reviews pulled from marketplaces: one row per (channel, marketplace review id), so a re-pull
 * updates in place. A review is linked to the listing → variant → product it is about when the hub
 * knows the marketplace item; otherwise it is kept with product_id NULL (unlinked, shown as such).
 * `first_seen_at` (indexed) is when the hub first stored it: alert rules ask "new reviews since T".
 * `read_at` backs the per-producer unread count. The sync_run kind check gains REVIEWS.
 */
export class Reviews1764137700002 implements MigrationInterface {
  name = "Reviews1764137700002";

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE review (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        channel_id uuid NOT NULL REFERENCES channel(id) ON DELETE CASCADE,
        producer_id uuid NOT NULL REFERENCES producer(id) ON DELETE CASCADE,
        external_review_id text NOT NULL,
        external_item_id text,
        external_sku_id text,
        external_order_id text,
        listing_id uuid REFERENCES listing(id) ON DELETE SET NULL,
        variant_id uuid REFERENCES variant(id) ON DELETE SET NULL,
        product_id uuid REFERENCES product(id) ON DELETE SET NULL,
        rating smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
        text text NOT NULL DEFAULT '',
        buyer_name text,
        remote_created_at timestamptz NOT NULL,
        reply_status text NOT NULL DEFAULT 'NONE' CHECK (reply_status IN ('NONE','REPLIED')),
        reply_text text,
        replied_at timestamptz,
        can_reply boolean NOT NULL DEFAULT true,
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        read_at timestamptz,
        UNIQUE (channel_id, external_review_id)
      )`);
    await q.query(`CREATE INDEX review_first_seen_idx ON review (first_seen_at, id)`);
    await q.query(
      `CREATE INDEX review_producer_created_idx ON review (producer_id, remote_created_at DESC, id DESC)`,
    );
    await q.query(
      `CREATE INDEX review_product_idx ON review (product_id, channel_id) WHERE product_id IS NOT NULL`,
    );
    await q.query(`CREATE INDEX review_unread_idx ON review (producer_id) WHERE read_at IS NULL`);
    await q.query(
      `CREATE INDEX review_unlinked_idx ON review (channel_id, external_item_id) WHERE product_id IS NULL`,
    );
    await setKinds(q, (kinds) => [...new Set([...kinds, "REVIEWS"])]);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM sync_run WHERE kind = 'REVIEWS'`);
    await setKinds(q, (kinds) => kinds.filter((k) => k !== "REVIEWS"));
    await q.query(`DROP TABLE IF EXISTS review`);
  }
}

/** Rewrites sync_run's kind check from its current list, so other migrations' kinds are kept. */
async function setKinds(q: QueryRunner, change: (kinds: string[]) => string[]): Promise<void> {
  const [c]: Array<{ def: string }> = await q.query(
    `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE conrelid = 'sync_run'::regclass AND conname = 'sync_run_kind_check'`,
  );
  const kinds = change(c ? [...c.def.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]) : []);
  await q.query(`ALTER TABLE sync_run DROP CONSTRAINT IF EXISTS sync_run_kind_check`);
  await q.query(
    `ALTER TABLE sync_run ADD CONSTRAINT sync_run_kind_check CHECK (kind IN (${kinds.map((k) => `'${k}'`).join(",")}))`,
  );
}
