/**
 * Money is whole Vietnamese đồng (ISO 4217 exponent 0): integers only, never floats.
 */

/** Largest unit price we accept: 1 billion đồng, well inside GraphQL's 32-bit Int. */
export const MAX_UNIT_PRICE_VND = 1_000_000_000;

export function isValidVnd(value: unknown, max = MAX_UNIT_PRICE_VND): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 && value <= max;
}

/** Parses "91000", "91.000", "91,000", "91.000 ₫" into 91000; null when not whole đồng. */
export function parseVnd(text: string): number | null {
  const cleaned = text.replace(/[₫đ\s]|VND/gi, "");
  if (!/^\d{1,3}([.,]\d{3})*$|^\d+$/.test(cleaned)) return null;
  const n = Number(cleaned.replace(/[.,]/g, ""));
  return Number.isSafeInteger(n) ? n : null;
}

const vndFormat = new Intl.NumberFormat("vi-VN");

/** "150.000 ₫" */
export function formatVnd(value: number | bigint): string {
  return `${vndFormat.format(value)} ₫`;
}

export type RoundingMode = "UP" | "DOWN" | "NEAREST";

/** Rounds to a step such as 1,000 đ; NEAREST rounds halves up. */
export function roundToStep(value: number, step: number, mode: RoundingMode = "NEAREST"): number {
  if (!Number.isInteger(step) || step <= 0)
    throw new RangeError(`step must be a positive integer, got ${step}`);
  const q = value / step;
  const n = mode === "UP" ? Math.ceil(q) : mode === "DOWN" ? Math.floor(q) : Math.floor(q + 0.5);
  return n * step;
}

/** Applies a percentage in basis points (1% = 100) with integer arithmetic, rounding half up. */
export function applyBasisPoints(value: number, basisPoints: number): number {
  return Math.floor((value * (10_000 + basisPoints) + 5_000) / 10_000);
}
