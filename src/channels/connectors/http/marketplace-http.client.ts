/**
 * The one HTTP client every connector uses (axios underneath). A connector supplies two pure hooks,
 * `sign` and `classify`; the client does the rest the same way for all marketplaces: per-attempt
 * signing with a fresh timestamp, the shared per-shop rate budget, timeouts, retries with full-jitter
 * backoff honouring Retry-After, one token refresh, NEEDS_REAUTH marking, redacted errors and logs.
 */
import http from "node:http";
import https from "node:https";
import axios, { AxiosInstance } from "axios";
import { logger } from "../../../common/logger";
import { recordMarketplaceCall } from "../../../observability/registry";
import type { AppCredentials, ChannelContext, Credentials, MarketplaceCode, RatePolicy } from "../connector";
import { rateBudgetFor, rateBudgetKey, RateBudget } from "./rate-budget";
import { redactString, registerSecret } from "./redact";
import { backoffDelay, parseRetryAfter } from "./retry";
import {
  Classification,
  ClassifyHook,
  ConnectorError,
  HttpResponseView,
  NeedsReauthError,
  OutgoingRequest,
  SignHook,
  SigningInput,
} from "./types";

export interface MarketplaceHttpClientOptions {
  marketplace: MarketplaceCode;
  /** Adds timestamp, token and signature; called before EVERY attempt (fresh timestamp). */
  sign: SignHook;
  /** Status + envelope → outcome. The client adds: network errors/timeouts → retry, 429 → rate_limited. */
  classify: ClassifyHook;
  /** Documented per-shop budget; the shared RateBudget starts here and learns. */
  ratePolicy: RatePolicy;
  /** Per-attempt timeout, ms (default 10_000). */
  timeoutMs?: number;
  /** Attempts for 'retry' outcomes (default 5). Rate-limit answers do not burn attempts. */
  maxAttempts?: number;
  /** Longest total time spent waiting out rate-limit answers in one call, ms (default 120_000). */
  rateLimitWaitCapMs?: number;
  /** Rate-limit answers tolerated in one call (default 30), a cap that holds even with a fake clock. */
  maxRateLimited?: number;
  /** First backoff ceiling, ms (default 250); doubles per retry up to `backoffMaxMs` (default 15_000). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Refresh proactively when the stored access token expires within this many ms (default 60_000). */
  refreshSkewMs?: number;
  /**
   * Token refreshes one call may make before the shop is marked NEEDS_REAUTH (default 3). A refresh
   * that succeeds proves the authorization alive; a new token refused right after it (expired again,
   * say, while the retry waited for the rate budget) is worth another refresh, not a seller's visit.
   */
  maxRefreshesPerCall?: number;
  /** Default Date.now. */
  now?: () => number;
  /** Default setTimeout-based. */
  sleep?: (ms: number) => Promise<void>;
  /** Default Math.random (jitter). */
  random?: () => number;
}

/** Result of one call after retries: the last answer and how it was classified. */
interface Outcome {
  cls: Classification;
  res: HttpResponseView | null;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// Keep-alive matters: a 5,000-SKU push is hundreds of calls to one host.
const sharedAxios: AxiosInstance = axios.create({
  httpAgent: new http.Agent({ keepAlive: true, maxSockets: 32 }),
  httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 32 }),
  // We parse ourselves so a non-JSON error page stays readable text and a 4xx never throws.
  responseType: "text",
  transformResponse: [(data: unknown) => data],
  validateStatus: () => true,
  maxRedirects: 0,
});

/** Body ready for the wire: strings and plain objects become UTF-8 bytes exactly once. */
export function serialiseBody(req: OutgoingRequest): unknown {
  const body = req.body;
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") {
    setDefaultHeader(req.headers, "content-type", "application/json");
    return Buffer.from(body, "utf8");
  }
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) return body;
  if (typeof FormData !== "undefined" && body instanceof FormData) return body;
  if (body instanceof URLSearchParams) {
    setDefaultHeader(req.headers, "content-type", "application/x-www-form-urlencoded");
    return Buffer.from(body.toString(), "utf8");
  }
  setDefaultHeader(req.headers, "content-type", "application/json");
  return Buffer.from(JSON.stringify(body), "utf8");
}

function setDefaultHeader(headers: Record<string, string>, name: string, value: string): void {
  if (!Object.keys(headers).some((k) => k.toLowerCase() === name)) headers[name] = value;
}

