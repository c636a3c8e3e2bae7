/**
 * A local imitation of Tiki's Open API (api.tiki.vn) for tests, benchmarks and `npm start`: the
 * OAuth2 server under /sc/oauth2 (auth code, single-use rotating refresh tokens, revocation) and
 * the seller integration API under /integration (seller, warehouses, categories and attributes,
 * product requests and tracking, product list and detail, batch price/stock updates, orders).
 * Bearer tokens are checked like the gateway (401), limits answer Tiki's 400/422, the per-shop
 * rate limit answers 429. State lives in memory; order events are pushed to a target URL signed
 * `x-signature: sha1=HMAC_SHA1(client_secret, raw body)`.
 */
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { NormalizedOrderStatus } from "../../channels/connectors/connector";
import {
  NO_FAULTS,
  type MarketplaceSandbox,
  type SandboxCounters,
  type SandboxFaults,
  type SandboxOrderLineSpec,
  type SandboxShop,
  type SandboxSkuView,
} from "../sandbox";
import { ATTRIBUTES, CATEGORIES, attributeById } from "./tiki.catalog";

/** Limits the sandbox enforces; the connector's `limits` must stay inside them. */
export const TIKI_SANDBOX_LIMITS = {
  updateSkusPerCall: 50,
  orderPageMax: 50,
  productPageMax: 100,
  orderWindowDays: 30,
  variantsPerRequest: 100,
  accessTtlSeconds: 3600,
  authCodeTtlSeconds: 600,
  minPriceVnd: 1000,
  maxPriceVnd: 1_000_000_000,
  maxQuantity: 999_999,
};

const VN_OFFSET_MS = 7 * 3_600_000;
const fmt = (ms: number) =>
  new Date(Math.floor(ms / 1000) * 1000 + VN_OFFSET_MS).toISOString().slice(0, 19).replace("T", " ");
function parseVnTime(text: string | null): number | null {
  if (text === null) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) - VN_OFFSET_MS : Number.NaN;
}

interface App {
  appKey: string;
  appSecret: string;
}

interface Shop {
  shopId: string;
  appKey: string;
  name: string;
  warehouseId: number;
  revoked: boolean;
  lastShopOfApp?: boolean;
}

interface AccessToken {
  shopId: string;
  expiresAt: number;
}

interface Product {
  productId: number;
  superId: number;
  sku: string;
  originalSku: string;
  name: string;
  description: string;
  categoryId: number;
  optionName: string | null;
  attributes: Record<string, string | string[]>;
  images: string[];
  price: number;
  stock: number;
  active: number;
  createdAt: number;
  updatedAt: number;
}

interface ProductRequest {
  trackId: string;
  requestId: string;
  shopId: string;
  state: "approved" | "processing" | "awaiting_approve" | "rejected";
  productId: number | null;
  kind?: "create_product" | "update_product";
  /** Update requests: when the review ends (ms), what it applies, why it is rejected. */
  reviewUntil?: number;
  changes?: Partial<Pick<Product, "name" | "description" | "attributes" | "images">>;
  rejectReason?: string | null;
  reason?: string | null;
  /** Create requests under review (`createReviewMs`): what approval does. */
  approve?: () => void;
}

/** Default time an update request spends in review (fault knob `contentReviewMs`). */
export const TIKI_DEFAULT_CONTENT_REVIEW_MS = 3_000;

interface OrderLine {
  id: number;
  productId: number;
  superId: number;
  sku: string;
  originalSku: string;
  name: string;
  quantity: number;
  price: number;
}

interface SandboxOrder {
  id: number;
  code: string;
  shopId: string;
  status: string;
  createdAt: number;
  updatedAt: number;
  lines: OrderLine[];
}

interface TikiEventOut {
  id: string;
  sid: string;
  created_at: number;
  type: string;
  version: string;
  payload: Record<string, unknown>;
}

const TIKI_STATUS: Record<NormalizedOrderStatus, string> = {
  UNPAID: "waiting_payment",
  PENDING: "queueing",
  READY_TO_SHIP: "ready_to_ship",
  SHIPPED: "shipping",
  DELIVERED: "successful_delivery",
  COMPLETED: "complete",
  CANCELLED: "canceled",
  RETURNED: "returned",
};

