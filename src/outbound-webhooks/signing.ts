/**
 * Signatures on outbound webhooks, Stripe-style: `X-Ocop-Signature: v1=<hex HMAC-SHA256>` over
 * `${X-Ocop-Timestamp}.${raw body}` with the subscription's secret. The timestamp (unix seconds) is
 * signed too, so a captured delivery cannot be replayed later: receivers should refuse timestamps
 * more than a few minutes old (verifySignature's toleranceSeconds).
 */
import crypto from "node:crypto";

export const SIGNATURE_HEADER = "x-ocop-signature";
export const TIMESTAMP_HEADER = "x-ocop-timestamp";
export const EVENT_ID_HEADER = "x-ocop-event-id";
export const EVENT_TYPE_HEADER = "x-ocop-event-type";
export const DELIVERY_ID_HEADER = "x-ocop-delivery-id";
export const ATTEMPT_HEADER = "x-ocop-delivery-attempt";

/** A new subscription secret: 32 random bytes, shown once. */
export function newWebhookSecret(): string {
  return `whsec_${crypto.randomBytes(32).toString("base64url")}`;
}

export function signPayload(secret: string, timestamp: number, rawBody: string | Buffer): string {
  const mac = crypto.createHmac("sha256", secret);
  mac.update(`${timestamp}.`);
  mac.update(rawBody);
  return `v1=${mac.digest("hex")}`;
}

/** What an integrator runs on receipt (exported for the docs and tests). */
export function verifySignature(opts: {
  secret: string;
  rawBody: string | Buffer;
  timestamp: string | undefined;
  signature: string | undefined;
  nowSeconds?: number;
  toleranceSeconds?: number;
}): boolean {
  const ts = Number(opts.timestamp);
  if (!opts.signature || !Number.isInteger(ts)) return false;
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - ts) > (opts.toleranceSeconds ?? 300)) return false;
  const want = Buffer.from(signPayload(opts.secret, ts, opts.rawBody));
  // A comma-separated list is accepted (room for a secret rotation): any one matching is enough.
  return opts.signature.split(",").some((part) => {
    const got = Buffer.from(part.trim());
    return got.length === want.length && crypto.timingSafeEqual(got, want);
  });
}
