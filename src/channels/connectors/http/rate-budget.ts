/**
 * Per-shop request budget, shared by every call the process makes for one (marketplace, shop).
 * It is a GCRA token bucket (one "theoretical arrival time" instead of a token count, so concurrent
 * callers each reserve a slot in O(1)) that starts at the documented RatePolicy and learns: on a
 * rate-limit answer it drops to just under the rate the server actually accepted during the last
 * second and honours Retry-After. Recovery is TCP-like: below the rate the server was seen to accept
 * (the ceiling) the rate doubles after every quiet period ("slow start"), so a burst of 429s costs
 * seconds, not minutes; above it, the budget probes in small steps and only after a long quiet spell,
 * because a ceiling learnt while we sent little may be a passing overload, not the server's limit,
 * and each probe above a real limit costs a few rate-limit answers.
 */
import type { RatePolicy } from "../connector";

export interface RateBudgetOptions {
  /** Time without a rate-limit answer before the rate is raised one step, ms (default 5_000). */
  quietMs?: number;
  /**
   * Time without a rate-limit answer before the budget probes above the rate the server was seen to
   * accept, ms (default 60_000). Below that observed ceiling it recovers every `quietMs`.
   */
  probeMs?: number;
  /** Share of the observed accepted rate to settle at, below 1 so we stay under it (default 0.95). */
  safety?: number;
  /** Multiplier per recovery step below the observed ceiling (default 2: slow start). */
  recoverFactor?: number;
  /** Multiplier per probing step above the observed ceiling (default 1.25). */
  probeFactor?: number;
  /** Called when the learnt rate changes (logs, metrics); never throws into the caller. */
  onChange?: (change: RateChange) => void;
  /** Lowest rate, requests/s (default 0.2: one call per 5 s still gets through). */
  minRate?: number;
}

export interface RateChange {
  from: number;
  to: number;
  /** lowered: a rate-limit answer; recovered: back toward the observed ceiling; probed: beyond it. */
  reason: "lowered" | "recovered" | "probed";
  /** Requests/s the server was seen to accept before its last rate-limit answer; null = unknown. */
  ceiling: number | null;
}

const WINDOW_MS = 1000;

export class RateBudget {
  private rate: number;
  private burst: number;
  /** When the next call would be due if calls were evenly spaced at `rate` (GCRA's TAT). */
  private tat = -Infinity;
  private blockedUntil = -Infinity;
  /**
   * Completion times of calls the server accepted within the last second. Completion, not send, time:
   * the server stamped each call somewhere in between, and the later bound keeps our pauses long enough.
   */
  private readonly accepted: number[] = [];
  private lastLimitedAt = -Infinity;
  private lastLoweredAt = -Infinity;
  private lastRaisedAt = -Infinity;
  /** Requests/s the server accepted in the second before its last rate-limit answer; null = unknown. */
  private ceiling: number | null = null;
  private readonly quietMs: number;
  private readonly probeMs: number;
  private readonly safety: number;
  private readonly recoverFactor: number;
  private readonly probeFactor: number;
  private readonly minRate: number;
  private readonly onChange?: (change: RateChange) => void;
  /** Rate-limit answers seen, for logs and benchmarks. */
  rateLimitedCount = 0;

  constructor(
    private readonly policy: RatePolicy,
    private readonly now: () => number = Date.now,
    opts: RateBudgetOptions = {},
  ) {
    if (!(policy.requestsPerSecond > 0)) throw new Error("RatePolicy.requestsPerSecond must be > 0");
    this.rate = policy.requestsPerSecond;
    this.burst = Math.max(1, Math.floor(policy.burst));
    this.quietMs = opts.quietMs ?? 5_000;
    this.probeMs = opts.probeMs ?? 60_000;
    this.safety = opts.safety ?? 0.95;
    this.recoverFactor = opts.recoverFactor ?? 2;
    this.probeFactor = opts.probeFactor ?? 1.25;
    this.minRate = opts.minRate ?? 0.2;
    this.onChange = opts.onChange;
  }

  /** Current learnt rate, requests/s. */
  get currentRate(): number {
    return this.rate;
  }

  get currentBurst(): number {
    return this.burst;
  }

