/**
 * Contract of the shared HTTP layer (axios). Each marketplace supplies two pure hooks:
 * `sign` (adds timestamp, token and signature to a request, called afresh before every attempt)
 * and `classify` (turns status + envelope into one of the outcomes below). The client does
 * timeouts, retries with jittered exponential backoff honouring Retry-After, the per-shop rate
 * budget, one token refresh on `refresh_token`, and redaction of secrets in errors and logs.
 */
import type { MarketplaceCode } from "../connector";

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE" | "PATCH";

/** A request as the connector describes it; `sign` mutates query/headers/body in place. */
export interface OutgoingRequest {
  method: HttpMethod;
  /** Path only, e.g. "/api/v2/product/update_stock"; never the host. */
  path: string;
  query: Record<string, string | number | boolean>;
  headers: Record<string, string>;
  /** JSON-serialisable body, or a multipart/raw body (Buffer / FormData) for uploads. */
  body?: unknown;
  /** Which credentials the call needs: none (public/auth endpoints) or the shop's access token. */
  auth: "app" | "shop";
  /** Short endpoint label for metrics and logs, e.g. "product.update_stock". */
  endpoint: string;
}

/** What `sign` gets to work with; tokens are absent for app-level calls. */
export interface SigningInput {
  appKey: string;
  appSecret: string;
  accessToken: string | null;
  shopId: string | null;
  /** ms since epoch, from the client's clock (tests move it). */
  now: number;
  extra?: Record<string, string>;
}

export type SignHook = (req: OutgoingRequest, input: SigningInput) => void;

export type Classification =
  | { kind: "success" }
  /** Transient: 5xx, timeouts, "system busy" envelopes. Retried with backoff. */
  | { kind: "retry"; code: string; message: string; retryAfterMs?: number }
  /** 429 or the marketplace's rate-limit code. Retried after the budget slows down; not an attempt burnt. */
  | { kind: "rate_limited"; code: string; message: string; retryAfterMs?: number }
  /** Access token expired/invalid: refresh once, then retry the call once. */
  | { kind: "refresh_token"; code: string; message: string }
  /** Authorization revoked or refresh refused: the seller must authorize again. */
  | { kind: "needs_reauth"; code: string; message: string }
  /** Anything a retry cannot fix (bad params, not found…). */
  | { kind: "fatal"; code: string; message: string };

export interface HttpResponseView {
  status: number;
  headers: Record<string, string | undefined>;
  /** Parsed JSON when the body was JSON, else the raw text. */
  body: unknown;
}

export type ClassifyHook = (res: HttpResponseView) => Classification;

export type ConnectorErrorKind = "retry" | "rate_limited" | "needs_reauth" | "fatal";

/** Thrown by the client when a call finally fails; message and fields are already redacted. */
export class ConnectorError extends Error {
  constructor(
    public readonly marketplace: MarketplaceCode,
    public readonly kind: ConnectorErrorKind,
    public readonly code: string,
    public readonly remoteMessage: string,
    public readonly endpoint: string,
    public readonly status: number | null = null,
  ) {
    super(`${marketplace} ${endpoint}: ${code}: ${remoteMessage}`);
    this.name = "ConnectorError";
  }
  get retriable(): boolean {
    return this.kind === "retry" || this.kind === "rate_limited";
  }
}

/** The seller has to authorize the hub again; the channel moves to NEEDS_REAUTH. */
export class NeedsReauthError extends ConnectorError {
  constructor(marketplace: MarketplaceCode, code: string, message: string, endpoint: string) {
    super(marketplace, "needs_reauth", code, message, endpoint);
    this.name = "NeedsReauthError";
  }
}
