/** Sale-window rules: campaign prices with channel rounding and floor, weekly occurrences in Vietnam time. */
import { DEFAULT_PRICE_RULE, PriceRule } from "../../src/channels/channel-settings";
import {
  applyPlan,
  campaignPrice,
  previewWarnings,
  isoWeekday,
  occurrencesOf,
  recurrenceProblems,
  vnInstant,
} from "../../src/campaigns/campaign-rules";

const rule = (r: Partial<PriceRule> = {}): PriceRule => ({ ...DEFAULT_PRICE_RULE, ...r });

describe("campaignPrice", () => {
  test("a sale price is shown as given, but never below the channel's floor", () => {
    const spec = { pricing: "SALE_PRICES" as const, discountValue: null, salePriceVnd: 69_000 };
    expect(campaignPrice(85_000, spec, rule())).toBe(69_000);
    expect(campaignPrice(85_000, spec, rule({ floorVnd: 70_000 }))).toBe(70_000);
    expect(campaignPrice(null, spec, rule())).toBe(69_000);
  });

  test("a percent discount is taken off the normal channel price and rounded with the channel's rule", () => {
    const spec = { pricing: "PERCENT_OFF" as const, discountValue: 1_500, salePriceVnd: null };
    expect(campaignPrice(99_000, spec, rule())).toBe(84_150);
    expect(campaignPrice(99_000, spec, rule({ roundingStepVnd: 1_000, rounding: "DOWN" }))).toBe(84_000);
    expect(campaignPrice(99_000, spec, rule({ roundingStepVnd: 1_000, rounding: "UP" }))).toBe(85_000);
    expect(campaignPrice(null, spec, rule())).toBeNull();
  });

  test("an amount off never goes below 1 đ or the floor", () => {
    const spec = { pricing: "AMOUNT_OFF" as const, discountValue: 20_000, salePriceVnd: null };
    expect(campaignPrice(85_000, spec, rule())).toBe(65_000);
    expect(campaignPrice(15_000, spec, rule())).toBe(1);
    expect(campaignPrice(15_000, spec, rule({ floorVnd: 9_000 }))).toBe(9_000);
  });
});

describe("weekly recurrence", () => {
  const friday = {
    weekdays: [5],
    startTime: "20:30",
    endTime: "23:00",
    fromDate: "2026-11-23",
    untilDate: "2026-12-13",
  };

  test("Fridays 20:30–23:00 Vietnam time are 13:30–16:00 UTC on each Friday in range", () => {
    expect(isoWeekday("2026-11-27")).toBe(5);
    const list = occurrencesOf(friday, new Date("2026-11-01T00:00:00Z"));
    expect(list.map((w) => [w.startsAt.toISOString(), w.endsAt.toISOString()])).toEqual([
      ["2026-11-27T13:30:00.000Z", "2026-11-27T16:00:00.000Z"],
      ["2026-12-04T13:30:00.000Z", "2026-12-04T16:00:00.000Z"],
      ["2026-12-11T13:30:00.000Z", "2026-12-11T16:00:00.000Z"],
    ]);
  });

  test("occurrences that already started are not materialised", () => {
    expect(occurrencesOf(friday, new Date("2026-11-27T13:30:00Z"))).toHaveLength(2);
  });

  test("an end at or before the start crosses midnight", () => {
    const late = { ...friday, startTime: "22:00", endTime: "01:00" };
    const [first] = occurrencesOf(late, new Date("2026-11-01T00:00:00Z"));
    expect(first.startsAt).toEqual(vnInstant("2026-11-27", "22:00"));
    expect(first.endsAt).toEqual(vnInstant("2026-11-28", "01:00"));
  });

  test("bad rules are reported field by field", () => {
    expect(recurrenceProblems(friday)).toEqual([]);
    expect(
      recurrenceProblems({ ...friday, weekdays: [0], startTime: "8:30", untilDate: "2026-13-01" }),
    ).toEqual([
      { field: "weekdays", problem: "RANGE" },
      { field: "startTime", problem: "FORMAT" },
      { field: "untilDate", problem: "FORMAT" },
    ]);
    expect(recurrenceProblems({ ...friday, untilDate: "2026-11-01" })).toEqual([
      { field: "untilDate", problem: "ORDER" },
    ]);
    expect(recurrenceProblems({ ...friday, untilDate: "2027-12-31" })).toEqual([
      { field: "untilDate", problem: "RANGE" },
    ]);
    expect(recurrenceProblems({ ...friday, endTime: "20:30" })).toEqual([
      { field: "endTime", problem: "ORDER" },
    ]);
  });
});

test("native promotion only where supported, for windows of an hour or more scheduled 10 minutes ahead", () => {
  const now = new Date("2026-11-27T00:00:00Z");
  const w = (startMin: number, minutes: number) => ({
    startsAt: new Date(now.getTime() + startMin * 60_000),
    endsAt: new Date(now.getTime() + (startMin + minutes) * 60_000),
  });
  expect(applyPlan("shopee", { supported: true, windows: [w(60, 150)], now }).method).toBe(
    "NATIVE_PROMOTION",
  );
  const short = applyPlan("shopee", { supported: true, windows: [w(60, 150), w(2000, 45)], now });
  expect(short.method).toBe("PRICE_ADJUST");
  expect(short.reasonEn).toMatch(/at least an hour/);
  const soon = applyPlan("shopee", { supported: true, windows: [w(5, 150)], now });
  expect(soon).toMatchObject({ method: "PRICE_ADJUST" });
  expect(soon.reasonVi).toMatch(/quá sớm/);
  expect(applyPlan("tiki", { supported: false, windows: [w(60, 150)], now }).method).toBe("PRICE_ADJUST");
});

test("without native support every marketplace is PRICE_ADJUST, with the reason in both languages", () => {
  for (const m of ["shopee", "lazada", "tiktok-shop", "tiki"] as const) {
    const p = applyPlan(m);
    expect(p.method).toBe("PRICE_ADJUST");
    expect(p.reasonVi).toMatch(/Hub chưa điều khiển/);
    expect(p.reasonEn).toMatch(/does not drive/);
  }
});

test("preview warnings: not listed, not a discount, outside the marketplace's price limits", () => {
  const limits = { priceMinVnd: 1_000, priceMaxVnd: 120_000_000 };
  expect(previewWarnings({ listed: true, normalPriceVnd: 85_000, salePriceVnd: 69_000, limits })).toEqual([]);
  const codes = (w: ReturnType<typeof previewWarnings>) => w.map((x) => x.code);
  expect(
    codes(previewWarnings({ listed: false, normalPriceVnd: 85_000, salePriceVnd: 69_000, limits })),
  ).toEqual(["NOT_LISTED"]);
  expect(
    codes(previewWarnings({ listed: true, normalPriceVnd: 85_000, salePriceVnd: 85_000, limits })),
  ).toEqual(["NOT_A_DISCOUNT"]);
  const low = previewWarnings({ listed: true, normalPriceVnd: 85_000, salePriceVnd: 500, limits });
  expect(codes(low)).toEqual(["OUTSIDE_MARKETPLACE_LIMITS"]);
  expect(low[0].messageVi).toMatch(/bị từ chối/);
});
