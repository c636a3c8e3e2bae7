/**
 * What each listing should show on its marketplace right now: the catalogue price through the
 * channel's price rule, and available stock (on hand − reserved) through its stock rule. One query
 * for any number of listings; the rules are the pure functions of channel-settings.ts. Used by the
 * outbox dispatcher, publish and reconciliation, so all three agree on the value.
 */
import type { DataSource, EntityManager } from "typeorm";
import { channelPrice, channelStock, settingsOf, type ChannelSettings } from "../channels/channel-settings";

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
}

export async function desiredValues(
  ds: DataSource | EntityManager,
  listingIds: readonly string[],
): Promise<Map<string, DesiredValue>> {
  const out = new Map<string, DesiredValue>();
  if (listingIds.length === 0) return out;
  const rows: Row[] = await ds.query(
    `SELECT l.id, l.channel_id, c.settings, v.price_vnd,
            coalesce(s.on_hand - s.reserved, 0)::int AS available
       FROM listing l
       JOIN channel c ON c.id = l.channel_id
       JOIN variant v ON v.id = l.variant_id
       LEFT JOIN stock_level s ON s.variant_id = l.variant_id
      WHERE l.id = ANY($1::uuid[])`,
    [listingIds],
  );
  const settings = new Map<string, ChannelSettings>();
  for (const r of rows) {
    let s = settings.get(r.channel_id);
    if (!s) settings.set(r.channel_id, (s = settingsOf(r.settings)));
    out.set(r.id, {
      priceVnd: channelPrice(r.price_vnd, s.priceRule),
      stock: channelStock(Math.max(0, r.available), s.stockRule),
    });
  }
  return out;
}