  /** Until when a rate-limit answer told everyone to hold off (ms since epoch; -Infinity if never). */
  get pausedUntil(): number {
    return this.blockedUntil;
  }

  /** Reserves the next slot and returns how long to wait before sending, ms (0 = now). */
  reserve(): number {
    const now = this.now();
    this.maybeRecover(now);
    const interval = 1000 / this.rate;
    const tolerance = (this.burst - 1) * interval;
    const tat = Math.max(this.tat, now);
    const sendAt = Math.max(now, tat - tolerance, this.blockedUntil);
    this.tat = Math.max(tat, sendAt) + interval;
    return sendAt - now;
  }

  /** A call that completed at `at` was accepted (anything but a rate-limit answer). */
  noteAccepted(at: number = this.now()): void {
    this.accepted.push(at);
    this.trim(this.now());
  }

  /** The server answered with its rate-limit error; `retryAfterMs` when it said how long to wait. */
  noteRateLimited(retryAfterMs?: number): void {
    const now = this.now();
    this.rateLimitedCount++;
    this.lastLimitedAt = now;
    this.trim(now);
    // Answers to calls sent before the last lowering say nothing new about the new rate.
    if (now - this.lastLoweredAt >= WINDOW_MS) {
      const accepted = this.accepted.length;
      if (accepted >= 1) this.ceiling = Math.min(this.rate, accepted);
      const target = accepted >= 1 ? this.ceiling! * this.safety : this.rate / 2;
      this.setRate(Math.max(this.minRate, target), "lowered");
      this.burst = 1;
      this.lastLoweredAt = now;
    }
    // Without Retry-After, assume the server counts the last second: room comes back when the
    // oldest call it accepted in that second drops out of its window.
    const windowPause = this.accepted.length > 0 ? this.accepted[0] + WINDOW_MS - now : 0;
    const pause =
      retryAfterMs !== undefined && retryAfterMs > 0 ? retryAfterMs : Math.max(windowPause, 1000 / this.rate);
    this.blockedUntil = Math.max(this.blockedUntil, now + pause);
    this.tat = Math.max(this.tat, this.blockedUntil);
  }

  private maybeRecover(now: number): void {
    if (this.rate >= this.policy.requestsPerSecond) return;
    if (now - Math.max(this.lastLimitedAt, this.lastRaisedAt) < this.quietMs) return;
    const safeCap = this.ceiling === null ? this.policy.requestsPerSecond : this.ceiling * this.safety;
    if (this.rate < safeCap - 1e-9) {
      this.setRate(Math.min(safeCap, this.rate * this.recoverFactor), "recovered");
    } else {
      // At or above the observed ceiling: the server may have raised its limit (or the 429 was a
      // passing overload), but only a probe can tell, and one above a real limit costs 429s.
      if (now - this.lastLimitedAt < this.probeMs) return;
      this.setRate(Math.min(this.policy.requestsPerSecond, this.rate * this.probeFactor), "probed");
    }
    this.lastRaisedAt = now;
    if (this.rate >= this.policy.requestsPerSecond) this.burst = Math.max(1, Math.floor(this.policy.burst));
  }

  private setRate(to: number, reason: RateChange["reason"]): void {
    const from = this.rate;
    this.rate = to;
    if (to === from || !this.onChange) return;
    try {
      this.onChange({ from, to, reason, ceiling: this.ceiling });
    } catch {
      // A failing observer must not break the caller's request.
    }
  }

  private trim(now: number): void {
    while (this.accepted.length > 0 && this.accepted[0] <= now - WINDOW_MS) this.accepted.shift();
  }
}

/** Process-wide registry: every client instance for one shop shares one budget. */
const budgets = new Map<string, RateBudget>();

export function rateBudgetKey(marketplace: string, shop: string): string {
  return `${marketplace}:${shop}`;
}

export function rateBudgetFor(
  key: string,
  policy: RatePolicy,
  now?: () => number,
  opts?: RateBudgetOptions,
): RateBudget {
  let b = budgets.get(key);
  if (!b) {
    b = new RateBudget(policy, now, opts);
    budgets.set(key, b);
  }
  return b;
}

/** Forgets every learnt budget (tests, benchmarks). */
export function resetRateBudgets(): void {
  budgets.clear();
}
