/**
 * Turns a Tiki response into one outcome for the shared HTTP client. Tiki answers with plain HTTP
 * statuses (400, 401, 403, 404, 422, 429, 500, 503) and one of a few bodies: the OAuth2 server's
 * `{error, error_description}`, the integration gateway's
 * `{success:false, error:{status_code, message, message_code}}`, the product API's `{errors:[…]}`
 * or a bare `{message}`. Pure: no I/O, no clock (the client reads Retry-After itself).
 */
import type { Classification, HttpResponseView } from "../http/types";

export interface TikiErrorInfo {
  code: string;
  message: string;
  /** OAuth2 error code when the body came from the token endpoint. */
  oauthError: string | null;
}

function str(v: unknown): string | null {
  return typeof v === "string" && v.length > 0 ? v : typeof v === "number" ? String(v) : null;
}

/** Reads code and message from whichever Tiki envelope the body uses; falls back to the status. */
export function readTikiError(status: number, body: unknown): TikiErrorInfo {
  const b = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
  if (typeof b.error === "string") {
    return {
      code: b.error,
      message: str(b.error_description) ?? str(b.error_hint) ?? b.error,
      oauthError: b.error,
    };
  }
  if (b.error && typeof b.error === "object") {
    const e = b.error as Record<string, unknown>;
    return {
      code: str(e.message_code) ?? str(e.code) ?? `HTTP_${status}`,
      message: str(e.message) ?? `HTTP ${status}`,
      oauthError: null,
    };
  }
  if (Array.isArray(b.errors) && b.errors.length > 0) {
    const msgs = b.errors.map((e) =>
      typeof e === "string" ? e : (str((e as Record<string, unknown>)?.message) ?? JSON.stringify(e)),
    );
    return { code: str(b.message_code) ?? `HTTP_${status}`, message: msgs.join("; "), oauthError: null };
  }
  const message =
    str(b.message) ?? str(b.msg) ?? (typeof body === "string" && body ? body.slice(0, 200) : null);
  return {
    code: str(b.message_code) ?? `HTTP_${status}`,
    message: message ?? `HTTP ${status}`,
    oauthError: null,
  };
}

// OAuth2 (RFC 6749 §5.2) codes that mean the grant is gone: only the seller can fix it.
const REAUTH_OAUTH_ERRORS = new Set([
  "invalid_grant",
  "access_denied",
  "unauthorized_client",
  "invalid_scope",
]);

export function classifyTiki(res: HttpResponseView): Classification {
  const { status } = res;
  const body = res.body as Record<string, unknown> | null;
  // The gateway has been seen to wrap a failure in a 2xx; trust the envelope over the status.
  const wrapped = body && typeof body === "object" && body.success === false && body.error;
  if (status >= 200 && status < 300 && !wrapped) return { kind: "success" };

  const effective =
    wrapped && typeof body!.error === "object"
      ? Number((body!.error as Record<string, unknown>).status_code) || 400
      : status;
  const { code, message, oauthError } = readTikiError(effective, res.body);

  if (oauthError) {
    if (REAUTH_OAUTH_ERRORS.has(oauthError)) return { kind: "needs_reauth", code, message };
    if (oauthError === "temporarily_unavailable" || oauthError === "server_error")
      return { kind: "retry", code, message };
    return { kind: "fatal", code, message };
  }
  if (effective === 429) {
    return { kind: "rate_limited", code, message };
  }
  // An expired or unknown bearer token: refresh once. A revoked grant then fails the refresh
  // with invalid_grant, which is what moves the channel to NEEDS_REAUTH.
  if (effective === 401) return { kind: "refresh_token", code, message };
  if (effective === 408 || effective >= 500) return { kind: "retry", code, message };
  return { kind: "fatal", code, message };
}
