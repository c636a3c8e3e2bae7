import { backoffDelay, parseRetryAfter } from "../../src/channels/connectors/http/retry";

describe("backoffDelay (full jitter)", () => {
  it("stays within [0, min(max, base·2^(n-1)))", () => {
    for (let retry = 1; retry <= 12; retry++) {
      const ceiling = Math.min(5000, 100 * 2 ** (retry - 1));
      for (const r of [0, 0.25, 0.5, 0.999999]) {
        const d = backoffDelay(retry, { baseMs: 100, maxMs: 5000 }, () => r);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(ceiling);
      }
      expect(backoffDelay(retry, { baseMs: 100, maxMs: 5000 }, () => 0.999999)).toBeGreaterThanOrEqual(
        ceiling - 1,
      );
    }
  });

  it("spreads delays over the whole range with the real random source", () => {
    const ds = Array.from({ length: 2000 }, () => backoffDelay(4, { baseMs: 100, maxMs: 10_000 }));
    expect(Math.max(...ds)).toBeLessThan(800);
    expect(Math.max(...ds)).toBeGreaterThan(700);
    expect(Math.min(...ds)).toBeLessThan(100);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-11-26T07:00:00Z");
  it("reads delta-seconds, including decimals", () => {
    expect(parseRetryAfter("0", now)).toBe(0);
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter(" 1.5 ", now)).toBe(1500);
  });
  it("reads an HTTP-date relative to now, never negative", () => {
    expect(parseRetryAfter("Thu, 26 Nov 2026 07:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Thu, 26 Nov 2026 06:59:00 GMT", now)).toBe(0);
  });
  it("ignores missing or unreadable values", () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter("", now)).toBeUndefined();
    expect(parseRetryAfter("-5", now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("12abc", now)).toBeUndefined();
  });
});
