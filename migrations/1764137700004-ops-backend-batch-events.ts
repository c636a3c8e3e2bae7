import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Outbound events written per statement instead of per row (measured by bench/outbound-trigger-cost:
 * row triggers made a 10,000-row stock update several times slower even with no subscriber).
 *
 * - product, variant, stock_level and marketplace_order get statement-level triggers with
 *   transition tables: one call per statement, which returns at once when nobody subscribes to the
 *   event type, and otherwise writes all its events and deliveries in two set-based INSERTs.
 * - listing keeps a row trigger, but with a WHEN clause, so PostgreSQL only calls it for a row
 *   that becomes FAILED (the dispatcher's many listing updates never reach plpgsql).
 * - One NOTIFY per transaction (constant payload, deduplicated by PostgreSQL) instead of one per event.
 *
 * The row-level functions of 1764137700004-ops-backend stay defined, for down().
 */
export class OpsBackendBatchEvents1764137700004 implements MigrationInterface {
  name = "OpsBackendBatchEvents1764137700004";

  public async up(q: QueryRunner): Promise<void> {
    for (const [trigger, table] of [
      ["outbound_product_event", "product"],
      ["outbound_variant_event", "variant"],
      ["outbound_stock_event", "stock_level"],
      ["outbound_order_event", "marketplace_order"],
      ["outbound_listing_event", "listing"],
    ])
      await q.query(`DROP TRIGGER IF EXISTS ${trigger} ON ${table}`);

    await q.query(`
      CREATE FUNCTION outbound_wanted(p_type text) RETURNS boolean LANGUAGE sql STABLE AS $$
        SELECT EXISTS (SELECT 1 FROM webhook_subscription WHERE active AND p_type = ANY(events))
      $$`);
    // Same matching as outbound_emit, for many events at once.
    await q.query(`
      CREATE FUNCTION outbound_emit_batch(p_type text, p_producers uuid[], p_payloads jsonb[]) RETURNS void
      LANGUAGE plpgsql AS $$
      BEGIN
        IF p_producers IS NULL OR cardinality(p_producers) = 0 THEN RETURN; END IF;
        WITH x AS (
          SELECT gen_random_uuid() AS id, r.producer_id, pr.organization_id, r.payload
            FROM unnest(p_producers, p_payloads) AS r(producer_id, payload)
            LEFT JOIN producer pr ON pr.id = r.producer_id),
        ev AS (
          INSERT INTO outbound_event (id, type, producer_id, organization_id, payload)
          SELECT x.id, p_type, x.producer_id, x.organization_id, x.payload FROM x
           WHERE EXISTS (SELECT 1 FROM webhook_subscription s
                          WHERE s.active AND p_type = ANY(s.events)
                            AND ((s.producer_id IS NULL AND s.organization_id IS NULL)
                                 OR s.producer_id = x.producer_id OR s.organization_id = x.organization_id))
          RETURNING id, producer_id, organization_id)
        INSERT INTO webhook_delivery (subscription_id, event_id)
        SELECT s.id, ev.id FROM ev
          JOIN webhook_subscription s ON s.active AND p_type = ANY(s.events)
           AND ((s.producer_id IS NULL AND s.organization_id IS NULL)
                OR s.producer_id = ev.producer_id OR s.organization_id = ev.organization_id);
        IF FOUND THEN PERFORM pg_notify('ocop_webhooks', ''); END IF;
      END $$`);
    // The single-event path (alerts, listings) notifies once per transaction too.
    await q.query(`
      CREATE OR REPLACE FUNCTION outbound_emit(p_type text, p_producer uuid, p_payload jsonb) RETURNS void
      LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT outbound_wanted(p_type) THEN RETURN; END IF;
        PERFORM outbound_emit_batch(p_type, ARRAY[p_producer], ARRAY[p_payload]);
      END $$`);

    await q.query(`
      CREATE FUNCTION outbound_product_events() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT outbound_wanted('PRODUCT_CHANGED') THEN RETURN NULL; END IF;
        IF TG_OP = 'INSERT' THEN
          PERFORM outbound_emit_batch('PRODUCT_CHANGED', array_agg(n.producer_id), array_agg(jsonb_build_object(
            'productId', ocop_gid('Product', n.id), 'producerId', ocop_gid('Producer', n.producer_id),
            'change', 'insert', 'name', n.name, 'status', n.status)))
            FROM new_rows n;
        ELSE
          PERFORM outbound_emit_batch('PRODUCT_CHANGED', array_agg(n.producer_id), array_agg(jsonb_build_object(
            'productId', ocop_gid('Product', n.id), 'producerId', ocop_gid('Producer', n.producer_id),
            'change', 'update', 'name', n.name, 'status', n.status)))
            FROM new_rows n JOIN old_rows o ON o.id = n.id
           WHERE (n.name, n.description, n.story, n.images, n.category, n.product_set_no, n.status)
                 IS DISTINCT FROM (o.name, o.description, o.story, o.images, o.category, o.product_set_no, o.status);
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER outbound_product_insert AFTER INSERT ON product REFERENCING NEW TABLE AS new_rows
                   FOR EACH STATEMENT EXECUTE FUNCTION outbound_product_events()`);
    await q.query(`CREATE TRIGGER outbound_product_update AFTER UPDATE ON product
                   REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                   FOR EACH STATEMENT EXECUTE FUNCTION outbound_product_events()`);

    await q.query(`
      CREATE FUNCTION outbound_variant_events() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT outbound_wanted('PRODUCT_CHANGED') THEN RETURN NULL; END IF;
        PERFORM outbound_emit_batch('PRODUCT_CHANGED', array_agg(n.producer_id), array_agg(jsonb_build_object(
          'productId', ocop_gid('Product', n.product_id), 'producerId', ocop_gid('Producer', n.producer_id),
          'variantId', ocop_gid('Variant', n.id), 'sku', n.sku, 'change', 'variant',
          'priceVnd', n.price_vnd, 'previousPriceVnd', o.price_vnd)))
          FROM new_rows n JOIN old_rows o ON o.id = n.id
         WHERE (n.sku, n.price_vnd, n.pack_spec, n.weight_grams, n.barcode)
               IS DISTINCT FROM (o.sku, o.price_vnd, o.pack_spec, o.weight_grams, o.barcode);
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER outbound_variant_update AFTER UPDATE ON variant
                   REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                   FOR EACH STATEMENT EXECUTE FUNCTION outbound_variant_events()`);

    await q.query(`
      CREATE FUNCTION outbound_stock_events() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT outbound_wanted('STOCK_CHANGED') THEN RETURN NULL; END IF;
        PERFORM outbound_emit_batch('STOCK_CHANGED', array_agg(v.producer_id), array_agg(jsonb_build_object(
          'variantId', ocop_gid('Variant', n.variant_id), 'productId', ocop_gid('Product', v.product_id),
          'producerId', ocop_gid('Producer', v.producer_id), 'sku', v.sku,
          'onHand', n.on_hand, 'reserved', n.reserved, 'available', n.on_hand - n.reserved,
          'previousAvailable', o.on_hand - o.reserved)))
          FROM new_rows n JOIN old_rows o ON o.variant_id = n.variant_id JOIN variant v ON v.id = n.variant_id
         WHERE (n.on_hand, n.reserved) IS DISTINCT FROM (o.on_hand, o.reserved);
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER outbound_stock_update AFTER UPDATE ON stock_level
                   REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                   FOR EACH STATEMENT EXECUTE FUNCTION outbound_stock_events()`);

    await q.query(`
      CREATE FUNCTION outbound_order_events() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          IF NOT outbound_wanted('ORDER_IMPORTED') THEN RETURN NULL; END IF;
          PERFORM outbound_emit_batch('ORDER_IMPORTED', array_agg(n.producer_id), array_agg(jsonb_build_object(
            'orderId', ocop_gid('Order', n.id), 'channelId', ocop_gid('Channel', n.channel_id),
            'producerId', ocop_gid('Producer', n.producer_id), 'marketplace', c.marketplace,
            'externalOrderId', n.external_order_id, 'status', n.status, 'previousStatus', NULL,
            'totalVnd', n.total_vnd, 'source', n.source)))
            FROM new_rows n JOIN channel c ON c.id = n.channel_id;
        ELSE
          IF NOT outbound_wanted('ORDER_STATUS_CHANGED') THEN RETURN NULL; END IF;
          PERFORM outbound_emit_batch('ORDER_STATUS_CHANGED', array_agg(n.producer_id), array_agg(jsonb_build_object(
            'orderId', ocop_gid('Order', n.id), 'channelId', ocop_gid('Channel', n.channel_id),
            'producerId', ocop_gid('Producer', n.producer_id), 'marketplace', c.marketplace,
            'externalOrderId', n.external_order_id, 'status', n.status, 'previousStatus', o.status,
            'totalVnd', n.total_vnd, 'source', n.source)))
            FROM new_rows n JOIN old_rows o ON o.id = n.id JOIN channel c ON c.id = n.channel_id
           WHERE n.status IS DISTINCT FROM o.status;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER outbound_order_insert AFTER INSERT ON marketplace_order REFERENCING NEW TABLE AS new_rows
                   FOR EACH STATEMENT EXECUTE FUNCTION outbound_order_events()`);
    await q.query(`CREATE TRIGGER outbound_order_update AFTER UPDATE ON marketplace_order
                   REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                   FOR EACH STATEMENT EXECUTE FUNCTION outbound_order_events()`);

    // Row trigger kept (a column list cannot go with transition tables), filtered before plpgsql.
    await q.query(`CREATE TRIGGER outbound_listing_failed_insert AFTER INSERT ON listing
                   FOR EACH ROW WHEN (NEW.state = 'FAILED') EXECUTE FUNCTION outbound_listing_event()`);
    await q.query(`CREATE TRIGGER outbound_listing_failed_update AFTER UPDATE OF state ON listing
                   FOR EACH ROW WHEN (NEW.state = 'FAILED' AND OLD.state IS DISTINCT FROM 'FAILED')
                   EXECUTE FUNCTION outbound_listing_event()`);
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const [trigger, table] of [
      ["outbound_listing_failed_update", "listing"],
      ["outbound_listing_failed_insert", "listing"],
      ["outbound_order_update", "marketplace_order"],
      ["outbound_order_insert", "marketplace_order"],
      ["outbound_stock_update", "stock_level"],
      ["outbound_variant_update", "variant"],
      ["outbound_product_update", "product"],
      ["outbound_product_insert", "product"],
    ])
      await q.query(`DROP TRIGGER IF EXISTS ${trigger} ON ${table}`);
    for (const f of [
      "outbound_order_events()",
      "outbound_stock_events()",
      "outbound_variant_events()",
      "outbound_product_events()",
    ])
      await q.query(`DROP FUNCTION IF EXISTS ${f}`);
    // Back to the row-level emit of 1764137700004-ops-backend.
    await q.query(`
      CREATE OR REPLACE FUNCTION outbound_emit(p_type text, p_producer uuid, p_payload jsonb) RETURNS void
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
    await q.query(`DROP FUNCTION IF EXISTS outbound_emit_batch(text, uuid[], jsonb[])`);
    await q.query(`DROP FUNCTION IF EXISTS outbound_wanted(text)`);
    await q.query(
      `CREATE TRIGGER outbound_product_event AFTER INSERT OR UPDATE ON product FOR EACH ROW EXECUTE FUNCTION outbound_product_event()`,
    );
    await q.query(
      `CREATE TRIGGER outbound_variant_event AFTER UPDATE ON variant FOR EACH ROW EXECUTE FUNCTION outbound_variant_event()`,
    );
    await q.query(
      `CREATE TRIGGER outbound_stock_event AFTER UPDATE ON stock_level FOR EACH ROW EXECUTE FUNCTION outbound_stock_event()`,
    );
    await q.query(
      `CREATE TRIGGER outbound_order_event AFTER INSERT OR UPDATE ON marketplace_order FOR EACH ROW EXECUTE FUNCTION outbound_order_event()`,
    );
    await q.query(
      `CREATE TRIGGER outbound_listing_event AFTER INSERT OR UPDATE OF state ON listing FOR EACH ROW EXECUTE FUNCTION outbound_listing_event()`,
    );
  }
}
