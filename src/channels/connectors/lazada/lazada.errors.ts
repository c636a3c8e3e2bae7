/**
 * Maps a Lazada response (HTTP status + LazOP envelope) to the shared client's outcomes. Lazada
 * answers most errors with `{type, code, message, request_id}` where `code` is a gateway name
 * ("IllegalAccessToken"), an "Exxx" business code or its bare number ("501"); success is code "0".
 */
import type { Classification, HttpResponseView } from "../http/types";

export interface LazadaEnvelope {
  code?: string | number;
  type?: string;
  message?: string;
  request_id?: string;
  data?: unknown;
  detail?: LazadaDetail[];
  result?: { success?: boolean; error_code?: string; error_msg?: string; data?: unknown };
}

/** One failed row of a batch call (`detail[]` of the error envelope). */
export interface LazadaDetail {
  field?: string;
  seller_sku?: string;
  message?: string;
}

/** Access token expired or unknown: refresh once, then retry. */
const REFRESH_CODES = new Set(["IllegalAccessToken", "InvalidAccessToken", "AccessTokenExpired"]);
/** The seller's authorization is gone; only a new authorization helps. */
const REAUTH_CODES = new Set(["IllegalRefreshToken", "RefreshTokenExpired", "SellerAuthorizationRevoked"]);
/** Per-API QPS limit at the gateway, or the business layer's "too frequent" (E901). */
const RATE_CODES = new Set(["ApiCallLimit", "AppCallLimit", "E901", "901"]);
/** Transient platform faults. "513"/"1000" are documented internal errors of price/stock updates. */
const RETRY_CODES = new Set([
  "ServiceUnavailable",
  "ServiceTimeout",
  "InternalError",
  "SystemError",
  "ISP.ServiceUnavailable",
  "E006",
  "513",
  "E513",
  "1000",
]);
/** Batch codes whose `detail[]` says which rows failed; the connector maps them per item. */
export const PARTIAL_BATCH_CODES = new Set(["501", "E501"]);

function retryAfterFrom(headers: HttpResponseView["headers"], message: string): number | undefined {
  const header = headers["retry-after"];
  if (header && /^\d+$/.test(header)) return Number(header) * 1000;
  // "Api access frequency exceeds the limit. this ban will last 1 seconds"
  const m = /ban will last (\d+) second/i.exec(message);
  return m ? Number(m[1]) * 1000 : undefined;
}

export function codeOf(body: LazadaEnvelope): string {
  return body.code === undefined || body.code === null ? "" : String(body.code);
}

export function classifyLazada(res: HttpResponseView): Classification {
  const body = (res.body && typeof res.body === "object" ? res.body : null) as LazadaEnvelope | null;
  const code = body ? codeOf(body) : "";
  const message = body?.message ?? (typeof res.body === "string" ? res.body.slice(0, 200) : "");
  if (res.status === 429 || RATE_CODES.has(code)) {
    return {
      kind: "rate_limited",
      code: code || "429",
      message: message || "Too many requests",
      retryAfterMs: retryAfterFrom(res.headers, message),
    };
  }
  if (res.status >= 500 || res.status === 408) {
    return { kind: "retry", code: code || `HTTP ${res.status}`, message: message || "Server error" };
  }
  if (!body)
    return { kind: "fatal", code: `HTTP ${res.status}`, message: message || "Not a LazOP JSON response" };
  if (code === "0") {
    // Fulfilment APIs wrap their outcome once more: {code:"0", result:{success:false, error_code}}.
    if (body.result && body.result.success === false) {
      return {
        kind: "fatal",
        code: body.result.error_code ?? "result.failed",
        message: body.result.error_msg ?? "Request failed",
      };
    }
    return { kind: "success" };
  }
  if (PARTIAL_BATCH_CODES.has(code) && Array.isArray(body.detail) && body.detail.length > 0) {
    return { kind: "success" };
  }
  if (REFRESH_CODES.has(code)) return { kind: "refresh_token", code, message };
  if (REAUTH_CODES.has(code)) return { kind: "needs_reauth", code, message };
  if (RETRY_CODES.has(code) || body.type === "SYSTEM") return { kind: "retry", code, message };
  if (res.status >= 400 && !code) return { kind: "fatal", code: `HTTP ${res.status}`, message };
  return { kind: "fatal", code: code || "UnknownError", message: message || "Unknown Lazada error" };
}
