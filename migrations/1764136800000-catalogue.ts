import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The master catalogue: organizations, producers, products, variants, stock with its ledger,
 * OCOP certifications, API keys, and marketplace channels (credentials encrypted by the app).
 */
export class Catalogue1764136800000 implements MigrationInterface {
  name = "Catalogue1764136800000";

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto`);
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);

    await q.query(`
      CREATE TABLE organization (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        kind text NOT NULL DEFAULT 'PROVINCIAL_OFFICE',
        province_code text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE producer (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid REFERENCES organization(id) ON DELETE SET NULL,
        legal_name text NOT NULL CHECK (length(legal_name) BETWEEN 1 AND 300),
        name_key text NOT NULL,
        type text NOT NULL CHECK (type IN ('ENTERPRISE','COOPERATIVE','COOPERATIVE_GROUP','HOUSEHOLD_BUSINESS')),
        tax_code text UNIQUE,
        representative text,
        phone text,
        email text,
        address_raw text,
        legacy_province_name text,
        legacy_district_name text,
        legacy_ward_name text,
        province_code text,
        province_name text,
        ward_code text,
        ward_name text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // One producer per legal name in a province: keeps CSV imports idempotent under concurrency.
    await q.query(
      `CREATE UNIQUE INDEX producer_name_province_uq ON producer (name_key, coalesce(province_code, ''))`,
    );
    await q.query(`CREATE INDEX producer_org_idx ON producer (organization_id)`);
    await q.query(`CREATE INDEX producer_province_idx ON producer (province_code)`);

    await q.query(`
      CREATE TABLE product (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        producer_id uuid NOT NULL REFERENCES producer(id) ON DELETE RESTRICT,
        ref_code text UNIQUE,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
        search_key text NOT NULL,
        slug text NOT NULL,
        description text NOT NULL DEFAULT '',
        story text NOT NULL DEFAULT '',
        category text NOT NULL CHECK (category IN ('FOOD','BEVERAGE','HERBAL','HANDICRAFT','ORNAMENTAL','TOURISM')),
        product_set_no smallint CHECK (product_set_no BETWEEN 1 AND 26),
        images jsonb NOT NULL DEFAULT '[]',
        status text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE','ARCHIVED')),
        provenance jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (producer_id, slug)
      )`);
    await q.query(`CREATE INDEX product_producer_idx ON product (producer_id)`);
    await q.query(`CREATE INDEX product_category_idx ON product (category)`);
    await q.query(`CREATE INDEX product_set_idx ON product (product_set_no)`);
    // Whole-word search runs a regex over the folded key; trigrams let it use an index.
    await q.query(`CREATE INDEX product_search_trgm ON product USING gin (search_key gin_trgm_ops)`);
    await q.query(`CREATE INDEX product_order_idx ON product (search_key, id)`);

    await q.query(`
      CREATE TABLE variant (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        product_id uuid NOT NULL REFERENCES product(id) ON DELETE CASCADE,
        producer_id uuid NOT NULL REFERENCES producer(id) ON DELETE RESTRICT,
        sku text NOT NULL CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
        pack_spec text NOT NULL DEFAULT '',
        weight_grams integer CHECK (weight_grams > 0),
        length_mm integer CHECK (length_mm > 0),
        width_mm integer CHECK (width_mm > 0),
        height_mm integer CHECK (height_mm > 0),
        barcode text,
        price_vnd integer CHECK (price_vnd >= 0),
        vat_rate_percent smallint NOT NULL DEFAULT 8 CHECK (vat_rate_percent IN (0, 5, 8, 10)),
        position smallint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (producer_id, sku)
      )`);
    await q.query(`CREATE INDEX variant_product_idx ON variant (product_id, position)`);

    await q.query(`
      CREATE TABLE stock_level (
        variant_id uuid PRIMARY KEY REFERENCES variant(id) ON DELETE CASCADE,
        on_hand integer NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
        reserved integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (reserved <= on_hand)
      )`);

    await q.query(`
      CREATE TABLE stock_movement (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        variant_id uuid NOT NULL REFERENCES variant(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('INITIAL','ADJUSTMENT','COUNT','RESERVATION','RELEASE','SALE','RETURN')),
        on_hand_delta integer NOT NULL,
        reserved_delta integer NOT NULL,
        on_hand_after integer NOT NULL,
        reserved_after integer NOT NULL,
        reason text NOT NULL DEFAULT '',
        reference text,
        actor text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX stock_movement_variant_idx ON stock_movement (variant_id, id)`);
    // One ledger entry per (reference, kind, variant): an order line can reserve or sell only once.
    await q.query(
      `CREATE UNIQUE INDEX stock_movement_reference_uq ON stock_movement (variant_id, kind, reference) WHERE reference IS NOT NULL`,
    );
    // The ledger is append-only.
    await q.query(`
      CREATE FUNCTION stock_movement_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'stock_movement is append-only'; END $$`);
    await q.query(`
      CREATE TRIGGER stock_movement_no_update BEFORE UPDATE OR DELETE ON stock_movement
      FOR EACH ROW EXECUTE FUNCTION stock_movement_append_only()`);

    await q.query(`
      CREATE TABLE ocop_certification (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        product_id uuid NOT NULL REFERENCES product(id) ON DELETE CASCADE,
        star smallint NOT NULL CHECK (star BETWEEN 3 AND 5),
        potential_five_star boolean NOT NULL DEFAULT false,
        score numeric(5,2) CHECK (score BETWEEN 0 AND 100),
        decision_number text,
        decision_date date,
        decision_year smallint,
        issuer_level text CHECK (issuer_level IN ('DISTRICT','PROVINCE','NATIONAL')),
        issuer_name text,
        criteria_version text,
        valid_until date,
        validity_basis text NOT NULL CHECK (validity_basis IN ('DECISION_DATE','EXPIRY_GIVEN','YEAR_ESTIMATE','UNKNOWN')),
        verification text,
        source_url text,
        is_re_recognition boolean NOT NULL DEFAULT false,
        superseded_at timestamptz,
        superseded_by_id uuid REFERENCES ocop_certification(id),
        revoked_at timestamptz,
        revocation_reason text,
        notes text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Decision numbers repeat across provinces and years: the natural key includes date and issuer.
    await q.query(`
      CREATE UNIQUE INDEX ocop_certification_decision_uq ON ocop_certification
        (product_id, decision_number, decision_date, issuer_name, star) NULLS NOT DISTINCT`);
    await q.query(`CREATE INDEX ocop_certification_product_idx ON ocop_certification (product_id)`);
    await q.query(`CREATE INDEX ocop_certification_valid_idx ON ocop_certification (valid_until)`);

    await q.query(`
      CREATE TABLE api_key (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        key_prefix text NOT NULL,
        key_hash text NOT NULL UNIQUE,
        role text NOT NULL CHECK (role IN ('ADMIN','PRODUCER','INTEGRATOR_READ','OPS')),
        producer_id uuid REFERENCES producer(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz,
        CHECK ((role = 'PRODUCER') = (producer_id IS NOT NULL))
      )`);

    await q.query(`
      CREATE TABLE channel (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        producer_id uuid NOT NULL REFERENCES producer(id) ON DELETE CASCADE,
        marketplace text NOT NULL CHECK (marketplace IN ('shopee','lazada','tiktok-shop','tiki')),
        name text NOT NULL,
        shop_id text,
        base_url text NOT NULL,
        status text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE','NEEDS_REAUTH','PAUSED','DISCONNECTED')),
        credentials bytea,
        credentials_version integer NOT NULL DEFAULT 0,
        access_expires_at timestamptz,
        refresh_expires_at timestamptz,
        settings jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE UNIQUE INDEX channel_shop_uq ON channel (marketplace, shop_id) WHERE shop_id IS NOT NULL AND status <> 'DISCONNECTED'`,
    );
    await q.query(`CREATE INDEX channel_producer_idx ON channel (producer_id)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const t of [
      "channel",
      "api_key",
      "ocop_certification",
      "stock_movement",
      "stock_level",
      "variant",
      "product",
      "producer",
      "organization",
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${t} CASCADE`);
    }
    await q.query(`DROP FUNCTION IF EXISTS stock_movement_append_only()`);
  }
}
