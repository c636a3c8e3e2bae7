/** Constant-time comparison of hex signatures, shared by every connector and sandbox. */
import crypto from "node:crypto";

/** True when `received` is `expected` (case-insensitive, surrounding spaces ignored); false when missing. */
export function sameSignature(expected: string, received: string | undefined | null): boolean {
  if (!received) return false;
  const a = Buffer.from(expected.toLowerCase(), "utf8");
  const b = Buffer.from(received.trim().toLowerCase(), "utf8");
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}
