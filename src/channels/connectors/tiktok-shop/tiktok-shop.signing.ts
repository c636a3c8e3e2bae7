/**
 * TikTok Shop Partner API request signing (202309+), as the "Sign your API request" guide gives it:
 * sign = hex(HMAC-SHA256(secret, secret + path + sorted(k+v) + rawBody + secret)). Pure functions,
 * shared by the connector (to sign) and the sandbox (to verify), so both read one definition.
 */
import crypto from "node:crypto";
import type { OutgoingRequest, SigningInput } from "../http/types";

/** Query keys the signature never covers. */
const UNSIGNED_KEYS = new Set(["sign", "access_token"]);

/** The exact string the HMAC runs over, before the secret wrap. */
export function tiktokBaseString(
  path: string,
  query: Record<string, string>,
  body: string | Buffer | null,
): string {
  const keys = Object.keys(query)
    .filter((k) => !UNSIGNED_KEYS.has(k))
    .sort();
  let s = path;
  for (const k of keys) s += k + query[k];
  if (body != null && body.length > 0) s += Buffer.isBuffer(body) ? body.toString("utf8") : body;
  return s;
}

/** Lower-case hex signature. `body` is the raw JSON text, or null for GET and multipart requests. */
export function tiktokSign(
  appSecret: string,
  path: string,
  query: Record<string, string>,
  body: string | Buffer | null,
): string {
  const wrapped = appSecret + tiktokBaseString(path, query, body) + appSecret;
  return crypto.createHmac("sha256", appSecret).update(wrapped, "utf8").digest("hex");
}

/** Webhook `Authorization` header: hex(HMAC-SHA256(app_secret, app_key + raw body)). */
export function tiktokWebhookSignature(appKey: string, appSecret: string, rawBody: Buffer | string): string {
  const h = crypto.createHmac("sha256", appSecret);
  h.update(appKey, "utf8");
  h.update(rawBody);
  return h.digest("hex");
}

export { sameSignature } from "../http/signature";

/** Token endpoints on auth.tiktok-shops.com carry app_secret in the query and are not signed. */
export function isTokenPath(path: string): boolean {
  return path.startsWith("/api/v2/token/");
}

/**
 * Paths that must NOT carry shop_cipher: authorization, seller and image/file upload endpoints
 * (the gateway answers 36009004 "Unexpected identifier" when they do).
 */
export function takesShopCipher(path: string): boolean {
  return !(
    path.startsWith("/authorization/") ||
    path.startsWith("/seller/") ||
    /^\/product\/\d+\/(images|files)\/upload$/.test(path) ||
    path.includes("/global_products")
  );
}

function isMultipart(req: OutgoingRequest): boolean {
  if (typeof FormData !== "undefined" && req.body instanceof FormData) return true;
  const ct = Object.entries(req.headers).find(([k]) => k.toLowerCase() === "content-type")?.[1];
  return !!ct && ct.toLowerCase().startsWith("multipart/form-data");
}

/**
 * The `sign` hook of the shared HTTP client. Called before every attempt, so it replaces the
 * timestamp and signature each time. A JSON body is serialised here, once, to a string: the
 * signature covers the exact bytes sent, and a string passes through axios unchanged.
 */
export function signTiktokRequest(req: OutgoingRequest, input: SigningInput): void {
  if (isTokenPath(req.path)) return;
  req.query.app_key = input.appKey;
  req.query.timestamp = Math.floor(input.now / 1000);
  delete req.query.sign;
  const cipher = input.extra?.shop_cipher;
  if (req.auth === "shop" && cipher && takesShopCipher(req.path)) req.query.shop_cipher = cipher;
  if (input.accessToken) req.headers["x-tts-access-token"] = input.accessToken;

  let body: string | null = null;
  if (req.body !== undefined && req.body !== null && !isMultipart(req)) {
    if (typeof req.body !== "string" && !Buffer.isBuffer(req.body)) req.body = JSON.stringify(req.body);
    body = Buffer.isBuffer(req.body) ? req.body.toString("utf8") : (req.body as string);
    req.headers["content-type"] = "application/json";
  }
  const query: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.query)) query[k] = String(v);
  req.query.sign = tiktokSign(input.appSecret, req.path, query, body);
}
