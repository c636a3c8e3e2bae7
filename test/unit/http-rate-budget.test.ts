import { RateBudget, rateBudgetFor, resetRateBudgets } from "../../src/channels/connectors/http/rate-budget";

/** Drives the budget on a fake clock: each call reserves, waits what it is told, then is "sent". */
function clock(start = 1_000_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => (t += ms),
    get t() {
      return t;
    },
  };
}

function sendTimes(b: RateBudget, c: ReturnType<typeof clock>, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    c.advance(b.reserve());
    out.push(c.t);
    b.noteAccepted(c.t);
  }
  return out;
}

describe("RateBudget", () => {
  it("allows the documented burst at once, then spaces calls at the documented rate", () => {
    const c = clock();
    const b = new RateBudget({ requestsPerSecond: 10, burst: 5 }, c.now);
    const times = sendTimes(b, c, 25).map((t) => t - 1_000_000);
    expect(times.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    for (let i = 5; i < 25; i++) expect(times[i] - times[i - 1]).toBeCloseTo(100, 6);
  });

  it("gives concurrent callers distinct slots", () => {
    const c = clock();
    const b = new RateBudget({ requestsPerSecond: 20, burst: 1 }, c.now);
    const waits = Array.from({ length: 5 }, () => b.reserve());
    expect(waits).toEqual([0, 50, 100, 150, 200]);
  });

  it("drops just under the accepted rate on a rate-limit answer and honours Retry-After", () => {
    const c = clock();
    const b = new RateBudget({ requestsPerSecond: 100, burst: 100 }, c.now, { safety: 0.95 });
    // The server accepted 20 calls in the last second, then said 429 with Retry-After 1 s.
    for (let i = 0; i < 20; i++) {
      b.noteAccepted(c.t);
      c.advance(40);
    }
    b.noteRateLimited(1000);
    expect(b.currentRate).toBeCloseTo(19, 6);
    expect(b.currentBurst).toBe(1);
    const limitedAt = c.t;
    const next = sendTimes(b, c, 20);
    expect(next[0] - limitedAt).toBe(1000);
    // No second within the following run holds more than the server's 20.
    for (let i = 0; i < next.length; i++) {
      expect(next.filter((t) => t >= next[i] && t < next[i] + 1000).length).toBeLessThanOrEqual(20);
    }
  });

  it("without Retry-After, pauses until the oldest accepted call leaves the server's one-second window", () => {
    const c = clock();
    const b = new RateBudget({ requestsPerSecond: 50, burst: 50 }, c.now);
    for (let i = 0; i < 5; i++) {
      b.noteAccepted(c.t);
      c.advance(2);
    }
    b.noteRateLimited(); // at +10 ms, the first accepted call completed at +0
    expect(b.pausedUntil).toBe(1_000_000 + 1000);
    expect(b.reserve()).toBe(990);
  });

  it("lowers once per second of answers, and halves when nothing was accepted", () => {
    const c = clock();
    const b = new RateBudget({ requestsPerSecond: 10, burst: 10 }, c.now);
    b.noteRateLimited();
    expect(b.currentRate).toBe(5);
    b.noteRateLimited(); // same second: an answer to a call sent at the old rate
    b.noteRateLimited();
    expect(b.currentRate).toBe(5);
    c.advance(1000);
    b.noteRateLimited();
    expect(b.currentRate).toBe(2.5);
    expect(b.rateLimitedCount).toBe(4);
  });

  it("never goes below the minimum rate", () => {
    const c = clock();
    const b = new RateBudget({ requestsPerSecond: 1, burst: 1 }, c.now, { minRate: 0.5 });
    for (let i = 0; i < 10; i++) {
      b.noteRateLimited();
      c.advance(1000);
    }
    expect(b.currentRate).toBe(0.5);
  });

  it("creeps back to the documented rate one step per quiet period", () => {
    const c = clock();
    const b = new RateBudget({ requestsPerSecond: 10, burst: 4 }, c.now, {
      quietMs: 10_000,
      recoverFactor: 1.5,
    });
    b.noteRateLimited();
    expect(b.currentRate).toBe(5);
    c.advance(9_999);
    b.reserve();
    expect(b.currentRate).toBe(5);
    c.advance(1);
    b.reserve();
    expect(b.currentRate).toBe(7.5);
    c.advance(5_000);
    b.reserve();
    expect(b.currentRate).toBe(7.5); // one step per quiet period, not per call
    c.advance(5_000);
    b.reserve();
    expect(b.currentRate).toBe(10);
    expect(b.currentBurst).toBe(4);
  });

  it("recovers quickly up to the rate the server accepted, and probes beyond it only after probeMs", () => {
    const c = clock();
    const b = new RateBudget({ requestsPerSecond: 10, burst: 10 }, c.now, {
      quietMs: 1_000,
      probeMs: 60_000,
      safety: 0.9,
      recoverFactor: 2,
      probeFactor: 2,
    });
    for (let i = 0; i < 4; i++) b.noteAccepted(c.t); // the server took 4 in this second
    b.noteRateLimited();
    expect(b.currentRate).toBeCloseTo(3.6, 6);
    // Later answers (an injected burst, say) push it lower…
    c.advance(1_000);
    b.noteRateLimited();
    expect(b.currentRate).toBeCloseTo(1.8, 6);
    // …from where it climbs back every quiet period, but not past 0.9 × the accepted 4/s.
    for (let i = 0; i < 10; i++) {
      c.advance(1_000);
      b.reserve();
    }
    expect(b.currentRate).toBeCloseTo(3.6, 6);
    c.advance(45_000); // 55 s since the last answer
    b.reserve();
    expect(b.currentRate).toBeCloseTo(3.6, 6);
    // A long quiet spell: one probe step above the ceiling, then the usual steps to the policy.
    c.advance(10_000);
    b.reserve();
    expect(b.currentRate).toBeCloseTo(7.2, 6);
    c.advance(1_000);
    b.reserve();
    expect(b.currentRate).toBe(10);
  });

  it("with the defaults, a storm of 429s at low demand costs seconds below the ceiling and minutes above it", () => {
    const c = clock();
    const changes: string[] = [];
    const b = new RateBudget({ requestsPerSecond: 100, burst: 100 }, c.now, {
      onChange: (x) => changes.push(`${x.reason} ${x.to.toFixed(2)}`),
    });
    // We sent 2 calls in a second, then an overload answered 429 to everything for 6 s.
    b.noteAccepted(c.t);
    b.noteAccepted(c.t);
    c.advance(100);
    for (let i = 0; i < 6; i++) {
      b.noteRateLimited();
      c.advance(1000);
    }
    expect(b.currentRate).toBe(0.2); // the floor: one call per 5 s still gets through
    const stormEnd = c.t;
    // Slow start: doubling every 5 s quiet, back at 0.95 × the 2/s the server took within 20 s.
    while (b.currentRate < 1.9 - 1e-9) {
      c.advance(500);
      b.reserve();
    }
    expect(c.t - stormEnd).toBeLessThanOrEqual(20_000);
    // Above that ceiling it probes only after 60 s without a 429, in 1.25× steps every 5 s.
    c.advance(30_000);
    b.reserve();
    expect(b.currentRate).toBeCloseTo(1.9, 6);
    while (b.currentRate < 100) {
      c.advance(500);
      b.reserve();
    }
    expect(c.t - stormEnd).toBeLessThanOrEqual(180_000);
    expect(b.currentBurst).toBe(100);
    expect(changes[0]).toBe("lowered 1.90");
    expect(changes).toContain("recovered 1.90");
    expect(changes.at(-1)).toBe("probed 100.00");
  });

  it("an observer that throws does not break the caller", () => {
    const c = clock();
    const b = new RateBudget({ requestsPerSecond: 10, burst: 1 }, c.now, {
      onChange: () => {
        throw new Error("observer down");
      },
    });
    expect(() => b.noteRateLimited()).not.toThrow();
    expect(b.currentRate).toBe(5);
  });

  it("is shared process-wide by key", () => {
    resetRateBudgets();
    const p = { requestsPerSecond: 5, burst: 1 };
    expect(rateBudgetFor("shopee:1", p)).toBe(rateBudgetFor("shopee:1", p));
    expect(rateBudgetFor("shopee:1", p)).not.toBe(rateBudgetFor("lazada:1", p));
  });
});
