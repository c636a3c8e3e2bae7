/**
 * Classifies TikTok Shop responses ({code, message, request_id, data}; code 0 = success) for the
 * shared HTTP client. The code decides before the HTTP status, because the gateway answers most
 * errors with a code while the status varies (401 for a bad sign, 429 for throttling, 200 for
 * many business errors).
 */
import type { Classification, HttpResponseView } from "../http/types";

export const TTS_CODES = {
  OK: 0,
  EXPIRED_TOKEN: 105002,
  MISSING_SCOPE: 105005,
  BAD_SIGN: 106001,
  MISSING_SHOP_CIPHER: 106013,
  BAD_TOKEN_OR_CIPHER: 101000,
  TOO_MANY_REQUESTS: 36009002,
  /** Shared by bad token, bad app_key, bad timestamp and unexpected identifiers: read the message. */
  INVALID_CREDENTIALS: 36009004,
  REQUEST_TIMEOUT: 36009007,
  INVALID_PATH: 36009009,
  INVALID_METHOD: 36009010,
  IP_NOT_ALLOWED: 36009033,
} as const;

export interface TiktokEnvelope<T = unknown> {
  code: number;
  message: string;
  request_id?: string;
  data?: T;
}

export function isEnvelope(body: unknown): body is TiktokEnvelope {
  return typeof body === "object" && body !== null && typeof (body as { code?: unknown }).code === "number";
}

function retryAfterMs(headers: HttpResponseView["headers"]): number | undefined {
  const v = headers["retry-after"];
  if (!v) return undefined;
  const s = Number(v);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export function classifyTiktokResponse(res: HttpResponseView): Classification {
  const env = isEnvelope(res.body) ? res.body : null;
  const code = env ? String(env.code) : `HTTP_${res.status}`;
  const message = env
    ? String(env.message ?? "")
    : typeof res.body === "string"
      ? res.body.slice(0, 200)
      : "";

  if (env && env.code === TTS_CODES.OK && res.status >= 200 && res.status < 300) return { kind: "success" };
  if (res.status === 429 || env?.code === TTS_CODES.TOO_MANY_REQUESTS) {
    return { kind: "rate_limited", code, message, retryAfterMs: retryAfterMs(res.headers) };
  }
  if (env) {
    switch (env.code) {
      case TTS_CODES.EXPIRED_TOKEN:
        return { kind: "refresh_token", code, message };
      case TTS_CODES.INVALID_CREDENTIALS:
        // Only a bad token is curable by refreshing; a bad timestamp, app_key or identifier is not.
        return /access_token|x-tts-access-token/i.test(message)
          ? { kind: "refresh_token", code, message }
          : { kind: "fatal", code, message };
      case TTS_CODES.MISSING_SCOPE:
      case TTS_CODES.BAD_TOKEN_OR_CIPHER:
        return { kind: "needs_reauth", code, message };
      case TTS_CODES.REQUEST_TIMEOUT:
        return { kind: "retry", code, message, retryAfterMs: retryAfterMs(res.headers) };
    }
  }
  if (res.status >= 500 || res.status === 408) {
    return { kind: "retry", code, message, retryAfterMs: retryAfterMs(res.headers) };
  }
  if (!env) return { kind: "fatal", code, message: message || "unexpected response" };
  return { kind: "fatal", code, message };
}
