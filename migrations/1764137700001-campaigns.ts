import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Sale windows (livestreams, online fairs): a campaign of one producer targets channels and
 * variants, with per-variant sale prices or a discount rule and optional units reserved for it.
 * Its time windows are materialised as occurrences (one for a single window, one per week day for
 * a weekly recurrence); the campaign ticker flips each occurrence SCHEDULED → RUNNING → ENDED in a
 * transaction that also marks the affected listings dirty, and desired-state reads the RUNNING
 * occurrences, so the outbox pushes the sale price at start and the normal price at the end.
 */
export class Campaigns1764137700001 implements MigrationInterface {
  name = "Campaigns1764137700001";

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE campaign (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        producer_id uuid NOT NULL REFERENCES producer(id) ON DELETE CASCADE,
        name text NOT NULL,
        state text NOT NULL DEFAULT 'SCHEDULED' CHECK (state IN ('SCHEDULED','RUNNING','ENDED','CANCELLED')),
        pricing text NOT NULL CHECK (pricing IN ('SALE_PRICES','PERCENT_OFF','AMOUNT_OFF')),
        discount_value integer CHECK (discount_value > 0),
        recurrence jsonb,
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL,
        cancelled_at timestamptz,
        created_by text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (ends_at > starts_at),
        CHECK ((pricing = 'SALE_PRICES') = (discount_value IS NULL))
      )`);
    await q.query(`CREATE INDEX campaign_producer_idx ON campaign (producer_id, starts_at DESC)`);
    await q.query(`
      CREATE TABLE campaign_channel (
        campaign_id uuid NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
        channel_id uuid NOT NULL REFERENCES channel(id) ON DELETE CASCADE,
        PRIMARY KEY (campaign_id, channel_id)
      )`);
    await q.query(`CREATE INDEX campaign_channel_channel_idx ON campaign_channel (channel_id)`);
    await q.query(`
      CREATE TABLE campaign_variant (
        campaign_id uuid NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
        variant_id uuid NOT NULL REFERENCES variant(id) ON DELETE CASCADE,
        sale_price_vnd integer CHECK (sale_price_vnd > 0),
        reserved_units integer NOT NULL DEFAULT 0 CHECK (reserved_units >= 0),
        PRIMARY KEY (campaign_id, variant_id)
      )`);
    await q.query(`CREATE INDEX campaign_variant_variant_idx ON campaign_variant (variant_id)`);
    await q.query(`
      CREATE TABLE campaign_occurrence (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        campaign_id uuid NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL,
        state text NOT NULL DEFAULT 'SCHEDULED' CHECK (state IN ('SCHEDULED','RUNNING','ENDED','CANCELLED')),
        started_at timestamptz,
        ended_at timestamptz,
        CHECK (ends_at > starts_at),
        UNIQUE (campaign_id, starts_at)
      )`);
    // The ticker's two questions ("what is due to start / to end?") and desired-state's ("what runs?").
    await q.query(
      `CREATE INDEX campaign_occurrence_due_idx ON campaign_occurrence (starts_at) WHERE state = 'SCHEDULED'`,
    );
    await q.query(
      `CREATE INDEX campaign_occurrence_running_idx ON campaign_occurrence (campaign_id, ends_at) WHERE state = 'RUNNING'`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const t of ["campaign_occurrence", "campaign_variant", "campaign_channel", "campaign"])
      await q.query(`DROP TABLE IF EXISTS ${t} CASCADE`);
  }
}
