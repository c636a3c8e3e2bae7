/**
 * Per-channel rules, stored in channel.settings (jsonb) and applied when a value is pushed:
 * - price rule: marketplace price from the catalogue price (markup % or fixed amount, rounded to a
 *   step, never below a floor);
 * - stock rule: how much of the available stock this channel may sell (share %, buffer kept back,
 *   maximum shown, and a cut-off below which 0 is shown, so the last units are not oversold);
 * - schedules: cron expressions (Asia/Ho_Chi_Minh) per kind of scheduled work;
 * - ocopClaim: how OCOP claims are shown (src/ocop-claims/claim-template.ts).
 * Pure functions: unit-tested without a database.
 */
import { RoundingMode, roundToStep } from "../common/money";
import { OcopClaimTemplate, claimTemplateOf } from "../ocop-claims/claim-template";

export interface PriceRule {
  /** Markup in basis points (1,500 = +15%); may be negative for a discount. */
  markupBasisPoints: number;
  /** Fixed amount added after the markup, whole đồng (may be negative). */
  fixedVnd: number;
  /** Round to this step (e.g. 1,000 đ); 1 = no rounding. */
  roundingStepVnd: number;
  rounding: RoundingMode;
  /** Never list below this price, whole đồng. */
  floorVnd: number;
}

export interface StockRule {
  /** Share of available stock offered on this channel, in percent (0–100). */
  sharePercent: number;
  /** Units kept back from this channel. */
  bufferUnits: number;
  /** Never show more than this; null = no maximum. */
  maxUnits: number | null;
  /** When what would be shown is below this, show 0 (protects the last units). */
  cutoffUnits: number;
}

export type ScheduleKind = "ORDERS" | "STOCK" | "PRICE" | "RECONCILE" | "REFRESH_TOKEN" | "REVIEWS";

export interface ChannelSettings {
  priceRule: PriceRule;
  stockRule: StockRule;
  /** Cron per kind (5 or 6 fields, Asia/Ho_Chi_Minh); a missing kind is not scheduled. */
  schedules: Partial<Record<ScheduleKind, string>>;
  /** Title suffix, star attribute, certificate picture, description block. */
  ocopClaim: OcopClaimTemplate;
}

export const DEFAULT_PRICE_RULE: PriceRule = {
  markupBasisPoints: 0,
  fixedVnd: 0,
  roundingStepVnd: 1,
  rounding: "NEAREST",
  floorVnd: 0,
};

export const DEFAULT_STOCK_RULE: StockRule = {
  sharePercent: 100,
  bufferUnits: 0,
  maxUnits: null,
  cutoffUnits: 0,
};

/** Orders every 5 minutes (webhooks bring them in seconds; the pull catches what webhooks miss),
 * stock and price safety sweeps hourly, reconciliation nightly, token refresh every 30 minutes. */
export const DEFAULT_SCHEDULES: ChannelSettings["schedules"] = {
  ORDERS: "*/5 * * * *",
  STOCK: "17 * * * *",
  PRICE: "23 * * * *",
  RECONCILE: "30 2 * * *",
  REFRESH_TOKEN: "*/30 * * * *",
  // Buyer reviews hourly: producers read them daily; the pull is a few calls per shop.
  REVIEWS: "41 * * * *",
};

export function settingsOf(raw: Record<string, unknown> | null | undefined): ChannelSettings {
  const r = (raw ?? {}) as Partial<ChannelSettings>;
  return {
    priceRule: { ...DEFAULT_PRICE_RULE, ...(r.priceRule ?? {}) },
    stockRule: { ...DEFAULT_STOCK_RULE, ...(r.stockRule ?? {}) },
    schedules: { ...DEFAULT_SCHEDULES, ...(r.schedules ?? {}) },
    ocopClaim: claimTemplateOf(r.ocopClaim),
  };
}

/** The price a channel shows for a catalogue price; null when the variant has no price yet. */
export function channelPrice(catalogueVnd: number | null, rule: PriceRule): number | null {
  if (catalogueVnd === null) return null;
  const marked =
    Math.floor((catalogueVnd * (10_000 + rule.markupBasisPoints) + 5_000) / 10_000) + rule.fixedVnd;
  const rounded =
    rule.roundingStepVnd > 1 ? roundToStep(marked, rule.roundingStepVnd, rule.rounding) : marked;
  return Math.max(rule.floorVnd, rounded, 0);
}

/** The stock a channel shows for what is available (on hand − reserved). */
export function channelStock(available: number, rule: StockRule): number {
  const afterBuffer = Math.max(0, available - rule.bufferUnits);
  let shown = Math.floor((afterBuffer * rule.sharePercent) / 100);
  if (rule.maxUnits !== null) shown = Math.min(shown, rule.maxUnits);
  return shown < rule.cutoffUnits ? 0 : shown;
}