class HttpError extends Error {
  constructor(
    public readonly status: number,
    public readonly body: unknown,
    public readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

/** The integration gateway's error envelope. */
function gatewayError(
  status: number,
  messageCode: string,
  message: string,
  headers: Record<string, string> = {},
) {
  return new HttpError(
    status,
    { success: false, error: { status_code: status, message, message_code: messageCode } },
    headers,
  );
}

/** The OAuth2 server's error body (RFC 6749 §5.2). */
function oauthError(status: number, error: string, description: string) {
  return new HttpError(status, { error, error_description: description, status_code: status });
}

function validationError(status: number, messageCode: string, errors: string[]) {
  return new HttpError(status, { message_code: messageCode, errors });
}

const token = (bytes = 24) => crypto.randomBytes(bytes).toString("base64url");

export class TikiSandbox implements MarketplaceSandbox {
  readonly code = "tiki" as const;
  private server: http.Server | null = null;
  private url = "";
  private faults: SandboxFaults = { ...NO_FAULTS };
  private counts: SandboxCounters = { calls: {}, rateLimited: 0, badSignature: 0 };

  private readonly apps = new Map<string, App>();
  private readonly shops = new Map<string, Shop>();
  private readonly accessTokens = new Map<string, AccessToken>();
  /** Refresh token → shop; a refresh token is removed when used (rotation). */
  private readonly refreshTokens = new Map<string, string>();
  private readonly authCodes = new Map<string, { shopId: string; expiresAt: number }>();
  private readonly products = new Map<string, Map<number, Product>>();
  private readonly requests = new Map<string, ProductRequest>();
  private readonly orders = new Map<string, SandboxOrder[]>();
  private readonly rateWindows = new Map<string, { second: number; count: number }>();

  private nextProductId = 270_000_001;
  private nextOrderId = 126_000_001;
  private nextLineId = 213_000_001;
  private nextSellerId = 145_001;
  private nextWarehouseId = 387_001;

  private webhookTarget: string | null = null;
  private outbox: TikiEventOut[] = [];
  private outboxScheduled = false;
  private sending: Promise<void> = Promise.resolve();

  get baseUrl(): string {
    return this.url;
  }

  async start(port = 0): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    const s = this.server;
    this.server = null;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  // ---------- MarketplaceSandbox: shops and auth ----------

  createShop(opts: { shopId?: string; appKey?: string; appSecret?: string } = {}): SandboxShop {
    const appKey = opts.appKey ?? token(8);
    const existing = this.apps.get(appKey);
    const app = existing ?? { appKey, appSecret: opts.appSecret ?? token(24) };
    if (existing && opts.appSecret && opts.appSecret !== existing.appSecret) {
      throw new Error(`app ${appKey} already exists with another secret`);
    }
    this.apps.set(appKey, app);
    const shopId = opts.shopId ?? String(this.nextSellerId++);
    if (this.shops.has(shopId)) throw new Error(`shop ${shopId} already exists`);
    this.shops.set(shopId, {
      shopId,
      appKey,
      name: `Cửa hàng OCOP ${shopId}`,
      warehouseId: this.nextWarehouseId++,
      revoked: false,
    });
    this.products.set(shopId, new Map());
    this.orders.set(shopId, []);
    const t = this.issueTokens(shopId);
    return { shopId, appKey, appSecret: app.appSecret, ...t };
  }

  issueAuthCode(shopId: string): string {
    const shop = this.shopOrThrow(shopId);
    shop.revoked = false;
    const code = token(32);
    this.authCodes.set(code, {
      shopId,
      expiresAt: Date.now() + TIKI_SANDBOX_LIMITS.authCodeTtlSeconds * 1000,
    });
    return code;
  }

  expireAccessToken(shopId: string): void {
    for (const t of this.accessTokens.values()) if (t.shopId === shopId) t.expiresAt = Date.now() - 1;
  }

  revokeAuthorization(shopId: string): void {
    this.shopOrThrow(shopId).revoked = true;
    for (const [k, t] of this.accessTokens) if (t.shopId === shopId) this.accessTokens.delete(k);
    for (const [k, s] of this.refreshTokens) if (s === shopId) this.refreshTokens.delete(k);
  }

  /** Warehouse the shop's stock lives in (tests put it in credentials.extra). */
  warehouseOf(shopId: string): string {
    return String(this.shopOrThrow(shopId).warehouseId);
  }

  setFaults(faults: Partial<SandboxFaults>): void {
    this.faults = { ...this.faults, ...faults };
  }

  counters(): SandboxCounters {
    return {
      calls: { ...this.counts.calls },
      rateLimited: this.counts.rateLimited,
      badSignature: this.counts.badSignature,
    };
  }

  resetCounters(): void {
    this.counts = { calls: {}, rateLimited: 0, badSignature: 0 };
  }

  // ---------- MarketplaceSandbox: catalogue state ----------

  seedListing(
    shopId: string,
    listing: {
      title: string;
      categoryId?: string;
      variants: Array<{ sku: string; priceVnd: number; stock: number }>;
    },
  ): { externalItemId: string } {
    const catalog = this.catalogOf(shopId);
    const superId = listing.variants.length > 1 ? this.nextProductId++ : 0;
    const now = Date.now();
    let first = 0;
    for (const v of listing.variants) {
      const productId = this.nextProductId++;
      first ||= productId;
      catalog.set(productId, {
        productId,
        superId,
        sku: this.tikiSku(productId),
        originalSku: v.sku,
        name: listing.title,
        description: "",
        categoryId: Number(listing.categoryId ?? 8273),
        optionName: null,
        attributes: {},
        images: [],
        price: v.priceVnd,
        stock: v.stock,
        active: 1,
        createdAt: now,
        updatedAt: now,
      });
    }
    return { externalItemId: String(superId || first) };
  }

  skuView(shopId: string, sku: string): SandboxSkuView | null {
    this.settleReviews();
    const p = [...this.catalogOf(shopId).values()].find((x) => x.originalSku === sku);
    return p ? this.view(p) : null;
  }

  allSkus(shopId: string): SandboxSkuView[] {
    this.settleReviews();
    return [...this.catalogOf(shopId).values()].map((p) => this.view(p));
  }

  // ---------- MarketplaceSandbox: orders and webhooks ----------

  createOrder(
    shopId: string,
    lines: SandboxOrderLineSpec[],
    opts: { at?: number } = {},
  ): { externalOrderId: string } {
    const catalog = this.catalogOf(shopId);
    const resolved = lines.map((l) => {
      const p = [...catalog.values()].find((x) => x.originalSku === l.sku);
      if (!p) throw new Error(`tiki sandbox: no product with original_sku ${l.sku} in shop ${shopId}`);
      if (p.stock < l.quantity)
        throw new Error(`tiki sandbox: ${l.sku} has ${p.stock} in stock, order wants ${l.quantity}`);
      return { p, l };
    });
    const at = opts.at ?? Date.now();
    const order: SandboxOrder = {
      id: this.nextOrderId,
      code: String(800_000_000 + this.nextOrderId++),
      shopId,
      status: "queueing",
      createdAt: at,
      updatedAt: at,
      lines: resolved.map(({ p, l }) => {
        p.stock -= l.quantity;
        p.updatedAt = Date.now();
        return {
          id: this.nextLineId++,
          productId: p.productId,
          superId: p.superId,
          sku: p.sku,
          originalSku: p.originalSku,
          name: p.name,
          quantity: l.quantity,
          price: l.unitPriceVnd ?? p.price,
        };
      }),
    };
    this.orders.get(shopId)!.push(order);
    this.emit(shopId, "ORDER_CREATED_SUCCESSFULLY", { order_code: order.code, status: order.status }, at);
    return { externalOrderId: order.code };
  }

  setOrderStatus(shopId: string, externalOrderId: string, status: NormalizedOrderStatus): void {
    const order = this.orders.get(shopId)?.find((o) => o.code === externalOrderId);
    if (!order) throw new Error(`tiki sandbox: no order ${externalOrderId} in shop ${shopId}`);
    const next = TIKI_STATUS[status];
    if (next === "canceled" && order.status !== "canceled") {
      const catalog = this.catalogOf(shopId);
      for (const l of order.lines) {
        const p = catalog.get(l.productId);
        if (p) p.stock += l.quantity;
      }
    }
    order.status = next;
    order.updatedAt = Math.max(Date.now(), order.updatedAt + 1000);
    this.emit(shopId, "ORDER_STATUS_UPDATED", { order_code: order.code, status: next }, order.updatedAt);
  }

  setWebhookTarget(url: string | null): void {
    this.webhookTarget = url;
  }

  async flushWebhooks(): Promise<void> {
    this.dispatchOutbox();
    await this.sending;
  }

  // ---------- internals: tokens, state ----------

  private issueTokens(shopId: string) {
    const accessToken = token(32);
    const refreshToken = token(32);
    const accessExpiresAt = Date.now() + TIKI_SANDBOX_LIMITS.accessTtlSeconds * 1000;
    this.accessTokens.set(accessToken, { shopId, expiresAt: accessExpiresAt });
    this.refreshTokens.set(refreshToken, shopId);
    return { accessToken, refreshToken, accessExpiresAt };
  }

  private shopOrThrow(shopId: string): Shop {
    const s = this.shops.get(shopId);
    if (!s) throw new Error(`tiki sandbox: unknown shop ${shopId}`);
    return s;
  }

  private catalogOf(shopId: string): Map<number, Product> {
    this.shopOrThrow(shopId);
    return this.products.get(shopId)!;
  }

  private tikiSku(productId: number): string {
    return String(9_000_000_000_000 + productId * 7);
  }

  private view(p: Product): SandboxSkuView {
    return {
      sku: p.originalSku,
      externalItemId: String(p.superId || p.productId),
      externalSkuId: String(p.productId),
      title: p.name,
      priceVnd: p.price,
      stock: p.stock,
      attributes: { ...p.attributes },
      images: [...p.images],
      description: p.description,
      active: p.active === 1,
    };
  }

  private emit(shopId: string, type: string, payload: Record<string, unknown>, at: number): void {
    this.outbox.push({ id: crypto.randomUUID(), sid: shopId, created_at: at, type, version: "v1", payload });
    if (!this.outboxScheduled) {
      this.outboxScheduled = true;
      setImmediate(() => this.dispatchOutbox());
    }
  }

  /** Sends what is queued as one batch (duplicated / shuffled per the knobs), after earlier batches. */
  private dispatchOutbox(): void {
    this.outboxScheduled = false;
    const batch = this.outbox;
    this.outbox = [];
    const target = this.webhookTarget;
    if (!target || batch.length === 0) return;
    const copies = batch.flatMap((e) =>
      Array.from({ length: Math.max(1, this.faults.webhookDuplicates) }, () => e),
    );
    if (this.faults.webhookShuffle) {
      for (let i = copies.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [copies[i], copies[j]] = [copies[j], copies[i]];
      }
    }
    // Each event is its own request, in parallel: one slow answer must not hold back the rest.
    const run = Promise.all(
      copies.map(async (e) => {
        const app = this.apps.get(this.shops.get(e.sid)!.appKey)!;
        const body = JSON.stringify(e);
        const signature = `sha1=${crypto.createHmac("sha1", app.appSecret).update(body).digest("hex")}`;
        try {
          await fetch(target, {
            method: "POST",
            headers: { "content-type": "application/json", "x-signature": signature },
            body,
            signal: AbortSignal.timeout(5000),
          });
        } catch {
          // The receiver being down loses nothing on Tiki's side: events stay in the pull queue.
        }
      }),
    );
    this.sending = Promise.all([this.sending, run]).then(() => undefined);
  }

  // ---------- HTTP ----------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://sandbox");
    const path = url.pathname;
    this.counts.calls[path] = (this.counts.calls[path] ?? 0) + 1;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    try {
      if (this.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, this.faults.latencyMs));
      if (this.faults.timeoutRate > 0 && Math.random() < this.faults.timeoutRate) return; // hang until close()
      const out = await this.route(req.method ?? "GET", path, url.searchParams, raw, req.headers);
      if (out.redirect) {
        res.writeHead(302, { location: out.redirect }).end();
        return;
      }
      this.send(res, out.status ?? 200, out.body);
    } catch (e) {
      if (e instanceof HttpError) this.send(res, e.status, e.body, e.headers);
      else
        this.send(res, 500, {
          success: false,
          error: { status_code: 500, message: String(e), message_code: "INTERNAL_ERROR" },
        });
    }
  }