/** Query string in the object's insertion order, RFC 3986 encoding (what signatures are computed over). */
export function buildUrl(baseUrl: string, req: OutgoingRequest): string {
  const pairs = Object.entries(req.query).map(
    ([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`,
  );
  const base = baseUrl.endsWith("/") ? baseUrl.slice(0, -1) : baseUrl;
  return base + req.path + (pairs.length ? (req.path.includes("?") ? "&" : "?") + pairs.join("&") : "");
}

/** A fresh copy per attempt: `sign` mutates query/headers/body and must start from the original. */
function cloneRequest(req: OutgoingRequest): OutgoingRequest {
  const body = req.body;
  const plain = body !== null && typeof body === "object" && Object.getPrototypeOf(body) === Object.prototype;
  return {
    ...req,
    query: { ...req.query },
    headers: { ...req.headers },
    body: plain || Array.isArray(body) ? structuredClone(body) : body,
  };
}

function parseBody(text: unknown): unknown {
  if (typeof text !== "string") return text;
  const t = text.trim();
  if (t.startsWith("{") || t.startsWith("[")) {
    try {
      return JSON.parse(t);
    } catch {
      return text;
    }
  }
  return text;
}

function headerView(headers: Record<string, unknown>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) {
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v == null ? undefined : String(v);
  }
  return out;
}

/** What goes on the wire for one attempt: a signed copy of `req`, its URL and serialised body. */
export interface WireRequest {
  method: OutgoingRequest["method"];
  url: string;
  headers: Record<string, string>;
  data: unknown;
}

/** The client's own per-attempt work before the network: copy, sign, serialise, build the URL. */
export function prepareRequest(
  baseUrl: string,
  original: OutgoingRequest,
  sign: SignHook,
  input: SigningInput,
): WireRequest {
  const req = cloneRequest(original);
  sign(req, input);
  const data = serialiseBody(req);
  return { method: req.method, url: buildUrl(baseUrl, req), headers: req.headers, data };
}

/**
 * The hook's verdict plus the client's own rules: a hook that cannot read the answer falls back on
 * the status, and a 429 the hook calls success or fatal is still a rate limit.
 */
export function classifyResponse(classify: ClassifyHook, res: HttpResponseView): Classification {
  let cls: Classification;
  try {
    cls = classify(res);
  } catch (e) {
    // An HTML error page from a gateway, say.
    const message = `unreadable response: ${(e as Error).message}`;
    if (res.status === 429) return { kind: "rate_limited", code: "HTTP_429", message };
    if (res.status >= 500) return { kind: "retry", code: `HTTP_${res.status}`, message };
    return { kind: "fatal", code: `HTTP_${res.status}`, message };
  }
  if (res.status === 429 && (cls.kind === "success" || cls.kind === "fatal")) {
    return {
      kind: "rate_limited",
      code: "HTTP_429",
      message: cls.kind === "fatal" ? cls.message : "too many requests",
    };
  }
  return cls;
}

export class MarketplaceHttpClient {
  private readonly marketplace: MarketplaceCode;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly rateLimitWaitCapMs: number;
  private readonly maxRateLimited: number;
  private readonly refreshSkewMs: number;
  private readonly maxRefreshesPerCall: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly opts: MarketplaceHttpClientOptions) {
    this.marketplace = opts.marketplace;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxAttempts = opts.maxAttempts ?? 5;
    this.rateLimitWaitCapMs = opts.rateLimitWaitCapMs ?? 120_000;
    this.maxRateLimited = opts.maxRateLimited ?? 30;
    this.refreshSkewMs = opts.refreshSkewMs ?? 60_000;
    this.maxRefreshesPerCall = opts.maxRefreshesPerCall ?? 3;
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? realSleep;
    this.random = opts.random ?? Math.random;
  }

  /**
   * Shop call: loads credentials from ctx.credentials, signs (auth "shop"), waits for the
   * (marketplace, shop) rate budget, sends to ctx.baseUrl + req.path, classifies; retries 'retry'
   * with backoff; on 'rate_limited' slows the budget and retries; on 'refresh_token' calls
   * `refresh()` (the connector's refreshToken(ctx)), reloads credentials and retries, up to
   * maxRefreshesPerCall times; a token still refused after that, a refused refresh, or
   * 'needs_reauth' marks the channel and throws NeedsReauthError.
   * Returns the parsed body.
   */
  async send<T = unknown>(
    ctx: ChannelContext,
    req: OutgoingRequest,
    refresh?: () => Promise<void>,
  ): Promise<T> {
    const clock = ctx.now ?? this.now;
    let creds = await this.loadCredentials(ctx);
    let refreshes = 0;
    const doRefresh = async () => {
      refreshes++;
      try {
        await refresh!();
      } catch (e) {
        if (e instanceof NeedsReauthError) {
          await ctx.credentials.markNeedsReauth(redactString(e.message));
        }
        throw e;
      }
      creds = await this.loadCredentials(ctx);
    };
    // Save a failed call when we already know the token is (nearly) dead.
    if (refresh && creds.accessExpiresAt != null && creds.accessExpiresAt <= clock() + this.refreshSkewMs) {
      await doRefresh();
    }
    const budgetKey = rateBudgetKey(this.marketplace, ctx.shopId ?? ctx.channelId);
    const budget = rateBudgetFor(budgetKey, this.opts.ratePolicy, this.now, {
      onChange: (c) =>
        logger.info(
          { budget: budgetKey, from: +c.from.toFixed(2), to: +c.to.toFixed(2), ceiling: c.ceiling },
          `rate budget ${c.reason}`,
        ),
    });
    for (;;) {
      const input = (): SigningInput => ({
        appKey: creds.appKey,
        appSecret: creds.appSecret,
        accessToken: creds.accessToken ?? null,
        shopId: ctx.shopId,
        now: clock(),
        extra: creds.extra,
      });
      const { cls, res } = await this.run(ctx.baseUrl, req, input, budget, [
        creds.appSecret,
        creds.accessToken ?? "",
        creds.refreshToken ?? "",
      ]);
      switch (cls.kind) {
        case "success":
          return res!.body as T;
        case "refresh_token":
          if (refresh && refreshes < this.maxRefreshesPerCall) {
            await doRefresh();
            continue;
          }
          if (!refresh)
            throw this.error("fatal", cls.code, `${cls.message} (no token refresh available)`, req, res);
          return this.needsReauth(
            ctx,
            cls.code,
            `${cls.message} (still refused after ${refreshes} token refresh${refreshes === 1 ? "" : "es"})`,
            req,
          );
        case "needs_reauth":
          return this.needsReauth(ctx, cls.code, cls.message, req);
        default:
          throw this.error(cls.kind, cls.code, cls.message, req, res);
      }
    }
  }

  /** App-level call without a shop token (auth code exchange, token refresh, public endpoints). */
  async sendApp<T = unknown>(
    baseUrl: string,
    app: AppCredentials,
    req: OutgoingRequest,
    extra?: Record<string, string>,
  ): Promise<T> {
    registerSecret(app.appSecret);
    const input = (): SigningInput => ({
      appKey: app.appKey,
      appSecret: app.appSecret,
      accessToken: null,
      shopId: null,
      now: this.now(),
      extra,
    });
    const { cls, res } = await this.run(baseUrl, req, input, null, [app.appSecret]);
    if (cls.kind === "success") {
      this.registerTokens(res!.body);
      return res!.body as T;
    }
    if (cls.kind === "needs_reauth" || cls.kind === "refresh_token") {
      throw new NeedsReauthError(this.marketplace, cls.code, redactString(cls.message), req.endpoint);
    }
    throw this.error(cls.kind, cls.code, cls.message, req, res);
  }

  private async loadCredentials(ctx: ChannelContext): Promise<Credentials> {
    const creds = await ctx.credentials.load();
    registerSecret(creds.appSecret);
    registerSecret(creds.accessToken);
    registerSecret(creds.refreshToken);
    return creds;
  }

  /** Tokens handed out by exchange/refresh answers are secrets from that moment on. */
  private registerTokens(body: unknown): void {
    if (body === null || typeof body !== "object") return;
    const visit = (o: Record<string, unknown>, depth: number) => {
      for (const [k, v] of Object.entries(o)) {
        if (typeof v === "string" && /token/i.test(k)) registerSecret(v);
        else if (v !== null && typeof v === "object" && depth < 3)
          visit(v as Record<string, unknown>, depth + 1);
      }
    };
    visit(body as Record<string, unknown>, 0);
  }

  private async needsReauth(
    ctx: ChannelContext,
    code: string,
    message: string,
    req: OutgoingRequest,
  ): Promise<never> {
    const safe = redactString(message);
    await ctx.credentials.markNeedsReauth(`${code}: ${safe}`);
    throw new NeedsReauthError(this.marketplace, code, safe, req.endpoint);
  }

  private error(
    kind: ConnectorError["kind"],
    code: string,
    message: string,
    req: OutgoingRequest,
    res: HttpResponseView | null,
  ): ConnectorError {
    return new ConnectorError(
      this.marketplace,
      kind,
      redactString(code),
      redactString(message),
      req.endpoint,
      res?.status ?? null,
    );
  }

  /** Retries transient failures and rate limits; returns on success or a non-retriable outcome. */
  private async run(
    baseUrl: string,
    req: OutgoingRequest,
    input: () => SigningInput,
    budget: RateBudget | null,
    secrets: string[],
  ): Promise<Outcome> {
    let attempts = 0;
    let rateLimited = 0;
    let firstLimitedAt: number | null = null;
    for (;;) {
      if (budget) {
        // A slot reserved before another call's rate-limit answer must still respect its pause.
        // Bounded, so an injected clock that never moves cannot spin here.
        let wait = budget.reserve();
        for (let tries = 0; wait > 0; tries++) {
          await this.sleep(wait);
          if (tries >= 2 || this.now() >= budget.pausedUntil) break;
          wait = budget.reserve();
        }
      }
      attempts++;
      const sentAt = this.now();
      const t0 = performance.now();
      const outcome = await this.attempt(baseUrl, req, input());
      recordMarketplaceCall(this.marketplace, req.endpoint, outcome.cls.kind, performance.now() - t0);
      const { cls } = outcome;
      if (cls.kind !== "rate_limited") budget?.noteAccepted(this.now());
      this.log(req, outcome, this.now() - sentAt, attempts, secrets);

      if (cls.kind === "rate_limited") {
        attempts--; // not an attempt burnt
        rateLimited++;
        firstLimitedAt ??= sentAt;
        const retryAfterMs =
          cls.retryAfterMs ?? parseRetryAfter(outcome.res?.headers["retry-after"], this.now());
        if (rateLimited > this.maxRateLimited || this.now() - firstLimitedAt > this.rateLimitWaitCapMs) {
          return outcome;
        }
        if (budget) budget.noteRateLimited(retryAfterMs);
        else await this.sleep(retryAfterMs ?? backoffDelay(rateLimited, this.backoff(), this.random));
        continue;
      }
      if (cls.kind === "retry") {
        if (attempts >= this.maxAttempts) return outcome;
        const retryAfterMs =
          cls.retryAfterMs ?? parseRetryAfter(outcome.res?.headers["retry-after"], this.now());
        const delay = Math.min(
          retryAfterMs ?? backoffDelay(attempts, this.backoff(), this.random),
          this.opts.backoffMaxMs ?? 60_000,
        );
        if (delay > 0) await this.sleep(delay);
        continue;
      }
      return outcome;
    }
  }

  private backoff() {
    return { baseMs: this.opts.backoffBaseMs, maxMs: this.opts.backoffMaxMs };
  }

  /** One signed request and its classification; network failures become 'retry'. */
  private async attempt(baseUrl: string, original: OutgoingRequest, input: SigningInput): Promise<Outcome> {
    const wire = prepareRequest(baseUrl, original, this.opts.sign, input);
    let res: HttpResponseView;
    try {
      const r = await sharedAxios.request({ ...wire, timeout: this.timeoutMs });
      res = {
        status: r.status,
        headers: headerView(r.headers as Record<string, unknown>),
        body: parseBody(r.data),
      };
    } catch (e) {
      const err = e as { code?: string; message?: string };
      const timedOut = err.code === "ECONNABORTED" || err.code === "ETIMEDOUT";
      return {
        cls: {
          kind: "retry",
          code: timedOut ? "TIMEOUT" : (err.code ?? "NETWORK_ERROR"),
          message: err.message ?? "",
        },
        res: null,
      };
    }
    return { cls: classifyResponse(this.opts.classify, res), res };
  }

  private log(req: OutgoingRequest, o: Outcome, ms: number, attempt: number, secrets: string[]): void {
    if (!logger.isLevelEnabled("debug")) return;
    const entry: Record<string, unknown> = {
      marketplace: this.marketplace,
      endpoint: req.endpoint,
      status: o.res?.status ?? null,
      outcome: o.cls.kind,
      ms,
      attempt,
    };
    if (o.cls.kind !== "success") {
      entry.code = redactString(o.cls.code, secrets);
      entry.message = redactString(o.cls.message, secrets);
    }
    logger.debug(entry, "marketplace call");
  }
}
