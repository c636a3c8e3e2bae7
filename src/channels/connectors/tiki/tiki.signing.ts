/**
 * Tiki request authentication. Tiki signs nothing: shop calls carry `Authorization: Bearer <token>`
 * and the OAuth2 token endpoint takes the app's client_id/client_secret as HTTP Basic. Pushed
 * notifications are signed `x-signature: sha1=<hex HMAC-SHA1(secret, raw body)>` (the TikiNOW
 * webhook formula). Everything here is pure so the vectors in test/fixtures can pin it down.
 */
import crypto from "node:crypto";
import type { OutgoingRequest, SigningInput } from "../http/types";
import { sameSignature } from "../http/signature";

/** OAuth2 endpoints on the API host (Ory Hydra behind /sc/oauth2). */
export const TIKI_AUTH_PATH = "/sc/oauth2/auth";
export const TIKI_TOKEN_PATH = "/sc/oauth2/token";
export const TIKI_SIGNATURE_HEADER = "x-signature";

/** `Basic base64(client_id:client_secret)`, exactly as the token endpoint expects it. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${clientId}:${clientSecret}`, "utf8").toString("base64")}`;
}

/**
 * The SignHook: Bearer for shop calls; Basic for app calls unless the caller already set an
 * Authorization header (the seller lookup right after a code exchange uses the fresh Bearer token).
 */
export function signTiki(req: OutgoingRequest, input: SigningInput): void {
  if (req.auth === "shop") {
    if (!input.accessToken) throw new Error("tiki: a shop call needs an access token");
    req.headers.Authorization = `Bearer ${input.accessToken}`;
    return;
  }
  if (!req.headers.Authorization)
    req.headers.Authorization = basicAuthorization(input.appKey, input.appSecret);
}

/** `sha1=<lower hex>` over the exact bytes of the body. */
export function webhookSignature(secret: string, rawBody: Buffer | string): string {
  return `sha1=${crypto.createHmac("sha1", secret).update(rawBody).digest("hex")}`;
}

/** Constant-time check of an `x-signature` header against the raw body. */
export function verifyWebhookSignature(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  return sameSignature(webhookSignature(secret, rawBody), header);
}