  private send(
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers }).end(text);
  }

  /** Faults that hit any call, in the order a gateway meets them. */
  private gate(rateKey: string): void {
    if (this.faults.burst429 > 0) {
      this.faults.burst429--;
      this.counts.rateLimited++;
      throw gatewayError(429, "TOO_MANY_REQUESTS", "Too Many Requests", { "retry-after": "1" });
    }
    if (this.faults.rateLimitPerSecond > 0) {
      const second = Math.floor(Date.now() / 1000);
      const w = this.rateWindows.get(rateKey);
      if (!w || w.second !== second) this.rateWindows.set(rateKey, { second, count: 1 });
      else if (++w.count > this.faults.rateLimitPerSecond) {
        this.counts.rateLimited++;
        throw gatewayError(429, "TOO_MANY_REQUESTS", "Too Many Requests", { "retry-after": "1" });
      }
    }
    if (this.faults.errorRate > 0 && Math.random() < this.faults.errorRate) {
      throw gatewayError(503, "SERVICE_UNAVAILABLE", "Service Unavailable");
    }
  }

  private silentNoop(): boolean {
    return this.faults.silentNoopRate > 0 && Math.random() < this.faults.silentNoopRate;
  }

  private async route(
    method: string,
    path: string,
    q: URLSearchParams,
    raw: string,
    headers: http.IncomingHttpHeaders,
  ): Promise<{ status?: number; body?: unknown; redirect?: string }> {
    if (path === "/sc/oauth2/auth" && method === "GET") return { redirect: this.authorize(q) };
    if (path === "/sc/oauth2/token" && method === "POST") return { body: this.tokenEndpoint(raw, headers) };

    if (!path.startsWith("/integration/")) throw gatewayError(404, "NOT_FOUND", "Not Found");
    const shop = this.authenticate(headers.authorization);
    this.gate(`shop:${shop.shopId}`);
    this.settleReviews();
    const json = () => {
      try {
        return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        throw validationError(400, "INVALID_JSON", ["Request body is not valid JSON"]);
      }
    };
    let m: RegExpExecArray | null;
    const key = `${method} ${path}`;
    if (key === "GET /integration/v2/sellers/me") {
      return {
        body: {
          id: Number(shop.shopId),
          name: shop.name,
          active: 1,
          operation_models: ["dropship"],
          can_update_product: 1,
          registration_status: "completed",
        },
      };
    }
    if (key === "GET /integration/v2/sellers/me/warehouses") {
      return {
        body: {
          data: [
            {
              id: shop.warehouseId,
              seller_id: Number(shop.shopId),
              is_primary: true,
              name: "Kho chính",
              status: 1,
              type: "requisition",
            },
          ],
        },
      };
    }
    if (key === "GET /integration/v2/categories") return { body: this.categories(q) };
    if (method === "GET" && (m = /^\/integration\/v2\/categories\/(\d+)\/attributes$/.exec(path))) {
      const attrs = ATTRIBUTES[Number(m[1])];
      if (!attrs) throw gatewayError(404, "CATEGORY_NOT_FOUND", `Category ${m[1]} not found or not primary`);
      return { body: { data: attrs.map(({ values: _v, ...a }) => a) } };
    }
    if (method === "GET" && (m = /^\/integration\/v2\/attributes\/(\d+)\/values$/.exec(path))) {
      const a = attributeById(Number(m[1]));
      if (!a) throw gatewayError(404, "ATTRIBUTE_NOT_FOUND", `Attribute ${m[1]} not found`);
      return { body: { data: (a.values ?? []).map((v, i) => ({ id: a.id * 100 + i, value: v })) } };
    }
    if (key === "POST /integration/v2.1/requests") return { body: this.createRequest(shop, json()) };
    if (method === "GET" && (m = /^\/integration\/v2\/tracking\/([\w-]+)$/.exec(path))) {
      const r = this.requests.get(m[1]);
      if (!r || r.shopId !== shop.shopId)
        throw gatewayError(404, "REQUEST_NOT_FOUND", `Track id ${m[1]} not found`);
      return {
        body: {
          track_id: r.trackId,
          request_id: r.requestId,
          state: r.state,
          reason: r.reason ?? null,
          product_id: r.productId,
        },
      };
    }
    if (key === "GET /integration/v2.1/products") return { body: this.listProducts(shop, q) };
    if (key === "GET /integration/v2.1/products/findBy") {
      const sku = q.get("original_sku");
      const p = [...this.catalogOf(shop.shopId).values()].find((x) => x.originalSku === sku);
      if (!p) throw gatewayError(404, "PRODUCT_NOT_FOUND", `Product with original_sku ${sku} not found`);
      return { body: this.productJson(p, shop) };
    }
    if (key === "PUT /integration/v2.1/products/updateSkus") return { body: this.updateSkus(shop, json()) };
    if (
      key === "PUT /integration/v2.1/products/updateSku" ||
      key === "PUT /integration/v2/products/updateSku"
    )
      return { body: this.updateSku(shop, json()) };
    if (
      key === "POST /integration/v2/requests/updateProductInfo" ||
      key === "POST /integration/v2.1/requests/updateProductInfo"
    )
      return { body: this.updateProductInfo(shop, json()) };
    if (method === "GET" && (m = /^\/integration\/v2\.1\/products\/(\d+)$/.exec(path))) {
      const p = this.catalogOf(shop.shopId).get(Number(m[1]));
      if (!p) throw gatewayError(404, "PRODUCT_NOT_FOUND", `Product ${m[1]} not found`);
      return { body: this.productJson(p, shop) };
    }
    if (key === "GET /integration/v2/orders") return { body: this.listOrders(shop, q) };
    if (method === "GET" && (m = /^\/integration\/v2\/orders\/(\d+)$/.exec(path))) {
      const o = this.orders.get(shop.shopId)!.find((x) => x.code === m![1]);
      if (!o) throw gatewayError(404, "ORDER_NOT_FOUND", `Order ${m[1]} not found`);
      return { body: this.orderJson(o) };
    }
    throw gatewayError(404, "NOT_FOUND", `No route for ${method} ${path}`);
  }

  // ---------- OAuth2 ----------

  private authorize(q: URLSearchParams): string {
    const app = this.apps.get(q.get("client_id") ?? "");
    const redirect = q.get("redirect_uri");
    if (!app || !redirect)
      throw oauthError(400, "invalid_request", "unknown client_id or missing redirect_uri");
    const state = q.get("state") ?? "";
    if (state.length < 8) throw oauthError(400, "invalid_state", "state must be at least 8 characters");
    // The sandbox has no login page: the newest shop of this app "clicks authorize".
    const shop = [...this.shops.values()].filter((s) => s.appKey === app.appKey).pop();
    if (!shop) throw oauthError(400, "access_denied", "no seller for this app");
    const u = new URL(redirect);
    u.searchParams.set("code", this.issueAuthCode(shop.shopId));
    u.searchParams.set("scope", q.get("scope") ?? "");
    u.searchParams.set("state", state);
    return u.toString();
  }

  private tokenEndpoint(raw: string, headers: http.IncomingHttpHeaders): Record<string, unknown> {
    const form = new URLSearchParams(raw);
    let clientId = form.get("client_id");
    let clientSecret = form.get("client_secret");
    const basic = /^Basic (.+)$/i.exec(headers.authorization ?? "");
    if (basic) {
      const decoded = Buffer.from(basic[1], "base64").toString("utf8");
      const i = decoded.indexOf(":");
      clientId = decoded.slice(0, i);
      clientSecret = decoded.slice(i + 1);
    }
    const app = clientId ? this.apps.get(clientId) : undefined;
    if (!app || clientSecret !== app.appSecret) {
      this.counts.badSignature++;
      throw oauthError(
        401,
        "invalid_client",
        "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method).",
      );
    }
    this.gate(`app:${app.appKey}`);
    const grant = form.get("grant_type");
    let shopId: string;
    if (grant === "authorization_code") {
      const code = form.get("code") ?? "";
      const entry = this.authCodes.get(code);
      this.authCodes.delete(code);
      if (!entry || entry.expiresAt < Date.now() || this.shops.get(entry.shopId)?.appKey !== app.appKey) {
        throw oauthError(
          400,
          "invalid_grant",
          "The provided authorization grant is invalid, expired, revoked or was issued to another client.",
        );
      }
      shopId = entry.shopId;
    } else if (grant === "refresh_token") {
      const rt = form.get("refresh_token") ?? "";
      const owner = this.refreshTokens.get(rt);
      // Rotation: a refresh token works once; the old one is gone afterwards.
      this.refreshTokens.delete(rt);
      if (!owner || this.shops.get(owner)?.appKey !== app.appKey || this.shops.get(owner)!.revoked) {
        throw oauthError(
          400,
          "invalid_grant",
          "The refresh token is invalid, expired, revoked or was already used.",
        );
      }
      shopId = owner;
    } else {
      throw oauthError(
        400,
        "unsupported_grant_type",
        `grant_type ${grant ?? "(none)"} is not supported by this sandbox`,
      );
    }
    const t = this.issueTokens(shopId);
    return {
      access_token: t.accessToken,
      expires_in: TIKI_SANDBOX_LIMITS.accessTtlSeconds,
      refresh_token: t.refreshToken,
      scope: "offline product order inventory",
      token_type: "bearer",
    };
  }

  private authenticate(header: string | undefined): Shop {
    const m = /^Bearer (.+)$/i.exec(header ?? "");
    const t = m ? this.accessTokens.get(m[1]) : undefined;
    if (!t) {
      this.counts.badSignature++;
      throw gatewayError(401, "INVALID_TOKEN", "Unauthorized");
    }
    if (t.expiresAt <= Date.now()) throw gatewayError(401, "TOKEN_EXPIRED", "Token is expired");
    const shop = this.shops.get(t.shopId)!;
    if (shop.revoked) throw gatewayError(401, "INVALID_TOKEN", "Unauthorized");
    return shop;
  }

  // ---------- catalogue ----------

  private categories(q: URLSearchParams): unknown {
    const parent = q.get("parent");
    const name = q.get("name");
    const list = CATEGORIES.filter((c) =>
      name
        ? c.name.toLowerCase().includes(name.toLowerCase())
        : parent
          ? c.parent === Number(parent)
          : c.parent === null,
    );
    return { data: list };
  }

  private createRequest(shop: Shop, body: Record<string, unknown>): unknown {
    const errors: string[] = [];
    const categoryId = Number(body.category_id);
    const category = CATEGORIES.find((c) => c.id === categoryId);
    if (!category) errors.push(`category_id: category ${String(body.category_id)} does not exist`);
    else if (!category.primary) errors.push(`category_id: category ${categoryId} is not a primary category`);
    const name = typeof body.name === "string" ? body.name : "";
    if (!name.trim() || name.length > 255) errors.push("name: required, at most 255 characters");
    const attrs = (body.attributes ?? {}) as Record<string, string>;
    for (const a of ATTRIBUTES[categoryId] ?? []) {
      const v = attrs[a.code];
      if (a.is_required && (v === undefined || v === ""))
        errors.push(`attributes.${a.code}: ${a.display_name} is required`);
      if (v !== undefined && a.values) {
        const picked = a.input_type === "multiselect" ? String(v).split(",") : [String(v)];
        for (const p of picked)
          if (!a.values.includes(p)) errors.push(`attributes.${a.code}: "${p}" is not a valid value`);
      }
    }
    const variants = Array.isArray(body.variants) ? (body.variants as Array<Record<string, unknown>>) : [];
    if (variants.length === 0) errors.push("variants: at least one variant is required");
    if (variants.length > TIKI_SANDBOX_LIMITS.variantsPerRequest) {
      errors.push(`variants: at most ${TIKI_SANDBOX_LIMITS.variantsPerRequest} variants per product`);
    }
    const optionAttributes = Array.isArray(body.option_attributes) ? body.option_attributes : [];
    if (variants.length > 1 && optionAttributes.length === 0)
      errors.push("option_attributes: required when there are several variants");
    const catalog = this.catalogOf(shop.shopId);
    const seen = new Set<string>();
    variants.forEach((v, i) => {
      const sku = typeof v.sku === "string" ? v.sku : "";
      if (!sku) errors.push(`variants.${i}.sku: required`);
      else if (seen.has(sku) || [...catalog.values()].some((p) => p.originalSku === sku)) {
        errors.push(`variants.${i}.sku: "${sku}" already exists`);
      }
      seen.add(sku);
      const priceErr = this.priceError(v.price);
      if (priceErr) errors.push(`variants.${i}.price: ${priceErr}`);
      if (variants.length > 1 && typeof v.option1 !== "string")
        errors.push(`variants.${i}.option1: required`);
    });
    if (errors.length > 0) throw validationError(400, "INVALID_PRODUCT_REQUEST", errors);

    const trackId = crypto.randomBytes(16).toString("hex");
    const request: ProductRequest = {
      trackId,
      requestId: String(1_154_523_837_593_192_000n + BigInt(this.requests.size + 1)),
      shopId: shop.shopId,
      state: "processing",
      productId: null,
      kind: "create_product",
    };
    this.requests.set(trackId, request);
    if (this.silentNoop()) return { track_id: trackId, request_id: request.requestId, state: "queuing" };
    // On Tiki a new product waits for a review; here it is approved at once unless `createReviewMs`.
    const reviewMs = this.faults.createReviewMs ?? 0;
    if (reviewMs > 0) {
      request.state = "awaiting_approve";
      request.reviewUntil = Date.now() + reviewMs;
      request.approve = () => this.createProducts(shop, request, body, name, categoryId, attrs, variants);
    } else this.createProducts(shop, request, body, name, categoryId, attrs, variants);
    return { track_id: trackId, request_id: request.requestId, state: "queuing" };
  }

  private createProducts(
    shop: Shop,
    request: ProductRequest,
    body: Record<string, unknown>,
    name: string,
    categoryId: number,
    attrs: Record<string, string>,
    variants: Array<Record<string, unknown>>,
  ): void {
    const catalog = this.catalogOf(shop.shopId);
    const superId = variants.length > 1 ? this.nextProductId++ : 0;
    const now = Date.now();
    let first = 0;
    for (const v of variants) {
      const productId = this.nextProductId++;
      first ||= productId;
      const stocks = Array.isArray(v.warehouse_stocks)
        ? (v.warehouse_stocks as Array<Record<string, unknown>>)
        : [];
      catalog.set(productId, {
        productId,
        superId,
        sku: this.tikiSku(productId),
        originalSku: String(v.sku),
        name,
        description: typeof body.description === "string" ? body.description : "",
        categoryId,
        optionName: typeof v.option1 === "string" ? v.option1 : null,
        attributes: { ...attrs },
        images: [body.image, ...(Array.isArray(body.images) ? body.images : [])].filter(
          (x): x is string => typeof x === "string",
        ),
        price: Number(v.price),
        stock: stocks
          .filter((s) => Number(s.warehouseId) === shop.warehouseId)
          .reduce((n, s) => n + Number(s.qtyAvailable), 0),
        active: 1,
        createdAt: now,
        updatedAt: now,
      });
    }
    request.state = "approved";
    request.productId = superId || first;
  }

  private priceError(price: unknown): string | null {
    if (typeof price !== "number" || !Number.isInteger(price)) return "must be a whole number of đồng";
    if (price < TIKI_SANDBOX_LIMITS.minPriceVnd || price > TIKI_SANDBOX_LIMITS.maxPriceVnd) {
      return `must be between ${TIKI_SANDBOX_LIMITS.minPriceVnd} and ${TIKI_SANDBOX_LIMITS.maxPriceVnd}`;
    }
    return null;
  }

  private productJson(p: Product, shop: Shop): Record<string, unknown> {
    return {
      product_id: p.productId,
      super_id: p.superId,
      sku: p.sku,
      original_sku: p.originalSku,
      name: p.name,
      description: p.description,
      price: p.price,
      market_price: p.price,
      active: p.active,
      type: "simple",
      entity_type: "seller_simple",
      created_at: fmt(p.createdAt),
      updated_at: fmt(p.updatedAt),
      inventory: { warehouse_stocks: [{ warehouse_id: shop.warehouseId, quantity_sellable: p.stock }] },
    };
  }

  private paging(total: number, page: number, limit: number) {
    const from = total === 0 ? null : (page - 1) * limit + 1;
    const to = total === 0 ? null : Math.min(total, page * limit);
    return {
      total,
      current_page: page,
      from,
      to,
      per_page: limit,
      last_page: Math.max(1, Math.ceil(total / limit)),
    };
  }

  private pageParams(q: URLSearchParams, max: number, def: number): { page: number; limit: number } {
    const page = q.has("page") ? Number(q.get("page")) : 1;
    const limit = q.has("limit") ? Number(q.get("limit")) : def;
    if (!Number.isInteger(page) || page < 1)
      throw validationError(400, "INVALID_PAGE", ["page must be an integer ≥ 1"]);
    if (!Number.isInteger(limit) || limit < 1 || limit > max) {
      throw validationError(400, "INVALID_LIMIT", [`limit must be an integer from 1 to ${max}`]);
    }
    return { page, limit };
  }

  private listProducts(shop: Shop, q: URLSearchParams): unknown {
    const { page, limit } = this.pageParams(q, TIKI_SANDBOX_LIMITS.productPageMax, 20);
    const all = [...this.catalogOf(shop.shopId).values()].sort((a, b) => b.productId - a.productId);
    const slice = all.slice((page - 1) * limit, page * limit);
    return {
      data: slice.map((p) => this.productJson(p, shop)),
      paging: this.paging(all.length, page, limit),
    };
  }

  private updateSkus(shop: Shop, body: Record<string, unknown>): unknown {
    const data = body.data;
    if (!Array.isArray(data) || data.length === 0)
      throw validationError(422, "INVALID_DATA", ["data: must be a non-empty list"]);
    if (data.length > TIKI_SANDBOX_LIMITS.updateSkusPerCall) {
      throw validationError(422, "BATCH_SIZE_EXCEEDED", [
        `data: at most ${TIKI_SANDBOX_LIMITS.updateSkusPerCall} products per request, got ${data.length}`,
      ]);
    }
    const noop = this.silentNoop();
    const results = (data as Array<Record<string, unknown>>).map((item) => this.applySku(shop, item, noop));
    return { data: results };
  }

  /**
   * One SKU of updateSku/updateSkus: price, warehouse quantity and the active flag (`active` 1|0, or
   * the batch call's `status` 1 = active). A product is only (de)activated when one of them is sent.
   */
  private applySku(shop: Shop, item: Record<string, unknown>, noop: boolean): Record<string, unknown> {
    const catalog = this.catalogOf(shop.shopId);
    {
      const ref = {
        product_id: (item.product_id as number) ?? null,
        original_sku: (item.original_sku as string) ?? null,
      };
      const fail = (code: string, message: string) => ({
        ...ref,
        success: false,
        message_code: code,
        errors: [message],
      });
      const p =
        item.product_id !== undefined
          ? catalog.get(Number(item.product_id))
          : [...catalog.values()].find((x) => x.originalSku === item.original_sku);
      if (!p || (item.original_sku !== undefined && p.originalSku !== item.original_sku)) {
        return fail(
          "PRODUCT_NOT_FOUND",
          `Không tìm thấy sản phẩm / product not found: ${ref.original_sku ?? ref.product_id}`,
        );
      }
      if (item.price !== undefined) {
        const err = this.priceError(item.price);
        if (err) return fail("INVALID_PRICE", `price ${String(item.price)}: ${err}`);
      }
      let qty: number | undefined;
      if (item.warehouse_quantities !== undefined) {
        const wq = item.warehouse_quantities as Array<Record<string, unknown>>;
        const mine = Array.isArray(wq)
          ? wq.find((w) => Number(w.warehouse_id) === shop.warehouseId)
          : undefined;
        if (!mine || wq.length !== 1)
          return fail("INVALID_WAREHOUSE", "warehouse_quantities: unknown seller warehouse");
        const n = mine.qty_available;
        if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > TIKI_SANDBOX_LIMITS.maxQuantity) {
          return fail(
            "INVALID_QUANTITY",
            `qty_available ${String(n)} must be an integer from 0 to ${TIKI_SANDBOX_LIMITS.maxQuantity}`,
          );
        }
        qty = n;
      }
      if (item.active !== undefined && item.active !== 0 && item.active !== 1)
        return fail("INVALID_ACTIVE", `active ${String(item.active)} must be 0 or 1`);
      if (!noop) {
        if (item.price !== undefined) p.price = item.price as number;
        if (qty !== undefined) p.stock = qty;
        if (item.status !== undefined) p.active = item.status === 1 ? 1 : 0;
        if (item.active !== undefined) p.active = item.active as number;
        p.updatedAt = Date.now();
      }
      return { product_id: p.productId, original_sku: p.originalSku, success: true };
    }
  }

  /** PUT updateSku: one product, applied at once (Tiki auto-approves it) → {state, errors}. */
  private updateSku(shop: Shop, body: Record<string, unknown>): unknown {
    if (body.product_id === undefined && body.original_sku === undefined)
      throw validationError(400, "INVALID_DATA", ["product_id or original_sku is required"]);
    const r = this.applySku(shop, body, this.silentNoop());
    if (r.success !== true) {
      const code = String(r.message_code);
      if (code === "PRODUCT_NOT_FOUND") throw gatewayError(404, code, (r.errors as string[]).join("; "));
      throw validationError(422, code, r.errors as string[]);
    }
    return {
      state: "approved",
      errors: [],
      meta: { product_id: r.product_id, original_sku: r.original_sku },
    };
  }

  /**
   * POST requests/updateProductInfo: a reviewed content edit of a live product (name, description,
   * attributes, images). The product keeps its old content until the review ends
   * (`contentReviewMs`); then the request is approved and applied, or rejected with a reason when
   * the content is invalid. Malformed calls (no such product) are refused at once.
   */
  private updateProductInfo(shop: Shop, body: Record<string, unknown>): unknown {
    const catalog = this.catalogOf(shop.shopId);
    const id = Number(body.product_id);
    // A product id, or the configurable parent (super id) of several variants.
    const target = catalog.get(id) ?? [...catalog.values()].find((p) => p.superId === id);
    if (!Number.isInteger(id) || !target)
      throw gatewayError(404, "PRODUCT_NOT_FOUND", `Product ${String(body.product_id)} not found`);
    const changes: ProductRequest["changes"] = {};
    const problems: string[] = [];
    if (body.name !== undefined) {
      const name = typeof body.name === "string" ? body.name : "";
      if (!name.trim() || name.length > 255) problems.push("name: required, at most 255 characters");
      changes.name = name;
    }
    if (body.description !== undefined) changes.description = String(body.description ?? "");
    if (body.attributes !== undefined) {
      const attrs = (body.attributes ?? {}) as Record<string, string>;
      for (const a of ATTRIBUTES[target.categoryId] ?? []) {
        const v = attrs[a.code];
        if (v !== undefined && a.values) {
          const picked = a.input_type === "multiselect" ? String(v).split(",") : [String(v)];
          for (const x of picked)
            if (!a.values.includes(x)) problems.push(`attributes.${a.code}: "${x}" is not a valid value`);
        }
      }
      changes.attributes = { ...attrs };
    }
    if (body.image !== undefined || body.images !== undefined) {
      const imgs = [body.image, ...(Array.isArray(body.images) ? body.images : [])].filter(
        (x): x is string => typeof x === "string",
      );
      if (imgs.some((u) => !/^https?:\/\//.test(u))) problems.push("images: must be http(s) URLs");
      changes.images = imgs;
    }
    const trackId = crypto.randomBytes(16).toString("hex");
    const request: ProductRequest = {
      trackId,
      requestId: String(1_154_523_837_593_192_000n + BigInt(this.requests.size + 1)),
      shopId: shop.shopId,
      state: "awaiting_approve",
      productId: id,
      kind: "update_product",
      reviewUntil: Date.now() + (this.faults.contentReviewMs ?? TIKI_DEFAULT_CONTENT_REVIEW_MS),
      changes,
      rejectReason: problems.length ? problems.join("; ") : null,
      reason: null,
    };
    this.requests.set(trackId, request);
    return { track_id: trackId, request_id: request.requestId, state: "queuing" };
  }

  /** Ends the reviews whose time has come: applies approved content, records rejections. */
  private settleReviews(): void {
    const now = Date.now();
    for (const r of this.requests.values()) {
      if (r.state !== "awaiting_approve" || (r.reviewUntil ?? 0) > now) continue;
      if (r.kind === "create_product") {
        r.approve?.();
        r.approve = undefined;
        continue;
      }
      if (r.kind !== "update_product") continue;
      if (r.rejectReason) {
        r.state = "rejected";
        r.reason = r.rejectReason;
        continue;
      }
      const catalog = this.products.get(r.shopId);
      const target =
        catalog?.get(r.productId!) ?? [...(catalog?.values() ?? [])].find((p) => p.superId === r.productId);
      if (catalog && target) {
        // A configurable parent's content is shared by its variants (one Tiki product each).
        const group = target.superId
          ? [...catalog.values()].filter((p) => p.superId === target.superId)
          : [target];
        for (const p of group) {
          Object.assign(p, structuredClone(r.changes ?? {}));
          p.updatedAt = now;
        }
      }
      r.state = "approved";
    }
  }

  // ---------- orders ----------

  private listOrders(shop: Shop, q: URLSearchParams): unknown {
    const { page, limit } = this.pageParams(q, TIKI_SANDBOX_LIMITS.orderPageMax, 20);
    const bounds = (field: "created" | "updated") => {
      const from = parseVnTime(q.get(`${field}_from_date`));
      const to = parseVnTime(q.get(`${field}_to_date`));
      if (Number.isNaN(from) || Number.isNaN(to)) {
        throw validationError(400, "INVALID_DATE_FORMAT", [
          `${field}_from_date/${field}_to_date use "YYYY-MM-DD HH:mm:ss"`,
        ]);
      }
      if (from !== null && to !== null) {
        if (to < from)
          throw validationError(400, "INVALID_DATE_RANGE", [`${field}_to_date is before ${field}_from_date`]);
        if (to - from > TIKI_SANDBOX_LIMITS.orderWindowDays * 86_400_000) {
          throw validationError(400, "INVALID_DATE_RANGE", [
            `date range must not exceed ${TIKI_SANDBOX_LIMITS.orderWindowDays} days`,
          ]);
        }
      }
      return { from, to };
    };
    const created = bounds("created");
    const updated = bounds("updated");
    const secs = (ms: number) => Math.floor(ms / 1000) * 1000;
    const within = (t: number, b: { from: number | null; to: number | null }) =>
      (b.from === null || secs(t) >= b.from) && (b.to === null || secs(t) <= b.to);
    const [field, dir] = (q.get("order_by") ?? "created_at|desc").split("|");
    const key = field === "updated_at" ? "updatedAt" : "createdAt";
    const sign = dir === "asc" ? 1 : -1;
    const all = this.orders
      .get(shop.shopId)!
      .filter((o) => within(o.createdAt, created) && within(o.updatedAt, updated))
      .sort((a, b) => sign * (a[key] - b[key]) || sign * (a.id - b.id));
    const slice = all.slice((page - 1) * limit, page * limit);
    return { data: slice.map((o) => this.orderJson(o)), paging: this.paging(all.length, page, limit) };
  }

  private orderJson(o: SandboxOrder): Record<string, unknown> {
    const subtotal = o.lines.reduce((n, l) => n + l.price * l.quantity, 0);
    return {
      id: o.id,
      code: o.code,
      fulfillment_type: "dropship",
      status: o.status,
      created_at: fmt(o.createdAt),
      updated_at: fmt(o.updatedAt),
      invoice: { subtotal, grand_total: subtotal, discount_amount: 0, shipping_amount_after_discount: 0 },
      customer: { id: 1, full_name: "Nguyễn Thị Hoà" },
      items: o.lines.map((l) => ({
        id: l.id,
        product: {
          id: l.productId,
          type: "simple",
          super_id: l.superId,
          sku: l.sku,
          name: l.name,
          seller_product_code: l.originalSku,
          inventory_type: "dropship",
        },
        price: l.price,
        qty: l.quantity,
        invoice: {
          price: l.price,
          quantity: l.quantity,
          subtotal: l.price * l.quantity,
          row_total: l.price * l.quantity,
        },
      })),
    };
  }
}
