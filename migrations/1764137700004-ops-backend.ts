import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Alerts and outbound webhooks.
 *
 * - `alert`: one row per raised alert; the partial unique index on (rule, subject_key) while not
 *   RESOLVED is what deduplicates an open alert across evaluations and processes.
 *   `alert_evaluation` holds one row per scheduled tick, so N workers evaluate each tick once.
 * - Outbound webhooks: `webhook_subscription` (secret sealed with the hub's SecretBox),
 *   `outbound_event` (what happened), `webhook_delivery` (one per subscription and event: the
 *   durable delivery job, with its retry schedule) and `webhook_attempt` (every attempt, kept).
 *
 * Events are written by triggers, in the transaction of the change, so no write path (API, CSV
 * import, order import, reconciliation, scripts) can forget one and none is recorded for a change
 * that rolled back. outbound_emit() returns at once when nobody subscribes to the event type, so
 * the triggers cost one index probe on a tiny table for hubs without subscribers.
 */
export class OpsBackend1764137700004 implements MigrationInterface {
  name = "OpsBackend1764137700004";

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE alert (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        rule text NOT NULL,
        subject_key text NOT NULL,
        severity text NOT NULL CHECK (severity IN ('INFO','WARNING','CRITICAL')),
        status text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN','ACKNOWLEDGED','RESOLVED')),
        producer_id uuid REFERENCES producer(id) ON DELETE CASCADE,
        channel_id uuid REFERENCES channel(id) ON DELETE CASCADE,
        params jsonb NOT NULL DEFAULT '{}',
        raised_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        acknowledged_at timestamptz,
        acknowledged_by text,
        resolved_at timestamptz
      )`);
    await q.query(
      `CREATE UNIQUE INDEX alert_open_uq ON alert (rule, subject_key) WHERE status <> 'RESOLVED'`,
    );
    await q.query(`CREATE INDEX alert_producer_idx ON alert (producer_id, raised_at DESC)`);
    await q.query(`CREATE INDEX alert_status_idx ON alert (status, raised_at DESC)`);
    await q.query(`
      CREATE TABLE alert_evaluation (
        tick_key text PRIMARY KEY,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        raised integer NOT NULL DEFAULT 0,
        resolved integer NOT NULL DEFAULT 0,
        open integer NOT NULL DEFAULT 0,
        error text
      )`);

    await q.query(`
      CREATE TABLE webhook_subscription (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid REFERENCES organization(id) ON DELETE CASCADE,
        producer_id uuid REFERENCES producer(id) ON DELETE CASCADE,
        url text NOT NULL,
        events text[] NOT NULL CHECK (cardinality(events) > 0),
        secret bytea NOT NULL,
        description text NOT NULL DEFAULT '',
        active boolean NOT NULL DEFAULT true,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (num_nonnulls(organization_id, producer_id) <= 1)
      )`);
    await q.query(`CREATE INDEX webhook_subscription_events_idx ON webhook_subscription USING gin (events)`);
    await q.query(
      `CREATE INDEX webhook_subscription_producer_idx ON webhook_subscription (producer_id) WHERE producer_id IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX webhook_subscription_org_idx ON webhook_subscription (organization_id) WHERE organization_id IS NOT NULL`,
    );
    await q.query(`
      CREATE TABLE outbound_event (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        type text NOT NULL,
        producer_id uuid,
        organization_id uuid,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX outbound_event_created_idx ON outbound_event (created_at)`);
    await q.query(`
      CREATE TABLE webhook_delivery (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        subscription_id uuid NOT NULL REFERENCES webhook_subscription(id) ON DELETE CASCADE,
        event_id uuid NOT NULL REFERENCES outbound_event(id) ON DELETE CASCADE,
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING','DELIVERED','FAILED')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_status_code integer,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        UNIQUE (subscription_id, event_id)
      )`);
    await q.query(
      `CREATE INDEX webhook_delivery_due_idx ON webhook_delivery (next_attempt_at) WHERE status = 'PENDING'`,
    );
    await q.query(
      `CREATE INDEX webhook_delivery_subscription_idx ON webhook_delivery (subscription_id, created_at DESC)`,
    );
    await q.query(`
      CREATE TABLE webhook_attempt (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        delivery_id uuid NOT NULL REFERENCES webhook_delivery(id) ON DELETE CASCADE,
        attempt integer NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        duration_ms integer NOT NULL,
        status_code integer,
        error text,
        response_excerpt text
      )`);
    await q.query(`CREATE INDEX webhook_attempt_delivery_idx ON webhook_attempt (delivery_id, id)`);

    // The one way events are recorded: for the subscribers of this type and producer, if any.
    // A subscription matches its producer, every producer of its organization, or (neither set)
    // every producer; events without a producer (platform alerts) reach platform-wide ones only.
    await q.query(`
      CREATE FUNCTION outbound_emit(p_type text, p_producer uuid, p_payload jsonb) RETURNS void
      LANGUAGE plpgsql AS $$
      DECLARE org uuid; ev uuid;
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM webhook_subscription WHERE active AND events @> ARRAY[p_type]) THEN
          RETURN;
        END IF;
        IF p_producer IS NOT NULL THEN
          SELECT organization_id INTO org FROM producer WHERE id = p_producer;
        END IF;
        IF NOT EXISTS (
          SELECT 1 FROM webhook_subscription s
           WHERE s.active AND s.events @> ARRAY[p_type]
             AND ((s.producer_id IS NULL AND s.organization_id IS NULL)
                  OR (p_producer IS NOT NULL AND s.producer_id = p_producer)
                  OR (org IS NOT NULL AND s.organization_id = org))) THEN
          RETURN;
        END IF;
        INSERT INTO outbound_event (type, producer_id, organization_id, payload)
        VALUES (p_type, p_producer, org, p_payload) RETURNING id INTO ev;
        INSERT INTO webhook_delivery (subscription_id, event_id)
        SELECT s.id, ev FROM webhook_subscription s
         WHERE s.active AND s.events @> ARRAY[p_type]
           AND ((s.producer_id IS NULL AND s.organization_id IS NULL)
                OR (p_producer IS NOT NULL AND s.producer_id = p_producer)
                OR (org IS NOT NULL AND s.organization_id = org));
        PERFORM pg_notify('ocop_webhooks', ev::text);
      END $$`);

    // Global ids as the API shows them: base64url("Type:uuid").
    await q.query(`
      CREATE FUNCTION ocop_gid(p_type text, p_id uuid) RETURNS text
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN p_id IS NULL THEN NULL ELSE
          rtrim(translate(encode(convert_to(p_type || ':' || p_id::text, 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')
        END
      $$`);

    await q.query(`
      CREATE FUNCTION outbound_product_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND (NEW.name, NEW.description, NEW.story, NEW.images, NEW.category,
            NEW.product_set_no, NEW.status) IS NOT DISTINCT FROM (OLD.name, OLD.description, OLD.story,
            OLD.images, OLD.category, OLD.product_set_no, OLD.status) THEN
          RETURN NULL;
        END IF;
        PERFORM outbound_emit('PRODUCT_CHANGED', NEW.producer_id, jsonb_build_object(
          'productId', ocop_gid('Product', NEW.id), 'producerId', ocop_gid('Producer', NEW.producer_id),
          'change', lower(TG_OP), 'name', NEW.name, 'status', NEW.status));
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER outbound_product_event AFTER INSERT OR UPDATE ON product FOR EACH ROW EXECUTE FUNCTION outbound_product_event()`,
    );
    await q.query(`
      CREATE FUNCTION outbound_variant_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (NEW.sku, NEW.price_vnd, NEW.pack_spec, NEW.weight_grams, NEW.barcode)
           IS NOT DISTINCT FROM (OLD.sku, OLD.price_vnd, OLD.pack_spec, OLD.weight_grams, OLD.barcode) THEN
          RETURN NULL;
        END IF;
        PERFORM outbound_emit('PRODUCT_CHANGED', NEW.producer_id, jsonb_build_object(
          'productId', ocop_gid('Product', NEW.product_id), 'producerId', ocop_gid('Producer', NEW.producer_id),
          'variantId', ocop_gid('Variant', NEW.id), 'sku', NEW.sku, 'change', 'variant',
          'priceVnd', NEW.price_vnd, 'previousPriceVnd', OLD.price_vnd));
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER outbound_variant_event AFTER UPDATE ON variant FOR EACH ROW EXECUTE FUNCTION outbound_variant_event()`,
    );
    await q.query(`
      CREATE FUNCTION outbound_stock_event() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE v record;
      BEGIN
        IF (NEW.on_hand, NEW.reserved) IS NOT DISTINCT FROM (OLD.on_hand, OLD.reserved) THEN
          RETURN NULL;
        END IF;
        SELECT producer_id, product_id, sku INTO v FROM variant WHERE id = NEW.variant_id;
        PERFORM outbound_emit('STOCK_CHANGED', v.producer_id, jsonb_build_object(
          'variantId', ocop_gid('Variant', NEW.variant_id), 'productId', ocop_gid('Product', v.product_id),
          'producerId', ocop_gid('Producer', v.producer_id), 'sku', v.sku,
          'onHand', NEW.on_hand, 'reserved', NEW.reserved, 'available', NEW.on_hand - NEW.reserved,
          'previousAvailable', OLD.on_hand - OLD.reserved));
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER outbound_stock_event AFTER UPDATE ON stock_level FOR EACH ROW EXECUTE FUNCTION outbound_stock_event()`,
    );
    await q.query(`
      CREATE FUNCTION outbound_order_event() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE mk text;
      BEGIN
        IF TG_OP = 'UPDATE' AND NEW.status IS NOT DISTINCT FROM OLD.status THEN
          RETURN NULL;
        END IF;
        SELECT marketplace INTO mk FROM channel WHERE id = NEW.channel_id;
        PERFORM outbound_emit(
          CASE WHEN TG_OP = 'INSERT' THEN 'ORDER_IMPORTED' ELSE 'ORDER_STATUS_CHANGED' END,
          NEW.producer_id,
          jsonb_build_object(
            'orderId', ocop_gid('Order', NEW.id), 'channelId', ocop_gid('Channel', NEW.channel_id),
            'producerId', ocop_gid('Producer', NEW.producer_id), 'marketplace', mk,
            'externalOrderId', NEW.external_order_id, 'status', NEW.status,
            'previousStatus', CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END,
            'totalVnd', NEW.total_vnd, 'source', NEW.source));
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER outbound_order_event AFTER INSERT OR UPDATE ON marketplace_order FOR EACH ROW EXECUTE FUNCTION outbound_order_event()`,
    );
    await q.query(`
      CREATE FUNCTION outbound_listing_event() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE ch record; v record;
      BEGIN
        IF NEW.state <> 'FAILED' OR (TG_OP = 'UPDATE' AND OLD.state = 'FAILED') THEN
          RETURN NULL;
        END IF;
        SELECT producer_id, marketplace INTO ch FROM channel WHERE id = NEW.channel_id;
        SELECT sku INTO v FROM variant WHERE id = NEW.variant_id;
        PERFORM outbound_emit('LISTING_FAILED', ch.producer_id, jsonb_build_object(
          'listingId', NEW.id, 'channelId', ocop_gid('Channel', NEW.channel_id),
          'producerId', ocop_gid('Producer', ch.producer_id), 'marketplace', ch.marketplace,
          'productId', ocop_gid('Product', NEW.product_id), 'variantId', ocop_gid('Variant', NEW.variant_id),
          'sku', v.sku, 'error', NEW.last_error));
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER outbound_listing_event AFTER INSERT OR UPDATE OF state ON listing FOR EACH ROW EXECUTE FUNCTION outbound_listing_event()`,
    );
    await q.query(`
      CREATE FUNCTION outbound_alert_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM outbound_emit('ALERT_RAISED', NEW.producer_id, jsonb_build_object(
          'alertId', NEW.id, 'rule', NEW.rule, 'severity', NEW.severity, 'subject', NEW.subject_key,
          'producerId', ocop_gid('Producer', NEW.producer_id), 'channelId', ocop_gid('Channel', NEW.channel_id),
          'params', NEW.params, 'raisedAt', NEW.raised_at));
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER outbound_alert_event AFTER INSERT ON alert FOR EACH ROW EXECUTE FUNCTION outbound_alert_event()`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS outbound_alert_event ON alert`);
    await q.query(`DROP TRIGGER IF EXISTS outbound_listing_event ON listing`);
    await q.query(`DROP TRIGGER IF EXISTS outbound_order_event ON marketplace_order`);
    await q.query(`DROP TRIGGER IF EXISTS outbound_stock_event ON stock_level`);
    await q.query(`DROP TRIGGER IF EXISTS outbound_variant_event ON variant`);
    await q.query(`DROP TRIGGER IF EXISTS outbound_product_event ON product`);
    for (const f of [
      "outbound_alert_event()",
      "outbound_listing_event()",
      "outbound_order_event()",
      "outbound_stock_event()",
      "outbound_variant_event()",
      "outbound_product_event()",
      "ocop_gid(text, uuid)",
      "outbound_emit(text, uuid, jsonb)",
    ])
      await q.query(`DROP FUNCTION IF EXISTS ${f}`);
    await q.query(`DROP TABLE IF EXISTS webhook_attempt`);
    await q.query(`DROP TABLE IF EXISTS webhook_delivery`);
    await q.query(`DROP TABLE IF EXISTS outbound_event`);
    await q.query(`DROP TABLE IF EXISTS webhook_subscription`);
    await q.query(`DROP TABLE IF EXISTS alert_evaluation`);
    await q.query(`DROP TABLE IF EXISTS alert`);
  }
}
