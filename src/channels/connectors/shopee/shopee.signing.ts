/**
 * Shopee Open Platform v2 request and push signatures. Pure functions: the HTTP client calls
 * `signShopeeRequest` before every attempt, the sandbox uses the same primitives to check them.
 * sign = lowercase hex HMAC-SHA256, keyed with the partner key's UTF-8 text (never hex-decoded),
 * over a plain concatenation; query parameters and the JSON body are never signed.
 */
import crypto from "node:crypto";
import type { OutgoingRequest, SigningInput } from "../http/types";

export function hmacSha256Hex(key: string, message: string | Buffer): string {
  return crypto.createHmac("sha256", Buffer.from(key, "utf8")).update(message).digest("hex");
}

export interface ShopeeBaseParts {
  partnerId: string | number;
  path: string;
  /** Unix seconds */
  timestamp: number;
  /** Present for Shop APIs only. */
  accessToken?: string | null;
  shopId?: string | number | null;
}

/** Public API: partner_id + path + timestamp. Shop API: … + access_token + shop_id. */
export function shopeeBaseString(p: ShopeeBaseParts): string {
  const base = `${p.partnerId}${p.path}${p.timestamp}`;
  return p.accessToken ? `${base}${p.accessToken}${p.shopId ?? ""}` : base;
}

export function shopeeSign(partnerKey: string, p: ShopeeBaseParts): string {
  return hmacSha256Hex(partnerKey, shopeeBaseString(p));
}

/**
 * The SignHook for the shared client: common parameters always travel in the query string.
 * Shop calls carry access_token and shop_id, both also inside the signed base.
 */
export function signShopeeRequest(req: OutgoingRequest, input: SigningInput): void {
  const timestamp = Math.floor(input.now / 1000);
  const shop = req.auth === "shop";
  if (shop && (!input.accessToken || !input.shopId)) {
    throw new Error(`shopee ${req.endpoint}: a shop call needs an access token and a shop id`);
  }
  req.query.partner_id = input.appKey;
  req.query.timestamp = timestamp;
  if (shop) {
    req.query.access_token = input.accessToken as string;
    req.query.shop_id = input.shopId as string;
  } else {
    delete req.query.access_token;
    delete req.query.shop_id;
  }
  req.query.sign = shopeeSign(input.appSecret, {
    partnerId: input.appKey,
    path: req.path,
    timestamp,
    accessToken: shop ? input.accessToken : null,
    shopId: shop ? input.shopId : null,
  });
}

/** Push `Authorization` header: HMAC over the callback URL, "|" and the raw body bytes. */
export function shopeePushSignature(
  partnerKey: string,
  callbackUrl: string,
  rawBody: Buffer | string,
): string {
  const body = typeof rawBody === "string" ? Buffer.from(rawBody, "utf8") : rawBody;
  return hmacSha256Hex(partnerKey, Buffer.concat([Buffer.from(`${callbackUrl}|`, "utf8"), body]));
}

export { sameSignature } from "../http/signature";
