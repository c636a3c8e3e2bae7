import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The sync engine's tables: listings with a per-kind outbox (version wanted vs version pushed),
 * sync runs and their per-item results, marketplace orders (idempotent by channel + external id)
 * with lines and status history, durable webhook dedupe, order cursors, category and attribute
 * mappings.
 *
 * Change propagation is done by triggers, in the same transaction as the change, so no write path
 * (API, import, order import, scripts) can forget to mark a listing dirty: stock_level changes bump
 * stock_version, variant price changes bump price_version, product content and certification changes
 * bump content_version; each bump NOTIFYs the workers on 'ocop_outbox' (delivered at commit).
 */
export class Sync1764137100000 implements MigrationInterface {
  name = "Sync1764137100000";

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE listing (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        channel_id uuid NOT NULL REFERENCES channel(id) ON DELETE CASCADE,
        product_id uuid NOT NULL REFERENCES product(id) ON DELETE CASCADE,
        variant_id uuid NOT NULL REFERENCES variant(id) ON DELETE CASCADE,
        listing_key text NOT NULL,
        external_item_id text,
        external_sku_id text,
        state text NOT NULL DEFAULT 'DRAFT' CHECK (state IN ('DRAFT','PENDING','LIVE','FAILED','DELISTED')),
        price_version bigint NOT NULL DEFAULT 1,
        price_pushed_version bigint NOT NULL DEFAULT 0,
        price_dirty_since timestamptz DEFAULT now(),
        stock_version bigint NOT NULL DEFAULT 1,
        stock_pushed_version bigint NOT NULL DEFAULT 0,
        stock_dirty_since timestamptz DEFAULT now(),
        content_version bigint NOT NULL DEFAULT 1,
        content_pushed_version bigint NOT NULL DEFAULT 0,
        content_dirty_since timestamptz DEFAULT now(),
        pushed_price_vnd integer,
        pushed_stock integer,
        confirmed_price_vnd integer,
        confirmed_stock integer,
        confirmed_at timestamptz,
        content_hash text,
        last_error jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (channel_id, variant_id)
      )`);
    await q.query(`CREATE INDEX listing_variant_idx ON listing (variant_id)`);
    await q.query(`CREATE INDEX listing_product_idx ON listing (product_id)`);
    await q.query(`CREATE INDEX listing_channel_key_idx ON listing (channel_id, listing_key)`);
    for (const kind of ["price", "stock", "content"]) {
      await q.query(
        `CREATE INDEX listing_dirty_${kind}_idx ON listing (channel_id) WHERE ${kind}_version > ${kind}_pushed_version`,
      );
    }

    // Mark listings dirty in the transaction that changes what they should show.
    await q.query(`
      CREATE FUNCTION listing_touch(p_variants uuid[], p_products uuid[], p_kind text) RETURNS void
      LANGUAGE plpgsql AS $$
      DECLARE ch uuid;
      BEGIN
        FOR ch IN
          EXECUTE format(
            'UPDATE listing SET %1$s_version = %1$s_version + 1,
                    %1$s_dirty_since = CASE WHEN %1$s_version <= %1$s_pushed_version THEN now() ELSE %1$s_dirty_since END,
                    updated_at = now()
              WHERE state <> ''DELISTED'' AND (variant_id = ANY($1) OR product_id = ANY($2))
              RETURNING channel_id', p_kind)
          USING coalesce(p_variants, '{}'), coalesce(p_products, '{}')
        LOOP
          PERFORM pg_notify('ocop_outbox', ch::text || ':' || p_kind);
        END LOOP;
      END $$`);
    await q.query(`
      CREATE FUNCTION stock_level_touch() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.on_hand IS DISTINCT FROM OLD.on_hand OR NEW.reserved IS DISTINCT FROM OLD.reserved THEN
          PERFORM listing_touch(ARRAY[NEW.variant_id], NULL, 'stock');
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER stock_level_touch AFTER UPDATE ON stock_level FOR EACH ROW EXECUTE FUNCTION stock_level_touch()`,
    );
    await q.query(`
      CREATE FUNCTION variant_touch() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.price_vnd IS DISTINCT FROM OLD.price_vnd THEN
          PERFORM listing_touch(ARRAY[NEW.id], NULL, 'price');
        END IF;
        IF (NEW.pack_spec, NEW.weight_grams, NEW.barcode) IS DISTINCT FROM (OLD.pack_spec, OLD.weight_grams, OLD.barcode) THEN
          PERFORM listing_touch(ARRAY[NEW.id], NULL, 'content');
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER variant_touch AFTER UPDATE ON variant FOR EACH ROW EXECUTE FUNCTION variant_touch()`,
    );
    await q.query(`
      CREATE FUNCTION product_touch() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (NEW.name, NEW.description, NEW.story, NEW.images, NEW.category, NEW.product_set_no, NEW.status)
           IS DISTINCT FROM (OLD.name, OLD.description, OLD.story, OLD.images, OLD.category, OLD.product_set_no, OLD.status) THEN
          PERFORM listing_touch(NULL, ARRAY[NEW.id], 'content');
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER product_touch AFTER UPDATE ON product FOR EACH ROW EXECUTE FUNCTION product_touch()`,
    );
    await q.query(`
      CREATE FUNCTION certification_touch() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM listing_touch(NULL, ARRAY[coalesce(NEW.product_id, OLD.product_id)], 'content');
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER certification_touch AFTER INSERT OR UPDATE OR DELETE ON ocop_certification FOR EACH ROW EXECUTE FUNCTION certification_touch()`,
    );

    await q.query(`
      CREATE TABLE sync_run (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        channel_id uuid REFERENCES channel(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('PUBLISH','PRICE','STOCK','CONTENT','ORDERS','RECONCILE','REFRESH_TOKEN')),
        trigger text NOT NULL CHECK (trigger IN ('SCHEDULE','EVENT','MANUAL','WEBHOOK','RETRY','STARTUP')),
        status text NOT NULL DEFAULT 'QUEUED' CHECK (status IN ('QUEUED','RUNNING','FINISHED','CANCELLED')),
        outcome text CHECK (outcome IN ('SUCCEEDED','PARTIALLY_FAILED','FAILED')),
        dry_run boolean NOT NULL DEFAULT false,
        total integer NOT NULL DEFAULT 0,
        applied integer NOT NULL DEFAULT 0,
        skipped integer NOT NULL DEFAULT 0,
        failed integer NOT NULL DEFAULT 0,
        calls integer NOT NULL DEFAULT 0,
        error_code text,
        error_message text,
        request_id text,
        details jsonb NOT NULL DEFAULT '{}',
        queued_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX sync_run_channel_idx ON sync_run (channel_id, queued_at DESC)`);
    await q.query(
      `CREATE INDEX sync_run_status_idx ON sync_run (status) WHERE status IN ('QUEUED','RUNNING')`,
    );
    await q.query(`
      CREATE TABLE sync_item (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id uuid NOT NULL REFERENCES sync_run(id) ON DELETE CASCADE,
        listing_id uuid REFERENCES listing(id) ON DELETE SET NULL,
        sku text,
        kind text NOT NULL,
        status text NOT NULL CHECK (status IN ('APPLIED','SKIPPED','FAILED','RETRYING','PLANNED')),
        version bigint,
        value jsonb,
        remote_code text,
        remote_message text,
        code text,
        message_vi text,
        message_en text,
        hint_vi text,
        hint_en text,
        attempts integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX sync_item_run_idx ON sync_item (run_id, status)`);
    await q.query(`CREATE INDEX sync_item_listing_idx ON sync_item (listing_id)`);

    await q.query(`
      CREATE TABLE marketplace_order (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        channel_id uuid NOT NULL REFERENCES channel(id) ON DELETE CASCADE,
        producer_id uuid NOT NULL REFERENCES producer(id) ON DELETE CASCADE,
        external_order_id text NOT NULL,
        status text NOT NULL,
        remote_status text NOT NULL,
        buyer_name text,
        total_vnd bigint NOT NULL DEFAULT 0,
        currency text NOT NULL DEFAULT 'VND',
        remote_created_at timestamptz,
        remote_updated_at timestamptz,
        source text NOT NULL CHECK (source IN ('WEBHOOK','PULL','MANUAL')),
        has_problems boolean NOT NULL DEFAULT false,
        raw jsonb,
        imported_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (channel_id, external_order_id)
      )`);
    await q.query(
      `CREATE INDEX marketplace_order_producer_idx ON marketplace_order (producer_id, imported_at DESC)`,
    );
    await q.query(`
      CREATE TABLE order_line (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        order_id uuid NOT NULL REFERENCES marketplace_order(id) ON DELETE CASCADE,
        external_line_id text NOT NULL,
        sku text,
        variant_id uuid REFERENCES variant(id) ON DELETE SET NULL,
        title text NOT NULL DEFAULT '',
        quantity integer NOT NULL CHECK (quantity > 0),
        unit_price_vnd integer NOT NULL DEFAULT 0,
        state text NOT NULL CHECK (state IN ('RESERVED','OVERSOLD','UNMAPPED','RELEASED','SOLD','RETURNED')),
        UNIQUE (order_id, external_line_id)
      )`);
    await q.query(`CREATE INDEX order_line_variant_idx ON order_line (variant_id)`);
    await q.query(`
      CREATE TABLE order_status_history (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        order_id uuid NOT NULL REFERENCES marketplace_order(id) ON DELETE CASCADE,
        status text NOT NULL,
        remote_status text NOT NULL,
        source text NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX order_status_history_order_idx ON order_status_history (order_id, id)`);

    await q.query(`
      CREATE TABLE webhook_event (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        channel_id uuid NOT NULL REFERENCES channel(id) ON DELETE CASCADE,
        event_key text NOT NULL,
        kind text NOT NULL,
        external_order_id text,
        payload jsonb,
        received_at timestamptz NOT NULL DEFAULT now(),
        processed_at timestamptz,
        UNIQUE (channel_id, event_key)
      )`);
    await q.query(`
      CREATE TABLE channel_cursor (
        channel_id uuid NOT NULL REFERENCES channel(id) ON DELETE CASCADE,
        kind text NOT NULL,
        cursor jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (channel_id, kind)
      )`);
    await q.query(`
      CREATE TABLE category_mapping (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        marketplace text NOT NULL,
        category text NOT NULL,
        product_set_no smallint,
        remote_category_id text NOT NULL,
        remote_category_name text,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE NULLS NOT DISTINCT (marketplace, category, product_set_no)
      )`);
    await q.query(`
      CREATE TABLE attribute_mapping (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        marketplace text NOT NULL,
        remote_category_id text NOT NULL,
        remote_attribute_id text NOT NULL,
        value_source text NOT NULL CHECK (value_source IN ('FIXED','PRODUCT_FIELD')),
        value text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (marketplace, remote_category_id, remote_attribute_id)
      )`);
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const t of [
      "attribute_mapping",
      "category_mapping",
      "channel_cursor",
      "webhook_event",
      "order_status_history",
      "order_line",
      "marketplace_order",
      "sync_item",
      "sync_run",
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${t} CASCADE`);
    }
    await q.query(`DROP TRIGGER IF EXISTS certification_touch ON ocop_certification`);
    await q.query(`DROP TRIGGER IF EXISTS product_touch ON product`);
    await q.query(`DROP TRIGGER IF EXISTS variant_touch ON variant`);
    await q.query(`DROP TRIGGER IF EXISTS stock_level_touch ON stock_level`);
    await q.query(`DROP TABLE IF EXISTS listing CASCADE`);
    for (const f of [
      "certification_touch()",
      "product_touch()",
      "variant_touch()",
      "stock_level_touch()",
      "listing_touch(uuid[], uuid[], text)",
    ]) {
      await q.query(`DROP FUNCTION IF EXISTS ${f}`);
    }
  }
}
