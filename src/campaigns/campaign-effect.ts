/**
 * How a running sale window changes what listings should show, and how its start and end reach the
 * marketplaces.
 *
 * Price: while an occurrence of a campaign is RUNNING, a listing of one of its variants on one of
 * its PRICE_ADJUST channels should show the campaign price (campaign-rules.ts campaignPrice); on a
 * NATIVE_PROMOTION channel the marketplace applies the sale itself (campaign-promotions.ts) and the
 * listed price stays the normal one; otherwise the
 * normal price. desired-state.ts joins CAMPAIGN_PRICE_SQL into its one query, so the outbox,
 * publish and reconciliation all agree, and at the end the normal price is computed from the
 * catalogue price of that moment (a price changed during the window is what comes back).
 *
 * Reserved stock: a campaign variant with `reserved_units` = N holds N units for the campaign's
 * channels while an occurrence runs. The campaign's channels show the normal available stock (they
 * may sell everything, held units included); every OTHER channel of the producer shows available
 * minus what is still held (CAMPAIGN_HELD_SQL), before its stock rule. Units ordered on the
 * campaign's channels since the occurrence started (lines still RESERVED or SOLD) are taken from
 * the hold, so selling the held units does not lower the other channels twice. Nothing is written
 * to stock_level: the hold exists only while the occurrence is RUNNING, and ends with it.
 *
 * Start and end: touchCampaignListings marks exactly the affected listings dirty in the caller's
 * transaction (the one that flips the occurrence), with the same version/dirty-since semantics as
 * the catalogue triggers' listing_touch, and NOTIFYs the workers at commit.
 */
import type { EntityManager } from "typeorm";

/**
 * Uncorrelated, so PostgreSQL evaluates it once per query (an InitPlan): while no window runs, the
 * subqueries below are skipped for every listing and desired-state costs what it did before.
 */
const ANY_RUNNING = `(SELECT EXISTS (SELECT 1 FROM campaign_occurrence WHERE state = 'RUNNING'))`;

/** Lateral subquery over `l` (listing): the running campaign's pricing for this channel and variant. */
export const CAMPAIGN_PRICE_SQL = `
  SELECT k.pricing AS campaign_pricing, k.discount_value AS campaign_discount,
         cv.sale_price_vnd AS campaign_sale_price
    FROM campaign_variant cv
    JOIN campaign_channel cc ON cc.campaign_id = cv.campaign_id AND cc.channel_id = l.channel_id
                            AND cc.method = 'PRICE_ADJUST'
    JOIN campaign k ON k.id = cv.campaign_id
   WHERE ${ANY_RUNNING} AND cv.variant_id = l.variant_id
     AND EXISTS (SELECT 1 FROM campaign_occurrence o WHERE o.campaign_id = cv.campaign_id AND o.state = 'RUNNING')
   ORDER BY k.starts_at, k.id
   LIMIT 1`;

/** Lateral subquery over `l`: units held for running campaigns this listing's channel is not part of. */
export const CAMPAIGN_HELD_SQL = `
  SELECT sum(greatest(0, cv.reserved_units - coalesce((
           SELECT sum(ol.quantity) FROM order_line ol
             JOIN marketplace_order mo ON mo.id = ol.order_id
             JOIN campaign_channel sc ON sc.campaign_id = cv.campaign_id AND sc.channel_id = mo.channel_id
            WHERE ol.variant_id = cv.variant_id AND ol.state IN ('RESERVED', 'SOLD')
              AND mo.imported_at >= o.started_at), 0)))::int AS campaign_held
    FROM campaign_variant cv
    JOIN campaign_occurrence o ON o.campaign_id = cv.campaign_id AND o.state = 'RUNNING'
   WHERE ${ANY_RUNNING} AND cv.variant_id = l.variant_id AND cv.reserved_units > 0
     AND NOT EXISTS (SELECT 1 FROM campaign_channel cc
                      WHERE cc.campaign_id = cv.campaign_id AND cc.channel_id = l.channel_id)`;

/**
 * Marks dirty what a start, end or cancellation of these campaigns changes: the price of their
 * variants on their channels, and (when units are reserved) the stock of those variants on every
 * channel. Run inside the transaction that changes the occurrences' state. Returns listings touched.
 */
export async function touchCampaignListings(
  m: EntityManager,
  campaignIds: readonly string[],
): Promise<{ price: number; stock: number }> {
  if (campaignIds.length === 0) return { price: 0, stock: 0 };
  const [price] = await m.query(
    `WITH touched AS (
       UPDATE listing l
          SET price_version = l.price_version + 1,
              price_dirty_since = CASE WHEN l.price_version <= l.price_pushed_version THEN now() ELSE l.price_dirty_since END,
              updated_at = now()
        WHERE l.state <> 'DELISTED'
          AND EXISTS (SELECT 1 FROM campaign_channel cc JOIN campaign_variant cv ON cv.campaign_id = cc.campaign_id
                       WHERE cc.campaign_id = ANY($1::uuid[]) AND cc.channel_id = l.channel_id
                         AND cc.method = 'PRICE_ADJUST' AND cv.variant_id = l.variant_id)
        RETURNING l.channel_id
     ), notified AS (
       SELECT pg_notify('ocop_outbox', channel_id::text || ':price') FROM (SELECT DISTINCT channel_id FROM touched) d
     )
     SELECT (SELECT count(*) FROM touched)::int AS n, (SELECT count(*) FROM notified)::int AS channels`,
    [campaignIds],
  );
  const [stock] = await m.query(
    `WITH touched AS (
       UPDATE listing l
          SET stock_version = l.stock_version + 1,
              stock_dirty_since = CASE WHEN l.stock_version <= l.stock_pushed_version THEN now() ELSE l.stock_dirty_since END,
              updated_at = now()
        WHERE l.state <> 'DELISTED'
          AND l.variant_id IN (SELECT variant_id FROM campaign_variant
                                WHERE campaign_id = ANY($1::uuid[]) AND reserved_units > 0)
        RETURNING l.channel_id
     ), notified AS (
       SELECT pg_notify('ocop_outbox', channel_id::text || ':stock') FROM (SELECT DISTINCT channel_id FROM touched) d
     )
     SELECT (SELECT count(*) FROM touched)::int AS n, (SELECT count(*) FROM notified)::int AS channels`,
    [campaignIds],
  );
  return { price: price.n, stock: stock.n };
}
