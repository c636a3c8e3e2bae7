/**
 * The pure rules of sale windows: what a campaign's price is on a channel, and when a weekly
 * recurrence takes place. No database: unit-tested on their own, and used by desired-state (the
 * one place pushes get their values), by the dry-run preview and by campaign creation.
 */
import type { PriceRule } from "../channels/channel-settings";
import { applyBasisPoints, formatVnd, roundToStep } from "../common/money";
import { isIsoDate, daysBetween } from "../common/time";
import type { MarketplaceCode } from "../channels/connectors/connector";

export type CampaignPricing = "SALE_PRICES" | "PERCENT_OFF" | "AMOUNT_OFF";
export type CampaignState = "SCHEDULED" | "RUNNING" | "ENDED" | "CANCELLED";

export interface CampaignPriceSpec {
  pricing: CampaignPricing;
  /** PERCENT_OFF: basis points (2,000 = 20 %); AMOUNT_OFF: whole đồng; SALE_PRICES: null. */
  discountValue: number | null;
  /** SALE_PRICES: the price buyers see on every channel of the campaign. */
  salePriceVnd: number | null;
}

/**
 * The price a channel shows while the campaign runs, from the channel's normal price (catalogue
 * price through its price rule). A discount is taken off the normal channel price and rounded with
 * the channel's own step and mode; every result keeps the channel's floor (and at least 1 đ).
 */
export function campaignPrice(
  normalChannelPrice: number | null,
  spec: CampaignPriceSpec,
  rule: PriceRule,
): number | null {
  let sale: number;
  if (spec.pricing === "SALE_PRICES") {
    if (spec.salePriceVnd === null) return normalChannelPrice;
    sale = spec.salePriceVnd;
  } else {
    if (normalChannelPrice === null) return null;
    const value = spec.discountValue ?? 0;
    const off =
      spec.pricing === "PERCENT_OFF"
        ? applyBasisPoints(normalChannelPrice, -value)
        : normalChannelPrice - value;
    sale = rule.roundingStepVnd > 1 ? roundToStep(off, rule.roundingStepVnd, rule.rounding) : off;
  }
  return Math.max(rule.floorVnd, sale, 1);
}

// ---------- windows ----------

/** Vietnam keeps UTC+7 all year (no daylight saving). */
const VN_OFFSET_MS = 7 * 3_600_000;
const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;
export const MAX_RECURRENCE_DAYS = 366;
export const MAX_OCCURRENCES = 400;

export interface WeeklyRecurrence {
  /** ISO week days, 1 = Monday … 7 = Sunday. */
  weekdays: number[];
  /** "20:30", Vietnam time. */
  startTime: string;
  /** "23:00"; at or before startTime means the next day (a window across midnight). */
  endTime: string;
  /** First and last calendar day (YYYY-MM-DD, Vietnam) an occurrence may start on. */
  fromDate: string;
  untilDate: string;
}

export interface Window {
  startsAt: Date;
  endsAt: Date;
}

export function isTimeOfDay(text: string): boolean {
  return TIME_RE.test(text);
}

/** Vietnam wall-clock time on a calendar day, as an instant. */
export function vnInstant(isoDate: string, time: string): Date {
  const [y, m, d] = isoDate.split("-").map(Number);
  const [hh, mm] = time.split(":").map(Number);
  return new Date(Date.UTC(y, m - 1, d, hh, mm) - VN_OFFSET_MS);
}

