/**
 * Native promotions: on a NATIVE_PROMOTION channel (Shopee discounts today) the marketplace runs the
 * sale itself. Each occurrence × native channel is a campaign_promotion row; this sync, run by the
 * ticker after each tick, drives the rows that need a call:
 *  - PENDING → SCHEDULED: the promotion is created on the marketplace with the occurrence's start
 *    and end and the campaign price of each listed variant (computed now from the channel's normal
 *    price). The marketplace applies and ends it on time; the listed price is never touched.
 *  - CANCELLING → ENDED: a cancelled or replaced occurrence's promotion is ended (running) or
 *    deleted (not started) on the marketplace.
 * When a promotion cannot be scheduled in time (refused for good, or its start is under a minute
 * away), the channel falls back to PRICE_ADJUST for the whole campaign: its listings are marked dirty
 * when an occurrence runs, and promotions already scheduled for it are removed, so buyers never see
 * both. Each row is taken with FOR UPDATE SKIP LOCKED: with several workers, one call per row.
 */
import type { EntityManager } from "typeorm";
import { ConnectorError, NeedsReauthError } from "../channels/connectors/http/types";
import { settingsOf } from "../channels/channel-settings";
import { ChannelUnavailableError, openChannel, type SyncRuntime } from "../sync/runtime";
import { desiredValues } from "../sync/desired-state";
import { campaignPrice, type CampaignPricing } from "./campaign-rules";
import { touchCampaignListings } from "./campaign-effect";

export interface PromotionSyncResult {
  scheduled: number;
  ended: number;
  fellBack: number;
  retrying: number;
}

interface PromotionRow {
  id: string;
  campaign_id: string;
  channel_id: string;
  starts_at: Date;
  ends_at: Date;
  state: "PENDING" | "CANCELLING";
  external_id: string | null;
  attempts: number;
  name: string;
  pricing: CampaignPricing;
  discount_value: number | null;
  occurrence_state: string | null;
}

/** Too close to the start to create a promotion the marketplace would apply on time. */
const TOO_LATE_MS = 60_000;

/** `now` decides what is due (the ticker's clock); marketplace calls sign with the runtime's own clock. */
export async function syncPromotions(rt: SyncRuntime, now: Date, limit = 20): Promise<PromotionSyncResult> {
  const out: PromotionSyncResult = { scheduled: 0, ended: 0, fellBack: 0, retrying: 0 };
  const due: Array<{ id: string }> = await rt.ds.query(
    `SELECT id FROM campaign_promotion
      WHERE state IN ('PENDING', 'CANCELLING') AND (retry_at IS NULL OR retry_at <= $1)
      ORDER BY starts_at, id LIMIT $2`,
    [now, limit],
  );
  for (const { id } of due) {
    await rt.ds.transaction(async (m) => {
      const [p]: PromotionRow[] = await m.query(
        `SELECT p.id, p.campaign_id, p.channel_id, p.starts_at, p.ends_at, p.state, p.external_id, p.attempts,
                k.name, k.pricing, k.discount_value, o.state AS occurrence_state
           FROM campaign_promotion p
           JOIN campaign k ON k.id = p.campaign_id
           LEFT JOIN campaign_occurrence o ON o.id = p.occurrence_id
          WHERE p.id = $1 AND p.state IN ('PENDING', 'CANCELLING')
          FOR UPDATE OF p SKIP LOCKED`,
        [id],
      );
      if (!p) return;
      const r = p.state === "CANCELLING" ? await end(rt, m, p, now) : await schedule(rt, m, p, now);
      out[r]++;
    });
  }
  return out;
}

type Outcome = keyof PromotionSyncResult;

