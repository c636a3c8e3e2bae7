import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Native promotions for sale windows: where the marketplace runs promotions itself (Shopee
 * discounts), a campaign channel is NATIVE_PROMOTION instead of PRICE_ADJUST, and each occurrence ×
 * native channel is a campaign_promotion scheduled ahead on the marketplace by the campaign ticker.
 * (Same timestamp as the campaigns migration it extends, run right after it; a separate class so
 * databases that already ran that one get this too. IF NOT EXISTS: a development database may have
 * had these from a short-lived version of the campaigns migration.)
 */
export class CampaignPromotions1764137700001 implements MigrationInterface {
  name = "CampaignPromotions1764137700001";

  public async up(q: QueryRunner): Promise<void> {
    // NATIVE_PROMOTION: the marketplace runs the sale; PRICE_ADJUST: the hub changes the listed price.
    await q.query(
      `ALTER TABLE campaign_channel ADD COLUMN IF NOT EXISTS method text NOT NULL DEFAULT 'PRICE_ADJUST'
         CHECK (method IN ('PRICE_ADJUST','NATIVE_PROMOTION'))`,
    );
    // The occurrence may be deleted (campaign updated) while its promotion still has to be removed
    // from the marketplace.
    await q.query(`
      CREATE TABLE IF NOT EXISTS campaign_promotion (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        campaign_id uuid NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
        occurrence_id bigint REFERENCES campaign_occurrence(id) ON DELETE SET NULL,
        channel_id uuid NOT NULL REFERENCES channel(id) ON DELETE CASCADE,
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL,
        state text NOT NULL DEFAULT 'PENDING'
          CHECK (state IN ('PENDING','SCHEDULED','CANCELLING','ENDED','FALLBACK')),
        external_id text,
        items integer NOT NULL DEFAULT 0,
        failed_items integer NOT NULL DEFAULT 0,
        attempts integer NOT NULL DEFAULT 0,
        retry_at timestamptz,
        last_error jsonb,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX IF NOT EXISTS campaign_promotion_todo_idx ON campaign_promotion (starts_at) WHERE state IN ('PENDING','CANCELLING')`,
    );
    await q.query(
      `CREATE INDEX IF NOT EXISTS campaign_promotion_campaign_idx ON campaign_promotion (campaign_id)`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS campaign_promotion`);
    await q.query(`ALTER TABLE campaign_channel DROP COLUMN IF EXISTS method`);
  }
}
