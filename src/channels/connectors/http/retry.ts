/**
 * Pure retry arithmetic for the HTTP client: exponential backoff with full jitter (AWS
 * architecture blog's "full jitter": a uniform delay in [0, min(cap, base·2^n)) spreads retrying
 * clients apart) and Retry-After parsing in both forms the HTTP spec allows.
 */

export interface BackoffOptions {
  /** First retry's upper bound, ms (default 250). */
  baseMs?: number;
  /** Largest delay, ms (default 15_000). */
  maxMs?: number;
}

/** Delay before retry number `retry` (1 = first retry). `random` returns [0, 1). */
export function backoffDelay(
  retry: number,
  opts: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const base = opts.baseMs ?? 250;
  const max = opts.maxMs ?? 15_000;
  const ceiling = Math.min(max, base * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Retry-After as ms from `nowMs`: delta-seconds ("120", also "1.5" which some gateways send) or an
 * HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT"). Undefined when absent or unreadable; never negative.
 */
export function parseRetryAfter(value: string | undefined | null, nowMs: number): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // Dates only: a bare number with junk ("12abc") is not a date, and Date.parse would accept odd forms.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