function addDays(isoDate: string, days: number): string {
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** ISO week day (1 = Monday) of a calendar day. */
export function isoWeekday(isoDate: string): number {
  const [y, m, d] = isoDate.split("-").map(Number);
  const w = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return w === 0 ? 7 : w;
}

/**
 * Every occurrence of a weekly recurrence whose start is after `after` (past ones are not
 * materialised). Each lasts less than a day, so two occurrences of one rule never overlap.
 * Assumes a validated rule (see recurrenceProblems).
 */
export function occurrencesOf(r: WeeklyRecurrence, after: Date): Window[] {
  const out: Window[] = [];
  const days = new Set(r.weekdays);
  const crossesMidnight = r.endTime <= r.startTime;
  const span = daysBetween(r.fromDate, r.untilDate);
  for (let i = 0; i <= span; i++) {
    const day = addDays(r.fromDate, i);
    if (!days.has(isoWeekday(day))) continue;
    const startsAt = vnInstant(day, r.startTime);
    if (startsAt.getTime() <= after.getTime()) continue;
    const endsAt = vnInstant(crossesMidnight ? addDays(day, 1) : day, r.endTime);
    out.push({ startsAt, endsAt });
  }
  return out;
}

/** What is wrong with a recurrence rule, as (field, problem) pairs; [] when valid. */
export function recurrenceProblems(
  r: WeeklyRecurrence,
): Array<{ field: string; problem: "FORMAT" | "RANGE" | "ORDER" }> {
  const out: Array<{ field: string; problem: "FORMAT" | "RANGE" | "ORDER" }> = [];
  if (r.weekdays.length === 0 || r.weekdays.some((d) => !Number.isInteger(d) || d < 1 || d > 7))
    out.push({ field: "weekdays", problem: "RANGE" });
  if (!isTimeOfDay(r.startTime)) out.push({ field: "startTime", problem: "FORMAT" });
  if (!isTimeOfDay(r.endTime)) out.push({ field: "endTime", problem: "FORMAT" });
  if (!isIsoDate(r.fromDate)) out.push({ field: "fromDate", problem: "FORMAT" });
  if (!isIsoDate(r.untilDate)) out.push({ field: "untilDate", problem: "FORMAT" });
  if (out.length === 0) {
    const span = daysBetween(r.fromDate, r.untilDate);
    if (span < 0) out.push({ field: "untilDate", problem: "ORDER" });
    else if (span > MAX_RECURRENCE_DAYS) out.push({ field: "untilDate", problem: "RANGE" });
    if (r.startTime === r.endTime) out.push({ field: "endTime", problem: "ORDER" });
  }
  return out;
}

// ---------- how a marketplace applies the sale price ----------

export type ApplyMethod = "NATIVE_PROMOTION" | "PRICE_ADJUST";

export interface ApplyPlan {
  method: ApplyMethod;
  reasonVi: string;
  reasonEn: string;
}

/** The marketplace's own promotion feature, named for the preview's reason. */
const NATIVE_FEATURE: Record<MarketplaceCode, string> = {
  shopee: "Shopee discount (v2.discount.add_discount)",
  lazada: "Lazada SalePrice with SaleStartDate/SaleEndDate",
  "tiktok-shop": "TikTok Shop promotion activities",
  tiki: "Tiki seller promotions",
};

/** Shopee discounts last at least an hour. */
export const NATIVE_MIN_DURATION_MS = 3_600_000;
/** A native promotion is scheduled at least this long before its start (else PRICE_ADJUST). */
export const NATIVE_LEAD_MS = 10 * 60_000;

/**
 * NATIVE_PROMOTION where the connector drives the marketplace's promotions (Shopee today) and
 * every window fits its rules (at least an hour, starting at least NATIVE_LEAD_MS from now): the
 * marketplace applies and ends the sale itself, the listed price is not touched. Otherwise
 * PRICE_ADJUST: the hub changes the listed price at the start and restores it at the end.
 */
export function applyPlan(
  marketplace: MarketplaceCode,
  native: { supported: boolean; windows: Window[]; now: Date } = {
    supported: false,
    windows: [],
    now: new Date(0),
  },
): ApplyPlan {
  const feature = NATIVE_FEATURE[marketplace];
  const adjust = (vi: string, en: string): ApplyPlan => ({
    method: "PRICE_ADJUST",
    reasonVi: `${vi}; giá niêm yết được đổi sang giá khuyến mãi lúc bắt đầu và trả về giá thường lúc kết thúc.`,
    reasonEn: `${en}; the listed price is changed to the sale price at the start and restored to the normal price at the end.`,
  });
  if (!native.supported)
    return adjust(
      `Hub chưa điều khiển tính năng khuyến mãi của sàn (${feature})`,
      `The hub does not drive the marketplace's own promotion feature (${feature}) yet`,
    );
  if (native.windows.some((w) => w.endsAt.getTime() - w.startsAt.getTime() < NATIVE_MIN_DURATION_MS))
    return adjust(
      `${feature} cần kéo dài ít nhất 1 giờ, khung giờ này ngắn hơn`,
      `${feature} must last at least an hour and this window is shorter`,
    );
  if (native.windows.some((w) => w.startsAt.getTime() - native.now.getTime() < NATIVE_LEAD_MS))
    return adjust(
      `Khung giờ bắt đầu quá sớm để đặt lịch ${feature} trước (cần ít nhất 10 phút)`,
      `The window starts too soon to schedule a ${feature} ahead (at least 10 minutes needed)`,
    );
  return {
    method: "NATIVE_PROMOTION",
    reasonVi:
      `Hub đặt lịch ${feature} trước giờ bắt đầu; sàn tự áp dụng và tự kết thúc khuyến mãi đúng giờ, ` +
      `giá niêm yết không đổi (nếu không đặt được, hub tự đổi giá niêm yết).`,
    reasonEn:
      `The hub schedules a ${feature} ahead of the start; the marketplace applies and ends the sale on ` +
      `time itself and the listed price is not changed (if scheduling fails, the hub changes the listed price instead).`,
  };
}

// ---------- preview warnings ----------

export interface PreviewWarning {
  code: "NOT_LISTED" | "NOT_A_DISCOUNT" | "OUTSIDE_MARKETPLACE_LIMITS";
  messageVi: string;
  messageEn: string;
}

/**
 * What a seller should know before the window starts; none of these blocks the campaign:
 * no listing yet (nothing will be pushed), a "sale" price at or above the normal price, or a
 * price the marketplace will refuse (its listing limits).
 */
export function previewWarnings(p: {
  listed: boolean;
  normalPriceVnd: number | null;
  salePriceVnd: number | null;
  limits: { priceMinVnd: number; priceMaxVnd: number };
}): PreviewWarning[] {
  const out: PreviewWarning[] = [];
  if (!p.listed)
    out.push({
      code: "NOT_LISTED",
      messageVi: "Biến thể chưa được đăng trên kênh này; giá khuyến mãi sẽ không được đẩy lên đây.",
      messageEn: "The variant is not listed on this channel; no sale price will be pushed here.",
    });
  const sale = p.salePriceVnd;
  if (sale !== null && p.normalPriceVnd !== null && sale >= p.normalPriceVnd)
    out.push({
      code: "NOT_A_DISCOUNT",
      messageVi: `Giá khuyến mãi ${formatVnd(sale)} không thấp hơn giá thường ${formatVnd(p.normalPriceVnd)}.`,
      messageEn: `The sale price ${formatVnd(sale)} is not below the normal price ${formatVnd(p.normalPriceVnd)}.`,
    });
  if (sale !== null && (sale < p.limits.priceMinVnd || sale > p.limits.priceMaxVnd))
    out.push({
      code: "OUTSIDE_MARKETPLACE_LIMITS",
      messageVi: `Sàn chỉ nhận giá từ ${formatVnd(p.limits.priceMinVnd)} đến ${formatVnd(p.limits.priceMaxVnd)}; giá ${formatVnd(sale)} sẽ bị từ chối.`,
      messageEn: `The marketplace accepts prices from ${formatVnd(p.limits.priceMinVnd)} to ${formatVnd(p.limits.priceMaxVnd)}; ${formatVnd(sale)} will be refused.`,
    });
  return out;
}
