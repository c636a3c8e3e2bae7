/**
 * Lazada Open Platform (LazOP) request and push signatures, as pure functions shared by the
 * connector and the sandbox. Requests: UPPER hex HMAC-SHA256(app_secret, apiPath + sorted k+v of
 * every param except `sign` and files). Pushes: lower hex HMAC-SHA256(app_secret, app_key + raw body).
 */
import crypto from "node:crypto";
import type { OutgoingRequest, SigningInput } from "../http/types";

export const SIGN_METHOD = "sha256";

/** `apiPath` followed by every key and value, keys in plain code-unit (ASCII) order, values raw. */
export function signatureBase(apiPath: string, params: Record<string, string | number | boolean>): string {
  const keys = Object.keys(params)
    .filter((k) => k !== "sign")
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let base = apiPath;
  for (const k of keys) base += k + String(params[k]);
  return base;
}

export function requestSignature(
  apiPath: string,
  params: Record<string, string | number | boolean>,
  appSecret: string,
): string {
  return crypto
    .createHmac("sha256", Buffer.from(appSecret, "utf8"))
    .update(Buffer.from(signatureBase(apiPath, params), "utf8"))
    .digest("hex")
    .toUpperCase();
}

/** The `Authorization` header of a Lazada push (LPM webhook). */
export function pushSignature(appKey: string, appSecret: string, rawBody: Buffer): string {
  return crypto
    .createHmac("sha256", Buffer.from(appSecret, "utf8"))
    .update(Buffer.concat([Buffer.from(appKey, "utf8"), rawBody]))
    .digest("hex");
}

export { sameSignature } from "../http/signature";

/**
 * String params a request carries in its body: form fields (URLSearchParams) or the non-file
 * fields of a multipart upload. Files are never signed.
 */
export function bodyParams(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (body instanceof URLSearchParams) {
    for (const [k, v] of body) out[k] = v;
  } else if (typeof FormData !== "undefined" && body instanceof FormData) {
    for (const [k, v] of body.entries()) if (typeof v === "string") out[k] = v;
  }
  return out;
}

/**
 * The connector's SignHook: system params go in the query (`app_key`, `timestamp` in ms,
 * `sign_method`, and `access_token` for shop calls), business params stay where the connector put
 * them (query for GET, form body for POST), and `sign` covers them all. Called before every
 * attempt, so a retried request gets a fresh timestamp and signature.
 */
export function signLazadaRequest(req: OutgoingRequest, input: SigningInput): void {
  delete req.query.sign;
  delete req.query.access_token;
  req.query.app_key = input.appKey;
  req.query.timestamp = String(input.now);
  req.query.sign_method = SIGN_METHOD;
  if (req.auth === "shop" && input.accessToken) req.query.access_token = input.accessToken;
  const all: Record<string, string | number | boolean> = { ...bodyParams(req.body), ...req.query };
  req.query.sign = requestSignature(req.path, all, input.appSecret);
}
