/**
 * Per-caller query budget, Shopify style: a token bucket of cost points per API key, user or (for
 * anonymous callers) IP. A request takes its requested cost from the bucket, which refills at a
 * steady rate; a request that does not fit is refused with the time it must wait. State is kept in
 * this process: with N API replicas behind a balancer a caller gets at most N times the budget, which
 * is acceptable for abuse protection (exact global quotas would cost a database write per request).
 */

export interface RateLimitOptions {
  /** Points a full bucket holds; also the largest burst (default 2000). */
  capacity: number;
  /** Points restored per second (default 100). */
  restorePerSecond: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { capacity: 2000, restorePerSecond: 100 };

export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

export type TakeResult =
  | { ok: true; status: ThrottleStatus }
  | { ok: false; status: ThrottleStatus; retryAfterMs: number };

interface Bucket {
  points: number;
  at: number;
}

/** Buckets left idle long enough to be full again are dropped once the map grows past this. */
const SWEEP_AT = 10_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly options: RateLimitOptions = DEFAULT_RATE_LIMIT,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  /** Takes `cost` points from `who`'s bucket, or says how long until they would fit. */
  take(who: string, cost: number): TakeResult {
    const now = this.nowMs();
    const bucket = this.refilled(who, now);
    const status = (points: number): ThrottleStatus => ({
      maximumAvailable: this.options.capacity,
      currentlyAvailable: Math.floor(points),
      restoreRate: this.options.restorePerSecond,
    });
    if (cost <= bucket.points) {
      bucket.points -= cost;
      return { ok: true, status: status(bucket.points) };
    }
    // A cost larger than the bucket would never fit; the cost limit refuses those before this point.
    const missing = Math.min(cost, this.options.capacity) - bucket.points;
    const retryAfterMs = Math.max(0, Math.ceil((missing / this.options.restorePerSecond) * 1000));
    return { ok: false, status: status(bucket.points), retryAfterMs };
  }

  private refilled(who: string, now: number): Bucket {
    let bucket = this.buckets.get(who);
    if (!bucket) {
      if (this.buckets.size >= SWEEP_AT) this.sweep(now);
      bucket = { points: this.options.capacity, at: now };
      this.buckets.set(who, bucket);
      return bucket;
    }
    const restored = ((now - bucket.at) / 1000) * this.options.restorePerSecond;
    bucket.points = Math.min(this.options.capacity, bucket.points + restored);
    bucket.at = now;
    return bucket;
  }

  private sweep(now: number): void {
    const fullAfterMs = (this.options.capacity / this.options.restorePerSecond) * 1000;
    for (const [who, b] of this.buckets) if (now - b.at >= fullAfterMs) this.buckets.delete(who);
  }

  get size(): number {
    return this.buckets.size;
  }
}
