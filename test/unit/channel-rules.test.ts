import fc from "fast-check";
import {
  DEFAULT_PRICE_RULE,
  DEFAULT_STOCK_RULE,
  channelPrice,
  channelStock,
  settingsOf,
} from "../../src/channels/channel-settings";

describe("price rule", () => {
  it("applies markup, fixed amount, rounding and floor in whole đồng", () => {
    expect(channelPrice(95_000, DEFAULT_PRICE_RULE)).toBe(95_000);
    expect(channelPrice(95_000, { ...DEFAULT_PRICE_RULE, markupBasisPoints: 1_500 })).toBe(109_250);
    expect(
      channelPrice(95_000, { ...DEFAULT_PRICE_RULE, markupBasisPoints: 1_500, roundingStepVnd: 1_000 }),
    ).toBe(109_000);
    expect(
      channelPrice(95_000, {
        ...DEFAULT_PRICE_RULE,
        markupBasisPoints: 1_500,
        roundingStepVnd: 1_000,
        rounding: "UP",
      }),
    ).toBe(110_000);
    expect(channelPrice(95_000, { ...DEFAULT_PRICE_RULE, fixedVnd: 5_000 })).toBe(100_000);
    expect(channelPrice(10_000, { ...DEFAULT_PRICE_RULE, markupBasisPoints: -5_000, floorVnd: 8_000 })).toBe(
      8_000,
    );
    expect(channelPrice(null, DEFAULT_PRICE_RULE)).toBeNull();
  });
  it("always yields a whole, non-negative amount", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000_000 }),
        fc.integer({ min: -9_000, max: 20_000 }),
        fc.integer({ min: -100_000, max: 100_000 }),
        fc.constantFrom(1, 100, 500, 1_000, 5_000),
        (price, bp, fixed, step) => {
          const p = channelPrice(price, {
            ...DEFAULT_PRICE_RULE,
            markupBasisPoints: bp,
            fixedVnd: fixed,
            roundingStepVnd: step,
          })!;
          expect(Number.isSafeInteger(p)).toBe(true);
          expect(p).toBeGreaterThanOrEqual(0);
          if (step > 1 && p > 0) expect(p % step).toBe(0);
        },
      ),
    );
  });
});

describe("stock rule", () => {
  it("shares, buffers, caps and cuts off", () => {
    expect(channelStock(10, DEFAULT_STOCK_RULE)).toBe(10);
    expect(channelStock(10, { ...DEFAULT_STOCK_RULE, sharePercent: 50 })).toBe(5);
    expect(channelStock(10, { ...DEFAULT_STOCK_RULE, bufferUnits: 3 })).toBe(7);
    expect(channelStock(10, { ...DEFAULT_STOCK_RULE, maxUnits: 4 })).toBe(4);
    expect(channelStock(2, { ...DEFAULT_STOCK_RULE, cutoffUnits: 3 })).toBe(0);
    expect(channelStock(0, DEFAULT_STOCK_RULE)).toBe(0);
  });
  it("never shows more than is available, never below zero", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 50 }),
        fc.option(fc.integer({ min: 0, max: 1000 })),
        fc.integer({ min: 0, max: 20 }),
        (available, share, buffer, max, cutoff) => {
          const s = channelStock(available, {
            sharePercent: share,
            bufferUnits: buffer,
            maxUnits: max,
            cutoffUnits: cutoff,
          });
          expect(s).toBeGreaterThanOrEqual(0);
          expect(s).toBeLessThanOrEqual(available);
        },
      ),
    );
  });
  it("fills defaults for missing settings", () => {
    const s = settingsOf({ stockRule: { sharePercent: 80 } });
    expect(s.stockRule).toEqual({ ...DEFAULT_STOCK_RULE, sharePercent: 80 });
    expect(s.schedules.ORDERS).toBe("*/5 * * * *");
  });
});