async function schedule(rt: SyncRuntime, m: EntityManager, p: PromotionRow, now: Date): Promise<Outcome> {
  if (p.occurrence_state !== "SCHEDULED" || p.starts_at.getTime() - now.getTime() < TOO_LATE_MS)
    return fallBack(m, p, {
      code: "TOO_LATE",
      message: "the window starts before a promotion could be scheduled",
    });
  let handle;
  try {
    handle = await openChannel(rt, p.channel_id);
  } catch (e) {
    if (e instanceof ChannelUnavailableError) return retry(m, p, now, { code: `CHANNEL_${e.status}` });
    throw e;
  }
  const listings: Array<{
    id: string;
    sku: string;
    external_item_id: string;
    external_sku_id: string | null;
    sale_price_vnd: number | null;
  }> = await m.query(
    `SELECT l.id, v.sku, l.external_item_id, l.external_sku_id, cv.sale_price_vnd
       FROM listing l
       JOIN variant v ON v.id = l.variant_id
       JOIN campaign_variant cv ON cv.campaign_id = $1 AND cv.variant_id = l.variant_id
      WHERE l.channel_id = $2 AND l.state = 'LIVE' AND l.external_item_id IS NOT NULL
      ORDER BY v.sku`,
    [p.campaign_id, p.channel_id],
  );
  const normal = await desiredValues(
    m,
    listings.map((l) => l.id),
  );
  const rule = settingsOf(handle.channel.settings).priceRule;
  const items = listings.flatMap((l) => {
    const base = normal.get(l.id)?.priceVnd ?? null;
    const promo = campaignPrice(
      base,
      { pricing: p.pricing, discountValue: p.discount_value, salePriceVnd: l.sale_price_vnd },
      rule,
    );
    // The marketplace only takes a promotion price below the listed one.
    return promo !== null && base !== null && promo < base
      ? [
          {
            sku: l.sku,
            externalItemId: l.external_item_id,
            externalSkuId: l.external_sku_id,
            promotionPriceVnd: promo,
          },
        ]
      : [];
  });
  if (items.length === 0) {
    await m.query(
      `UPDATE campaign_promotion SET state = 'ENDED', last_error = $2, updated_at = now() WHERE id = $1`,
      [p.id, JSON.stringify({ code: "NOTHING_TO_PROMOTE" })],
    );
    return "ended";
  }
  try {
    const res = await handle.connector.schedulePromotion!(handle.ctx, {
      name: p.name,
      startsAt: p.starts_at,
      endsAt: p.ends_at,
      items,
    });
    const failed = res.results.filter((x) => x.outcome !== "applied");
    await m.query(
      `UPDATE campaign_promotion
          SET state = 'SCHEDULED', external_id = $2, items = $3, failed_items = $4, attempts = attempts + 1,
              retry_at = NULL, last_error = $5, updated_at = now()
        WHERE id = $1`,
      [
        p.id,
        res.promotionId,
        items.length - failed.length,
        failed.length,
        failed.length
          ? JSON.stringify({
              code: "ITEMS_REFUSED",
              items: failed.slice(0, 20).map((f) => [f.key, f.remoteMessage]),
            })
          : null,
      ],
    );
    return "scheduled";
  } catch (e) {
    if (e instanceof NeedsReauthError || (e instanceof ConnectorError && e.retriable))
      return retry(m, p, now, {
        code: e instanceof ConnectorError ? e.code : "NEEDS_REAUTH",
        message: e.message,
      });
    if (e instanceof ConnectorError)
      return fallBack(m, p, { code: e.code, message: e.remoteMessage ?? e.message });
    throw e;
  }
}

async function end(rt: SyncRuntime, m: EntityManager, p: PromotionRow, now: Date): Promise<Outcome> {
  // Nothing was created, or the marketplace already ended it at its end time.
  if (p.external_id && p.ends_at.getTime() > now.getTime()) {
    try {
      const h = await openChannel(rt, p.channel_id, true);
      await h.connector.endPromotion!(h.ctx, p.external_id, p.starts_at.getTime() <= now.getTime());
    } catch (e) {
      if (
        e instanceof ChannelUnavailableError ||
        e instanceof NeedsReauthError ||
        (e instanceof ConnectorError && e.retriable)
      )
        return retry(m, p, now, { code: "END_FAILED", message: (e as Error).message });
      if (!(e instanceof ConnectorError)) throw e;
      await m.query(`UPDATE campaign_promotion SET last_error = $2 WHERE id = $1`, [
        p.id,
        JSON.stringify({ code: e.code, message: e.remoteMessage }),
      ]);
    }
  }
  await m.query(
    `UPDATE campaign_promotion SET state = 'ENDED', retry_at = NULL, updated_at = now() WHERE id = $1`,
    [p.id],
  );
  return "ended";
}

async function retry(
  m: EntityManager,
  p: PromotionRow,
  now: Date,
  error: Record<string, unknown>,
): Promise<Outcome> {
  const delayS = Math.min(300, 5 * 2 ** Math.min(p.attempts, 6));
  await m.query(
    `UPDATE campaign_promotion SET attempts = attempts + 1, retry_at = $2, last_error = $3, updated_at = now()
      WHERE id = $1`,
    [p.id, new Date(now.getTime() + delayS * 1000), JSON.stringify(error)],
  );
  return "retrying";
}

/** The channel gets the sale price by price adjustment for this campaign from now on. */
async function fallBack(m: EntityManager, p: PromotionRow, error: Record<string, unknown>): Promise<Outcome> {
  await m.query(
    `UPDATE campaign_channel SET method = 'PRICE_ADJUST' WHERE campaign_id = $1 AND channel_id = $2`,
    [p.campaign_id, p.channel_id],
  );
  await m.query(
    `UPDATE campaign_promotion
        SET state = CASE WHEN id = $3 OR external_id IS NULL THEN 'FALLBACK' ELSE 'CANCELLING' END,
            last_error = CASE WHEN id = $3 THEN $4::jsonb ELSE last_error END, updated_at = now()
      WHERE campaign_id = $1 AND channel_id = $2 AND state IN ('PENDING', 'SCHEDULED')`,
    [p.campaign_id, p.channel_id, p.id, JSON.stringify(error)],
  );
  const [running] = await m.query(
    `SELECT 1 FROM campaign_occurrence WHERE campaign_id = $1 AND state = 'RUNNING' LIMIT 1`,
    [p.campaign_id],
  );
  if (running) await touchCampaignListings(m, [p.campaign_id]);
  return "fellBack";
}
