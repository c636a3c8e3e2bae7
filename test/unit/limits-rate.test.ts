/** The token bucket behind THROTTLED: burst, refill, retry-after, independent owners, idle sweep. */
import { RateLimiter } from "../../src/app/limits/rate-limiter";

describe("rate limiter (token bucket of cost points)", () => {
  let now = 0;
  const limiter = () => new RateLimiter({ capacity: 100, restorePerSecond: 10 }, () => now);
  beforeEach(() => (now = 0));

  it("allows a burst up to capacity, then refuses with the wait until the cost fits", () => {
    const l = limiter();
    expect(l.take("a", 60)).toEqual({
      ok: true,
      status: { maximumAvailable: 100, currentlyAvailable: 40, restoreRate: 10 },
    });
    const refused = l.take("a", 60);
    expect(refused.ok).toBe(false);
    // 20 points missing at 10 points/s.
    expect(refused.ok ? 0 : refused.retryAfterMs).toBe(2000);
    // A refusal takes nothing.
    expect(l.take("a", 40).ok).toBe(true);
  });

  it("refills at the restore rate, never beyond capacity", () => {
    const l = limiter();
    l.take("a", 100);
    now = 1500;
    expect(l.take("a", 16).ok).toBe(false);
    expect(l.take("a", 15)).toMatchObject({ ok: true, status: { currentlyAvailable: 0 } });
    now = 1_000_000;
    expect(l.take("a", 0).status.currentlyAvailable).toBe(100);
  });

  it("keeps one bucket per owner", () => {
    const l = limiter();
    l.take("apiKey:1", 100);
    expect(l.take("apiKey:1", 1).ok).toBe(false);
    expect(l.take("apiKey:2", 100).ok).toBe(true);
    expect(l.take("ip:127.0.0.1", 1).ok).toBe(true);
  });

  it("drops idle (full again) buckets once the map grows large", () => {
    const l = limiter();
    for (let i = 0; i < 10_000; i++) l.take(`ip:${i}`, 1);
    expect(l.size).toBe(10_000);
    now = 11_000; // every bucket has refilled
    l.take("new", 1);
    expect(l.size).toBe(1);
  });
});
