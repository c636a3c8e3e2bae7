/**
 * Calendar helpers for OCOP validity. Dates are plain calendar days (YYYY-MM-DD) in Vietnam;
 * the clock is injectable so expiry can be tested at any instant.
 */
export const VN_TIME_ZONE = "Asia/Ho_Chi_Minh";

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A fixed or movable clock for tests. */
export class ManualClock implements Clock {
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current.getTime());
  }
  set(at: Date): void {
    this.current = new Date(at.getTime());
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isIsoDate(text: string): boolean {
  const m = DATE_RE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

/**
 * Adds calendar months; a day that does not exist in the target month clamps to its last day
 * (2024-02-29 + 36 months = 2027-02-28).
 */
export function addMonths(isoDate: string, months: number): string {
  const m = DATE_RE.exec(isoDate);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: ${isoDate}`);
  const year = +m[1];
  const month0 = +m[2] - 1 + months;
  const y = year + Math.floor(month0 / 12);
  const mo = ((month0 % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(y, mo + 1, 0)).getUTCDate();
  const day = Math.min(+m[3], lastDay);
  return `${String(y).padStart(4, "0")}-${String(mo + 1).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/** Vietnam has kept UTC+7 without daylight saving since 1975, so plain arithmetic is exact (and fast). */
const VN_OFFSET_MS = 7 * 3_600_000;

/** Today's calendar date in Vietnam for the given instant. */
export function vnToday(at: Date): string {
  return new Date(at.getTime() + VN_OFFSET_MS).toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (both YYYY-MM-DD); negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
