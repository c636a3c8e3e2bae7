/**
 * Turns a Shopee v2 answer into one outcome for the shared HTTP client. Shopee does not document
 * the HTTP status of its errors, so the `error` field of the envelope decides; the status only
 * matters when there is no envelope (gateway 5xx, proxies) or for a bare 429.
 * Error names are sometimes namespaced ("product.error_param"): the part after the last dot counts.
 */
import type { Classification, HttpResponseView } from "../http/types";

export interface ShopeeEnvelope {
  request_id?: string;
  error?: string;
  message?: string;
  warning?: string;
  response?: unknown;
}

/** "product.error_param" → "error_param". */
export function baseErrorName(error: string): string {
  const dot = error.lastIndexOf(".");
  return dot >= 0 ? error.slice(dot + 1) : error;
}

const TRANSIENT = new Set([
  "error_server",
  "error_inner",
  "error_network",
  "error_system_busy",
  "error_busy",
  "error_update_price_fail",
  "error_busi_update_stock_failed",
]);

/** Access token rejected: refresh once. The misspelt name is what some Shopee gateways send. */
const TOKEN_INVALID = new Set(["invalid_access_token", "invalid_acceess_token", "error_access_token"]);

/** The authorization itself is gone: only the seller can fix it by authorizing again. */
const REAUTH = new Set([
  "refresh_token_expired",
  "shop_access_expired",
  "error_shop_refresh_token",
  "invalid_refresh_token",
  "error_auth_expired",
]);

const TOO_MANY = /too many requests|rate.?limit|exceed/i;

function retryAfterMs(headers: HttpResponseView["headers"]): number | undefined {
  const value = headers["retry-after"];
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function envelopeOf(body: unknown): ShopeeEnvelope | null {
  return body && typeof body === "object" && !Array.isArray(body) ? (body as ShopeeEnvelope) : null;
}

export function classifyShopee(res: HttpResponseView): Classification {
  const env = envelopeOf(res.body);
  const error = env?.error ? String(env.error) : "";
  const message = env?.message ? String(env.message) : "";
  const retryAfter = retryAfterMs(res.headers);

  if (!error) {
    if (res.status === 429)
      return {
        kind: "rate_limited",
        code: "429",
        message: message || "Too Many Requests",
        retryAfterMs: retryAfter,
      };
    if (res.status >= 500)
      return {
        kind: "retry",
        code: String(res.status),
        message: message || "server error",
        retryAfterMs: retryAfter,
      };
    if (res.status >= 200 && res.status < 300 && env) return { kind: "success" };
    if (res.status >= 200 && res.status < 300)
      return { kind: "fatal", code: "error_data", message: "response is not a JSON envelope" };
    return { kind: "fatal", code: String(res.status), message: message || `HTTP ${res.status}` };
  }

  const name = baseErrorName(error);
  if (
    res.status === 429 ||
    name.startsWith("rate_limit") ||
    error.includes("rate_limit") ||
    (name === "error_server" && TOO_MANY.test(message))
  ) {
    return { kind: "rate_limited", code: error, message, retryAfterMs: retryAfter };
  }
  if (TRANSIENT.has(name)) return { kind: "retry", code: error, message, retryAfterMs: retryAfter };
  if (TOKEN_INVALID.has(name)) return { kind: "refresh_token", code: error, message };
  if (REAUTH.has(name)) return { kind: "needs_reauth", code: error, message };
  if (name === "error_auth") {
    // One name, three meanings: an expired access token can be refreshed; a refused refresh token
    // or a shop that left the partner cannot; a missing API permission is a setup problem.
    if (/refresh_token/i.test(message)) return { kind: "needs_reauth", code: error, message };
    if (/access_token/i.test(message)) return { kind: "refresh_token", code: error, message };
    if (/partner_id or shop_?id|shop.*(not|no longer).*authori[sz]ed/i.test(message)) {
      return { kind: "needs_reauth", code: error, message };
    }
    return { kind: "fatal", code: error, message };
  }
  if (res.status >= 500) return { kind: "retry", code: error, message, retryAfterMs: retryAfter };
  return { kind: "fatal", code: error, message };
}

/** Shopee per-model failures carry only a reason text; these read as "try again later". */
const TRANSIENT_REASON = /try (again )?later|busy|timeout|timed out|system error/i;

export function isTransientFailureReason(reason: string): boolean {
  return TRANSIENT_REASON.test(reason);
}
