/**
 * What each listing should show on its marketplace right now: the catalogue price through the
 * channel's price rule, and available stock (on hand − reserved) through its stock rule. One query
 * for any number of listings; the rules are the pure functions of channel-settings.ts. Used by the
 * outbox dispatcher, publish and reconciliation, so all three agree on the value.
 * A running sale window (src/campaigns) replaces the price on its channels and holds its reserved
 * units out of the other channels' stock; see campaign-effect.ts.
 */
import type { DataSource, EntityManager } from "typeorm";
import { channelPrice, channelStock, settingsOf, type ChannelSettings } from "../channels/channel-settings";
import { CAMPAIGN_HELD_SQL, CAMPAIGN_PRICE_SQL } from "../campaigns/campaign-effect";
import { campaignPrice, type CampaignPricing } from "../campaigns/campaign-rules";

export interface DesiredValue {
  /** Null when the variant has no catalogue price yet (nothing can be pushed). */
  priceVnd: number | null;
  stock: number;
}

interface Row {
  id: string;
  channel_id: string;
  settings: Record<string, unknown> | null;
  price_vnd: number | null;
  available: number;
  campaign_pricing: CampaignPricing | null;
  campaign_discount: number | null;
  campaign_sale_price: number | null;
  campaign_held: number | null;
}

export async function desiredValues(
  ds: DataSource | EntityManager,
  listingIds: readonly string[],
): Promise<Map<string, DesiredValue>> {
  const out = new Map<string, DesiredValue>();
  if (listingIds.length === 0) return out;
  const rows: Row[] = await ds.query(
    `SELECT l.id, l.channel_id, c.settings, v.price_vnd,
            coalesce(s.on_hand - s.reserved, 0)::int AS available, cp.*, ch.campaign_held
       FROM listing l
       JOIN channel c ON c.id = l.channel_id
       JOIN variant v ON v.id = l.variant_id
       LEFT JOIN stock_level s ON s.variant_id = l.variant_id
       LEFT JOIN LATERAL (${CAMPAIGN_PRICE_SQL}) cp ON true
       LEFT JOIN LATERAL (${CAMPAIGN_HELD_SQL}) ch ON true
      WHERE l.id = ANY($1::uuid[])`,
    [listingIds],
  );
  const settings = new Map<string, ChannelSettings>();
  for (const r of rows) {
    let s = settings.get(r.channel_id);
    if (!s) settings.set(r.channel_id, (s = settingsOf(r.settings)));
    const normal = channelPrice(r.price_vnd, s.priceRule);
    out.set(r.id, {
      priceVnd: r.campaign_pricing
        ? campaignPrice(
            normal,
            {
              pricing: r.campaign_pricing,
              discountValue: r.campaign_discount,
              salePriceVnd: r.campaign_sale_price,
            },
            s.priceRule,
          )
        : normal,
      stock: channelStock(Math.max(0, r.available - (r.campaign_held ?? 0)), s.stockRule),
    });
  }
  return out;
}
