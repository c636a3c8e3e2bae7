/**
 * A faithful local imitation of the TikTok Shop Partner API (202309): the same paths, envelope,
 * signature and timestamp checks, tokens (auth code → token, refresh, revocation), shop_cipher
 * rules, page sizes, batch caps, per-shop 429s, per-SKU inventory errors, orders with one line item
 * per unit, and signed ORDER_STATUS_CHANGE webhooks. State lives in memory so tests can ask what
 * the marketplace now shows. Fault knobs come from SandboxFaults.
 */
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { NormalizedOrderStatus } from "../../channels/connectors/connector";
import {
  tiktokSign,
  tiktokWebhookSignature,
  sameSignature,
  takesShopCipher,
} from "../../channels/connectors/tiktok-shop/tiktok-shop.signing";
import {
  NO_FAULTS,
  type MarketplaceSandbox,
  type SandboxCounters,
  type SandboxFaults,
  type SandboxOrderLineSpec,
  type SandboxShop,
  type SandboxSkuView,
} from "../sandbox";
import { ATTRIBUTES, CATEGORIES } from "./tiktok-shop.catalogue";

/**
 * Business error codes. Those marked [V] were seen in TikTok's docs or public integration guides;
 * the others are sandbox choices in TikTok's numbering style, because TikTok does not publish them.
 */
export const SANDBOX_CODES = {
  SKU_INVALID: 12019022, // [V] "sku ID is invalid"
  PRODUCT_STATUS_INVALID: 12019113, // [V] "product status invalid"
  IDS_EXCEED_LIMIT: 12019120, // [V] "product ids exceed limit"
  NOT_YOUR_PRODUCT: 12052048, // [V] "You can't edit other sellers' products."
  PRICE_INVALID: 12052073, // [V] "The product price is invalid"
  QUANTITY_INVALID: 12052074,
  WAREHOUSE_INVALID: 12052075,
  TITLE_INVALID: 12052201,
  CATEGORY_NOT_LEAF: 12052202,
  ATTRIBUTE_MISSING: 12052203,
  IMAGE_INVALID: 12052204,
  SKU_COUNT_INVALID: 12052205,
  SELLER_SKU_DUPLICATE: 12052206,
  PARAM_INVALID: 36009004,
  PAGE_SIZE_INVALID: 36009005,
  ORDER_IDS_EXCEED_LIMIT: 21011001,
  PACKAGE_STATUS_INVALID: 21001001,
  AUTH_CODE_INVALID: 36004004,
  REFRESH_TOKEN_INVALID: 36004005,
  APP_INVALID: 36004006,
} as const;

const TS_PAST_S = 300;
const TS_FUTURE_S = 30;
const ACCESS_TTL_MS = 7 * 86_400_000;
/** TikTok returns only an absolute refresh expiry; one year is the sandbox's choice. */
const REFRESH_TTL_MS = 365 * 86_400_000;
const AUTH_CODE_TTL_MS = 30 * 60_000;
const MAX_SKUS_PER_PRODUCT = 100;
const MAX_PAGE_SIZE = 100;
const MAX_ORDER_IDS = 50;
const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
const MAX_PRICE_VND = 180_000_000;
const MAX_QUANTITY = 99_999;

interface Sku {
  id: string;
  seller_sku: string;
  price: number;
  inventory: Array<{ warehouse_id: string; quantity: number }>;
  sales_attributes: Array<{ id: string; name: string; value_id: string; value_name: string }>;
}

interface Product {
  id: string;
  title: string;
  description: string;
  category_id: string;
  status: string;
  main_images: Array<{ uri: string }>;
  product_attributes: Array<{ id: string; name: string; values: Array<{ id?: string; name: string }> }>;
  package_weight: { value: string; unit: string };
  skus: Sku[];
  create_time: number;
  update_time: number;
}

interface LineItem {
  id: string;
  sku_id: string;
  seller_sku: string;
  product_id: string;
  product_name: string;
  sku_name: string;
  sale_price: number;
}

interface Order {
  id: string;
  status: string;
  create_time: number;
  update_time: number;
  buyer_name: string;
  line_items: LineItem[];
  package_id: string;
}

interface ShopState {
  shopId: string;
  cipher: string;
  appKey: string;
  warehouseId: string;
  products: Map<string, Product>;
  orders: Map<string, Order>;
  /** idempotency_key of a create → the product it made. */
  idempotency: Map<string, string>;
}

interface TokenRecord {
  shopId: string;
  appKey: string;
  expiresAt: number;
  revoked: boolean;
}

interface Ctx {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  url: URL;
  route: string;
  params: string[];
  raw: Buffer;
  shop: ShopState;
}

class HttpError {
  constructor(
    public readonly status: number,
    public readonly code: number,
    public readonly message: string,
  ) {}
}

const NORMALIZED_TO_TIKTOK: Partial<Record<NormalizedOrderStatus, string>> = {
  UNPAID: "UNPAID",
  PENDING: "AWAITING_SHIPMENT",
  READY_TO_SHIP: "AWAITING_COLLECTION",
  SHIPPED: "IN_TRANSIT",
  DELIVERED: "DELIVERED",
  COMPLETED: "COMPLETED",
  CANCELLED: "CANCELLED",
};

type Handler = (ctx: Ctx) => unknown;
interface Route {
  method: string;
  pattern: RegExp;
  template: string;
  /** "token": auth host, unsigned; "app": signed + token, no shop_cipher; "shop": signed + token + shop_cipher. */
  scope: "token" | "app" | "shop";
  write: boolean;
  handler: Handler;
}

export class TiktokShopSandbox implements MarketplaceSandbox {
  readonly code = "tiktok-shop" as const;
  private server: http.Server | null = null;
  private url = "";
  private readonly apps = new Map<string, string>();
  private readonly shops = new Map<string, ShopState>();
  private readonly ciphers = new Map<string, ShopState>();
  private readonly accessTokens = new Map<string, TokenRecord>();
  private readonly refreshTokens = new Map<string, TokenRecord>();
  private readonly authCodes = new Map<string, { shopId: string; expiresAt: number }>();
  private readonly images = new Set<string>();
  private faults: SandboxFaults = { ...NO_FAULTS };
  private stats: SandboxCounters = { calls: {}, rateLimited: 0, badSignature: 0 };
  private readonly rate = new Map<string, { second: number; count: number }>();
  private webhookTarget: string | null = null;
  private webhookQueue: object[] = [];
  private webhookChain: Promise<void> = Promise.resolve();
  private seq = 0;
  private readonly routes: Route[];

  constructor(private readonly now: () => number = Date.now) {
    const r = (
      method: string,
      template: string,
      scope: Route["scope"],
      write: boolean,
      handler: Handler,
    ): Route => ({
      method,
      template,
      scope,
      write,
      handler,
      pattern: new RegExp("^" + template.replace(/\{[a-z_]+\}/g, "([^/]+)") + "$"),
    });
    this.routes = [
      r("GET", "/api/v2/token/get", "token", false, (c) => this.tokenGet(c)),
      r("GET", "/api/v2/token/refresh", "token", false, (c) => this.tokenRefresh(c)),
      r("GET", "/authorization/202309/shops", "app", false, (c) => this.authorizedShops(c)),
      r("GET", "/product/202309/categories", "shop", false, () => ({ categories: CATEGORIES })),
      r("GET", "/product/202309/categories/{category_id}/attributes", "shop", false, (c) =>
        this.attributes(c),
      ),
      r("POST", "/product/202309/images/upload", "app", true, (c) => this.uploadImage(c)),
      r("POST", "/product/202309/products/search", "shop", false, (c) => this.searchProducts(c)),
      r("POST", "/product/202309/products", "shop", true, (c) => this.saveProduct(c, null)),
      r("PUT", "/product/202309/products/{product_id}", "shop", true, (c) =>
        this.saveProduct(c, c.params[0]),
      ),
      r("GET", "/product/202309/products/{product_id}", "shop", false, (c) => this.productDetail(c)),
      r("POST", "/product/202309/products/{product_id}/prices/update", "shop", true, (c) =>
        this.updatePrice(c),
      ),
      r("POST", "/product/202309/products/{product_id}/inventory/update", "shop", true, (c) =>
        this.updateInventory(c),
      ),
      r("GET", "/logistics/202309/warehouses", "shop", false, (c) => this.warehouses(c)),
      r("POST", "/order/202309/orders/search", "shop", false, (c) => this.searchOrders(c)),
      r("GET", "/order/202309/orders", "shop", false, (c) => this.orderDetail(c)),
      r("POST", "/fulfillment/202309/packages/{package_id}/ship", "shop", true, (c) => this.shipPackage(c)),
    ];
  }

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
    await this.flushWebhooks();
    const server = this.server;
    if (!server) return;
    this.server = null;
    // Requests held open by timeoutRate would otherwise keep close() waiting forever.
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---------- test-facing API ----------

  createShop(opts: { shopId?: string; appKey?: string; appSecret?: string } = {}): SandboxShop {
    const shopId = opts.shopId ?? this.nextId("7494");
    const appKey = opts.appKey ?? `6a${crypto.randomBytes(5).toString("hex")}`;
    const appSecret = opts.appSecret ?? crypto.randomBytes(20).toString("hex");
    const known = this.apps.get(appKey);
    if (known && known !== appSecret) throw new Error(`app ${appKey} already registered with another secret`);
    this.apps.set(appKey, appSecret);
    const shop: ShopState = {
      shopId,
      cipher: `ROW_${crypto.randomBytes(12).toString("base64url")}`,
      appKey,
      warehouseId: this.nextId("7068"),
      products: new Map(),
      orders: new Map(),
      idempotency: new Map(),
    };
    this.shops.set(shopId, shop);
    this.ciphers.set(shop.cipher, shop);
    const t = this.issueTokens(shop);
    return {
      shopId,
      appKey,
      appSecret,
      accessToken: t.access,
      refreshToken: t.refresh,
      accessExpiresAt: t.accessExpiresAt,
    };
  }

  /** The shop's cipher (what /authorization/202309/shops returns), for tests that build contexts by hand. */
  shopCipher(shopId: string): string {
    return this.shop(shopId).cipher;
  }

  issueAuthCode(shopId: string): string {
    this.shop(shopId);
    const code = `ROW_${crypto.randomBytes(16).toString("base64url")}`;
    this.authCodes.set(code, { shopId, expiresAt: this.now() + AUTH_CODE_TTL_MS });
    return code;
  }

  expireAccessToken(shopId: string): void {
    for (const t of this.accessTokens.values()) if (t.shopId === shopId) t.expiresAt = this.now() - 1;
  }

  revokeAuthorization(shopId: string): void {
    for (const t of this.accessTokens.values()) if (t.shopId === shopId) t.revoked = true;
    for (const t of this.refreshTokens.values()) if (t.shopId === shopId) t.revoked = true;
  }

  setFaults(faults: Partial<SandboxFaults>): void {
    this.faults = { ...this.faults, ...faults };
  }

  counters(): SandboxCounters {
    return {
      calls: { ...this.stats.calls },
      rateLimited: this.stats.rateLimited,
      badSignature: this.stats.badSignature,
    };
  }

  resetCounters(): void {
    this.stats = { calls: {}, rateLimited: 0, badSignature: 0 };
  }

  seedListing(
    shopId: string,
    listing: {
      title: string;
      categoryId?: string;
      variants: Array<{ sku: string; priceVnd: number; stock: number }>;
    },
  ): { externalItemId: string } {
    const shop = this.shop(shopId);
    const t = this.nowS();
    const product: Product = {
      id: this.nextId("1729"),
      title: listing.title.normalize("NFC"),
      description: "",
      category_id: listing.categoryId ?? "600011",
      status: "ACTIVATE",
      main_images: [],
      product_attributes: [],
      package_weight: { value: "0.5", unit: "KILOGRAM" },
      skus: listing.variants.map((v) => ({
        id: this.nextId("1729"),
        seller_sku: v.sku,
        price: v.priceVnd,
        inventory: [{ warehouse_id: shop.warehouseId, quantity: v.stock }],
        sales_attributes: [{ id: "100000", name: "Quy cách", value_id: this.nextId("7"), value_name: v.sku }],
      })),
      create_time: t,
      update_time: t,
    };
    shop.products.set(product.id, product);
    return { externalItemId: product.id };
  }

  skuView(shopId: string, sku: string): SandboxSkuView | null {
    return this.allSkus(shopId).find((v) => v.sku === sku) ?? null;
  }

  allSkus(shopId: string): SandboxSkuView[] {
    const out: SandboxSkuView[] = [];
    for (const p of this.shop(shopId).products.values()) {
      if (p.status === "DELETED") continue;
      const attributes: Record<string, string | string[]> = {};
      for (const a of p.product_attributes) {
        const names = a.values.map((v) => v.name);
        attributes[a.id] = names.length === 1 ? names[0] : names;
      }
      for (const s of p.skus) {
        out.push({
          sku: s.seller_sku,
          externalItemId: p.id,
          externalSkuId: s.id,
          title: p.title,
          priceVnd: s.price,
          stock: s.inventory.reduce((n, i) => n + i.quantity, 0),
          attributes,
          images: p.main_images.map((i) => i.uri),
          description: p.description,
        });
      }
    }
    return out;
  }

  createOrder(
    shopId: string,
    lines: SandboxOrderLineSpec[],
    opts: { at?: number } = {},
  ): { externalOrderId: string } {
    const shop = this.shop(shopId);
    const picked = lines.map((l) => {
      const found = this.findSku(shop, l.sku);
      if (!found) throw new Error(`sandbox: unknown seller_sku ${l.sku}`);
      const available = found.sku.inventory.reduce((n, i) => n + i.quantity, 0);
      if (l.quantity < 1 || available < l.quantity) throw new Error(`sandbox: not enough stock for ${l.sku}`);
      return { ...found, line: l };
    });
    const at = Math.floor((opts.at ?? this.now()) / 1000);
    const order: Order = {
      id: this.nextId("5766"),
      status: "AWAITING_SHIPMENT",
      create_time: at,
      update_time: at,
      buyer_name: "Nguyễn Văn An",
      line_items: [],
      package_id: this.nextId("1152"),
    };
    for (const { product, sku, line } of picked) {
      // Stock is taken when the order is placed, warehouse by warehouse.
      let left = line.quantity;
      for (const inv of sku.inventory) {
        const take = Math.min(inv.quantity, left);
        inv.quantity -= take;
        left -= take;
      }
      // TikTok lists one line item per unit; there is no quantity field.
      for (let i = 0; i < line.quantity; i++) {
        order.line_items.push({
          id: this.nextId("5766"),
          sku_id: sku.id,
          seller_sku: sku.seller_sku,
          product_id: product.id,
          product_name: product.title,
          sku_name: sku.sales_attributes.map((a) => a.value_name).join(", "),
          sale_price: line.unitPriceVnd ?? sku.price,
        });
      }
    }
    shop.orders.set(order.id, order);
    this.queueOrderWebhook(shop, order);
    return { externalOrderId: order.id };
  }

  setOrderStatus(shopId: string, externalOrderId: string, status: NormalizedOrderStatus): void {
    const shop = this.shop(shopId);
    const order = shop.orders.get(externalOrderId);
    if (!order) throw new Error(`sandbox: unknown order ${externalOrderId}`);
    const remote = NORMALIZED_TO_TIKTOK[status];
    if (!remote) throw new Error(`sandbox: TikTok has no order status for ${status}`);
    this.moveOrder(shop, order, remote);
  }

  setWebhookTarget(url: string | null): void {
    this.webhookTarget = url;
  }

  async flushWebhooks(): Promise<void> {
    this.drainWebhooks();
    let seen: Promise<void> | null = null;
    while (seen !== this.webhookChain) {
      seen = this.webhookChain;
      await seen;
    }
  }

  // ---------- HTTP plumbing ----------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://sandbox");
    const raw = await readBody(req);
    try {
      const match = this.match(req.method ?? "GET", url.pathname);
      this.stats.calls[match.route.template] = (this.stats.calls[match.route.template] ?? 0) + 1;
      if (this.faults.latencyMs > 0) await sleep(this.faults.latencyMs);
      if (this.faults.timeoutRate > 0 && Math.random() < this.faults.timeoutRate) return; // hangs until the client gives up
      let shop: ShopState | null = null;
      if (match.route.scope !== "token") shop = this.authenticate(req, url, raw, match.route);
      this.throttle(shop ? shop.shopId : `app:${url.searchParams.get("app_key") ?? ""}`);
      if (this.faults.errorRate > 0 && Math.random() < this.faults.errorRate) {
        throw Math.random() < 0.5
          ? new HttpError(503, 36009007, "Request timeout. The request to the endpoint timed out.")
          : new HttpError(500, 36009007, "Request timeout. The request to the endpoint timed out.");
      }
      const ctx: Ctx = { req, res, url, route: match.route.template, params: match.params, raw, shop: shop! };
      if (match.route.write && this.faults.silentNoopRate > 0 && Math.random() < this.faults.silentNoopRate) {
        // "OK but not applied": answer like a success without touching state.
        return send(
          res,
          200,
          envelope(0, "Success", match.route.template.endsWith("/products") ? this.fakeCreate(ctx) : {}),
        );
      }
      const data = match.route.handler(ctx);
      send(res, 200, envelope(0, "Success", data ?? {}));
    } catch (e) {
      if (e instanceof HttpError) {
        if (e.code === 36009002) this.stats.rateLimited++;
        // TikTok documents no Retry-After header on its 429s, so none is sent.
        send(res, e.status, envelope(e.code, e.message, undefined));
      } else {
        send(res, 500, envelope(36009007, e instanceof Error ? e.message : "internal error", undefined));
      }
    }
  }

  private match(method: string, path: string): { route: Route; params: string[] } {
    let pathKnown = false;
    for (const route of this.routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      pathKnown = true;
      if (route.method === method) return { route, params: m.slice(1).map(decodeURIComponent) };
    }
    if (pathKnown)
      throw new HttpError(
        405,
        36009010,
        "Invalid method. The HTTP method used is not supported by this endpoint.",
      );
    throw new HttpError(
      404,
      36009009,
      "Invalid path. The specified path does not match any available endpoint.",
    );
  }

  /** Gateway checks in TikTok's order: app_key, sign, timestamp, signature, token, shop_cipher. */
  private authenticate(req: http.IncomingMessage, url: URL, raw: Buffer, route: Route): ShopState {
    const q: Record<string, string> = {};
    for (const [k, v] of url.searchParams) q[k] = v;
    const secret = this.apps.get(q.app_key ?? "");
    if (!secret) throw new HttpError(401, 36009004, "Invalid credentials. Invalid app_key query parameter.");
    if (!q.sign) {
      this.stats.badSignature++;
      throw new HttpError(
        401,
        36009004,
        "Missing credentials. The request does not include a required signature in the query.",
      );
    }
    const ts = Number(q.timestamp);
    const nowS = this.nowS();
    if (!/^\d{10}$/.test(q.timestamp ?? "") || ts < nowS - TS_PAST_S || ts > nowS + TS_FUTURE_S) {
      this.stats.badSignature++;
      throw new HttpError(
        401,
        36009004,
        ts > nowS + TS_FUTURE_S
          ? "Invalid timestamp. The value of the timestamp query parameter must not exceed the current time by more than 30 seconds."
          : "Invalid timestamp. The value of the timestamp query parameter must not be earlier than 5 minutes before the current time.",
      );
    }
    const multipart = (req.headers["content-type"] ?? "").toLowerCase().startsWith("multipart/form-data");
    const expected = tiktokSign(secret, url.pathname, q, multipart ? null : raw);
    if (!sameSignature(expected, q.sign)) {
      this.stats.badSignature++;
      throw new HttpError(401, 106001, "Invalid credentials. The 'sign' query parameter is invalid.");
    }
    const token = req.headers["x-tts-access-token"];
    const rec = typeof token === "string" ? this.accessTokens.get(token) : undefined;
    if (!rec || rec.revoked || rec.appKey !== q.app_key) {
      throw new HttpError(401, 36009004, "Invalid credentials. The x-tts-access-token header is invalid.");
    }
    if (rec.expiresAt <= this.now()) {
      throw new HttpError(401, 105002, "Expired credentials. The x-tts-access-token header has expired.");
    }
    const shop = this.shop(rec.shopId);
    if (route.scope === "shop") {
      if (!q.shop_cipher) {
        throw new HttpError(
          400,
          106013,
          "Missing identifier. The shop_cipher query parameter is required to identify the target shop.",
        );
      }
      if (this.ciphers.get(q.shop_cipher) !== shop) {
        throw new HttpError(
          401,
          101000,
          "Invalid query or header. The shop_cipher does not match the x-tts-access-token.",
        );
      }
    } else if (q.shop_cipher !== undefined && !takesShopCipher(url.pathname)) {
      throw new HttpError(
        400,
        36009004,
        "Unexpected identifier. The shop_cipher query parameter is not required for this request.",
      );
    }
    return shop;
  }

  private throttle(key: string): void {
    if (this.faults.burst429 > 0) {
      this.faults.burst429--;
      throw new HttpError(
        429,
        36009002,
        "Too many requests. You've made too many requests in a short period of time.",
      );
    }
    const limit = this.faults.rateLimitPerSecond;
    if (limit <= 0) return;
    const second = Math.floor(this.now() / 1000);
    const slot = this.rate.get(key);
    if (!slot || slot.second !== second) {
      this.rate.set(key, { second, count: 1 });
      return;
    }
    if (++slot.count > limit) {
      throw new HttpError(
        429,
        36009002,
        "Too many requests. You've made too many requests in a short period of time.",
      );
    }
  }

  // ---------- auth ----------

  private tokenGet(c: Ctx): object {
    const q = c.url.searchParams;
    this.checkApp(q.get("app_key"), q.get("app_secret"));
    if (q.get("grant_type") !== "authorized_code")
      throw new HttpError(200, SANDBOX_CODES.PARAM_INVALID, "grant_type must be authorized_code");
    const code = q.get("auth_code") ?? "";
    const rec = this.authCodes.get(code);
    this.authCodes.delete(code); // single use
    if (!rec || rec.expiresAt <= this.now())
      throw new HttpError(200, SANDBOX_CODES.AUTH_CODE_INVALID, "auth_code is invalid or expired");
    const shop = this.shop(rec.shopId);
    if (shop.appKey !== q.get("app_key"))
      throw new HttpError(200, SANDBOX_CODES.AUTH_CODE_INVALID, "auth_code was not issued to this app");
    return this.tokenData(shop, this.issueTokens(shop));
  }

  private tokenRefresh(c: Ctx): object {
    const q = c.url.searchParams;
    this.checkApp(q.get("app_key"), q.get("app_secret"));
    if (q.get("grant_type") !== "refresh_token")
      throw new HttpError(200, SANDBOX_CODES.PARAM_INVALID, "grant_type must be refresh_token");
    const refresh = q.get("refresh_token") ?? "";
    const rec = this.refreshTokens.get(refresh);
    if (!rec || rec.revoked || rec.appKey !== q.get("app_key") || rec.expiresAt <= this.now()) {
      throw new HttpError(200, SANDBOX_CODES.REFRESH_TOKEN_INVALID, "refresh_token is invalid or expired");
    }
    // TikTok documents no single-use rule: the refresh token and its expiry carry over.
    const shop = this.shop(rec.shopId);
    const access = `TTP_${crypto.randomBytes(24).toString("base64url")}`;
    const accessExpiresAt = this.now() + ACCESS_TTL_MS;
    this.accessTokens.set(access, {
      shopId: shop.shopId,
      appKey: shop.appKey,
      expiresAt: accessExpiresAt,
      revoked: false,
    });
    return this.tokenData(shop, { access, refresh, accessExpiresAt, refreshExpiresAt: rec.expiresAt });
  }

  private checkApp(appKey: string | null, appSecret: string | null): void {
    if (!appKey || this.apps.get(appKey) !== appSecret)
      throw new HttpError(200, SANDBOX_CODES.APP_INVALID, "app_key or app_secret is invalid");
  }

  private issueTokens(shop: ShopState): {
    access: string;
    refresh: string;
    accessExpiresAt: number;
    refreshExpiresAt: number;
  } {
    const access = `TTP_${crypto.randomBytes(24).toString("base64url")}`;
    const refresh = `TTP_${crypto.randomBytes(24).toString("base64url")}`;
    const accessExpiresAt = this.now() + ACCESS_TTL_MS;
    const refreshExpiresAt = this.now() + REFRESH_TTL_MS;
    this.accessTokens.set(access, {
      shopId: shop.shopId,
      appKey: shop.appKey,
      expiresAt: accessExpiresAt,
      revoked: false,
    });
    this.refreshTokens.set(refresh, {
      shopId: shop.shopId,
      appKey: shop.appKey,
      expiresAt: refreshExpiresAt,
      revoked: false,
    });
    return { access, refresh, accessExpiresAt, refreshExpiresAt };
  }

  private tokenData(
    shop: ShopState,
    t: { access: string; refresh: string; accessExpiresAt: number; refreshExpiresAt: number },
  ): object {
    return {
      access_token: t.access,
      access_token_expire_in: Math.floor(t.accessExpiresAt / 1000),
      refresh_token: t.refresh,
      refresh_token_expire_in: Math.floor(t.refreshExpiresAt / 1000),
      open_id: `open_${shop.shopId}`,
      seller_name: "HTX Nông sản OCOP",
      seller_base_region: "VN",
      user_type: 0,
      granted_scopes: [
        "seller.product.basic",
        "seller.product.write",
        "seller.order.info",
        "seller.fulfillment.basic",
      ],
    };
  }

  private authorizedShops(c: Ctx): object {
    const s = c.shop;
    return {
      shops: [
        {
          id: s.shopId,
          name: "Cửa hàng OCOP",
          region: "VN",
          seller_type: "LOCAL",
          cipher: s.cipher,
          code: `VNLC${s.shopId.slice(-6)}`,
        },
      ],
    };
  }

  // ---------- catalogue ----------

  private attributes(c: Ctx): object {
    const cat = CATEGORIES.find((x) => x.id === c.params[0]);
    if (!cat || !cat.is_leaf)
      throw new HttpError(200, SANDBOX_CODES.CATEGORY_NOT_LEAF, "The category is not a leaf category.");
    return { attributes: ATTRIBUTES[cat.id] ?? [] };
  }

  private uploadImage(c: Ctx): object {
    const ct = c.req.headers["content-type"] ?? "";
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(ct);
    if (!ct.toLowerCase().startsWith("multipart/form-data") || !boundary) {
      throw new HttpError(
        400,
        36009023,
        "Invalid request format. The value of the content-type header must be multipart/form-data.",
      );
    }
    const parts = parseMultipart(c.raw, boundary[1] ?? boundary[2]);
    const file = parts.find((p) => p.name === "data");
    if (!file || file.body.length === 0)
      throw new HttpError(200, SANDBOX_CODES.IMAGE_INVALID, "data is required");
    if (file.body.length > MAX_IMAGE_BYTES)
      throw new HttpError(
        400,
        36009021,
        "Invalid file size. The uploaded file size exceeds the maximum limit.",
      );
    const useCase = parts.find((p) => p.name === "use_case")?.body.toString("utf8") ?? "MAIN_IMAGE";
    const uri = `tos-alisg-i-aphluv4xwc-sg/${crypto.createHash("sha1").update(file.body).digest("hex")}`;
    this.images.add(uri);
    return {
      uri,
      url: `https://p16-oec-sg.ibyteimg.com/${uri}~tplv-aphluv4xwc-origin-jpeg.jpeg`,
      width: 800,
      height: 800,
      use_case: useCase,
    };
  }

  // ---------- products ----------

  private saveProduct(c: Ctx, productId: string | null): object {
    const body = json(c.raw) as Record<string, any>;
    const shop = c.shop;
    const existing = productId ? shop.products.get(productId) : undefined;
    if (productId && !existing)
      throw new HttpError(200, SANDBOX_CODES.NOT_YOUR_PRODUCT, "You can't edit other sellers' products.");
    const idem = !productId && typeof body.idempotency_key === "string" ? body.idempotency_key : null;
    const earlier = idem ? shop.products.get(shop.idempotency.get(idem) ?? "") : undefined;
    if (earlier) return this.saved(earlier);
    const title = typeof body.title === "string" ? body.title : "";
    if ([...title].length < 25 || [...title].length > 255) {
      throw new HttpError(200, SANDBOX_CODES.TITLE_INVALID, "The product title must be 25-255 characters.");
    }
    const cat = CATEGORIES.find((x) => x.id === String(body.category_id ?? ""));
    if (!cat || !cat.is_leaf)
      throw new HttpError(200, SANDBOX_CODES.CATEGORY_NOT_LEAF, "The category is not a leaf category.");
    const attrs: Product["product_attributes"] = [];
    const defs = ATTRIBUTES[cat.id] ?? [];
    for (const a of (body.product_attributes ?? []) as Array<{
      id: string;
      values: Array<{ id?: string; name?: string }>;
    }>) {
      const def = defs.find((d) => d.id === a.id && d.type === "PRODUCT_PROPERTY");
      if (!def) continue; // TikTok ignores attributes the category does not have
      const values = (a.values ?? []).map((v) => {
        const known = def.values.find((x) => x.id === v.id || x.name === v.name);
        if (!known && !def.is_customizable) {
          throw new HttpError(
            200,
            SANDBOX_CODES.ATTRIBUTE_MISSING,
            `Invalid value for attribute ${def.name}.`,
          );
        }
        return known ? { id: known.id, name: known.name } : { name: String(v.name ?? "") };
      });
      attrs.push({ id: def.id, name: def.name, values });
    }
    for (const d of defs) {
      if (
        d.type === "PRODUCT_PROPERTY" &&
        d.is_requried &&
        !attrs.some((a) => a.id === d.id && a.values.length > 0)
      ) {
        throw new HttpError(
          200,
          SANDBOX_CODES.ATTRIBUTE_MISSING,
          `The required attribute ${d.name} (${d.id}) is missing.`,
        );
      }
    }
    const images = (body.main_images ?? []) as Array<{ uri: string }>;
    if (images.length < 1 || images.length > 9 || images.some((i) => !this.images.has(i.uri))) {
      throw new HttpError(200, SANDBOX_CODES.IMAGE_INVALID, "main_images must hold 1-9 uploaded image uris.");
    }
    const skus = (body.skus ?? []) as Array<Record<string, any>>;
    if (skus.length < 1 || skus.length > MAX_SKUS_PER_PRODUCT) {
      throw new HttpError(
        200,
        SANDBOX_CODES.SKU_COUNT_INVALID,
        `A product must have 1-${MAX_SKUS_PER_PRODUCT} SKUs.`,
      );
    }
    const sellerSkus = new Set<string>();
    const built: Sku[] = skus.map((s) => {
      const sellerSku = String(s.seller_sku ?? "");
      if (sellerSkus.has(sellerSku))
        throw new HttpError(200, SANDBOX_CODES.SELLER_SKU_DUPLICATE, `Duplicate seller_sku ${sellerSku}.`);
      sellerSkus.add(sellerSku);
      const price = parsePrice(s.price);
      if (price === null)
        throw new HttpError(200, SANDBOX_CODES.PRICE_INVALID, "The product price is invalid");
      const inventory = ((s.inventory ?? []) as Array<{ warehouse_id?: string; quantity: number }>).map(
        (i) => {
          const wid = i.warehouse_id ?? shop.warehouseId;
          if (wid !== shop.warehouseId)
            throw new HttpError(200, SANDBOX_CODES.WAREHOUSE_INVALID, `Warehouse ${wid} does not exist.`);
          if (!validQuantity(i.quantity))
            throw new HttpError(200, SANDBOX_CODES.QUANTITY_INVALID, "The inventory quantity is invalid.");
          return { warehouse_id: wid, quantity: i.quantity };
        },
      );
      const old = s.id ? existing?.skus.find((x) => x.id === String(s.id)) : undefined;
      if (s.id && !old) throw new HttpError(200, SANDBOX_CODES.SKU_INVALID, "sku ID is invalid");
      return {
        id: old?.id ?? this.nextId("1729"),
        seller_sku: sellerSku,
        price,
        inventory: inventory.length ? inventory : [{ warehouse_id: shop.warehouseId, quantity: 0 }],
        sales_attributes: ((s.sales_attributes ?? []) as Array<Record<string, string>>).map((a) => ({
          id: a.id ?? "100000",
          name: a.name ?? "Quy cách",
          value_id: a.value_id ?? this.nextId("7"),
          value_name: String(a.value_name ?? ""),
        })),
      };
    });
    // TikTok requires the same set of sales attributes on every SKU.
    const shape = (s: Sku) =>
      s.sales_attributes
        .map((a) => a.name)
        .sort()
        .join("|");
    if (built.some((s) => shape(s) !== shape(built[0]))) {
      throw new HttpError(
        200,
        SANDBOX_CODES.SKU_COUNT_INVALID,
        "All SKUs must use the same sales attributes.",
      );
    }
    const t = this.nowS();
    const product: Product = {
      id: existing?.id ?? this.nextId("1729"),
      title,
      description: String(body.description ?? ""),
      category_id: cat.id,
      status: body.save_mode === "AS_DRAFT" ? "DRAFT" : "ACTIVATE",
      main_images: images.map((i) => ({ uri: i.uri })),
      product_attributes: attrs,
      package_weight: body.package_weight ?? { value: "0", unit: "KILOGRAM" },
      skus: built,
      create_time: existing?.create_time ?? t,
      update_time: t,
    };
    shop.products.set(product.id, product);
    if (idem) shop.idempotency.set(idem, product.id);
    return this.saved(product);
  }

  private saved(product: Product): object {
    return {
      product_id: product.id,
      skus: product.skus.map((s) => ({
        id: s.id,
        seller_sku: s.seller_sku,
        sales_attributes: s.sales_attributes,
      })),
      warnings: [],
    };
  }

  /** What a silently ignored create answers: plausible ids that exist nowhere. */
  private fakeCreate(c: Ctx): object {
    const body = json(c.raw) as { skus?: Array<{ seller_sku?: string }> };
    return {
      product_id: this.nextId("1729"),
      skus: (body.skus ?? []).map((s) => ({ id: this.nextId("1729"), seller_sku: s.seller_sku })),
      warnings: [],
    };
  }

  private productDetail(c: Ctx): object {
    const p = c.shop.products.get(c.params[0]);
    if (!p)
      throw new HttpError(200, SANDBOX_CODES.NOT_YOUR_PRODUCT, "You can't edit other sellers' products.");
    return {
      ...this.wireProduct(p),
      description: p.description,
      category_chains: [
        {
          id: p.category_id,
          local_name: CATEGORIES.find((x) => x.id === p.category_id)?.local_name,
          is_leaf: true,
        },
      ],
      main_images: p.main_images,
      product_attributes: p.product_attributes,
      package_weight: p.package_weight,
    };
  }

  private wireProduct(p: Product): object {
    return {
      id: p.id,
      title: p.title,
      status: p.status,
      sales_regions: ["VN"],
      create_time: p.create_time,
      update_time: p.update_time,
      skus: p.skus.map((s) => ({
        id: s.id,
        seller_sku: s.seller_sku,
        price: { currency: "VND", tax_exclusive_price: String(s.price), sale_price: String(s.price) },
        inventory: s.inventory.map((i) => ({ ...i })),
        sales_attributes: s.sales_attributes,
      })),
    };
  }

  private searchProducts(c: Ctx): object {
    const pageSize = pageSizeOf(c.url);
    const body = (c.raw.length ? json(c.raw) : {}) as {
      status?: string;
      seller_skus?: string[];
      update_time_ge?: number;
      update_time_le?: number;
    };
    const wanted = body.seller_skus?.length ? new Set(body.seller_skus) : null;
    const all = [...c.shop.products.values()]
      .filter((p) =>
        body.status && body.status !== "ALL" ? p.status === body.status : p.status !== "DELETED",
      )
      .filter((p) => !wanted || p.skus.some((s) => wanted.has(s.seller_sku)))
      .filter((p) => body.update_time_ge === undefined || p.update_time >= body.update_time_ge)
      .filter((p) => body.update_time_le === undefined || p.update_time <= body.update_time_le)
      .sort((a, b) => cmpId(a.id, b.id));
    const offset = decodeToken(c.url.searchParams.get("page_token"));
    const page = all.slice(offset, offset + pageSize);
    const next = offset + pageSize < all.length ? encodeToken(offset + pageSize) : "";
    return { products: page.map((p) => this.wireProduct(p)), next_page_token: next, total_count: all.length };
  }

  private updatePrice(c: Ctx): object {
    const p = this.activeProduct(c);
    const body = json(c.raw) as { skus?: Array<{ id: string; price: unknown }> };
    const skus = body.skus ?? [];
    // The whole call fails on the first bad SKU: 202309 returns no per-SKU errors for prices.
    const changes = skus.map((s) => {
      const sku = p.skus.find((x) => x.id === String(s.id));
      if (!sku) throw new HttpError(200, SANDBOX_CODES.SKU_INVALID, `sku ID is invalid: ${s.id}`);
      const price = parsePrice(s.price);
      if (price === null)
        throw new HttpError(200, SANDBOX_CODES.PRICE_INVALID, `The product price is invalid: ${s.id}`);
      return { sku, price };
    });
    for (const ch of changes) ch.sku.price = ch.price;
    p.update_time = this.nowS();
    return {};
  }

  private updateInventory(c: Ctx): object {
    const shop = c.shop;
    const p = this.activeProduct(c);
    const body = json(c.raw) as {
      skus?: Array<{ id: string; inventory?: Array<{ warehouse_id?: string; quantity: unknown }> }>;
    };
    const errors: object[] = [];
    for (const s of body.skus ?? []) {
      const sku = p.skus.find((x) => x.id === String(s.id));
      if (!sku) {
        errors.push({
          code: SANDBOX_CODES.SKU_INVALID,
          message: "sku ID is invalid",
          detail: { sku_id: String(s.id), extra_errors: [] },
        });
        continue;
      }
      const extra: object[] = [];
      for (const inv of s.inventory ?? []) {
        const wid = inv.warehouse_id ?? (sku.inventory.length === 1 ? sku.inventory[0].warehouse_id : "");
        if (!sku.inventory.some((i) => i.warehouse_id === wid) || wid !== shop.warehouseId) {
          extra.push({
            warehouse_id: wid,
            code: SANDBOX_CODES.WAREHOUSE_INVALID,
            message: "The warehouse is not assigned to this SKU.",
          });
        } else if (!validQuantity(inv.quantity)) {
          extra.push({
            warehouse_id: wid,
            code: SANDBOX_CODES.QUANTITY_INVALID,
            message: "The quantity must be 0-99999.",
          });
        }
      }
      if (!s.inventory?.length) {
        extra.push({
          warehouse_id: "",
          code: SANDBOX_CODES.QUANTITY_INVALID,
          message: "inventory is required.",
        });
      }
      if (extra.length) {
        errors.push({
          code: (extra[0] as { code: number }).code,
          message: "Failed to update the inventory.",
          detail: { sku_id: sku.id, extra_errors: extra },
        });
        continue;
      }
      for (const inv of s.inventory!) {
        const wid = inv.warehouse_id ?? sku.inventory[0].warehouse_id;
        sku.inventory.find((i) => i.warehouse_id === wid)!.quantity = inv.quantity as number;
      }
    }
    p.update_time = this.nowS();
    return errors.length ? { errors } : {};
  }

  private activeProduct(c: Ctx): Product {
    const p = c.shop.products.get(c.params[0]);
    if (!p)
      throw new HttpError(200, SANDBOX_CODES.NOT_YOUR_PRODUCT, "You can't edit other sellers' products.");
    if (p.status !== "ACTIVATE")
      throw new HttpError(200, SANDBOX_CODES.PRODUCT_STATUS_INVALID, "product status invalid");
    return p;
  }

  private warehouses(c: Ctx): object {
    return {
      warehouses: [
        {
          id: c.shop.warehouseId,
          name: "Kho Đắk Lắk",
          effect_status: "ENABLED",
          type: "SALES_WAREHOUSE",
          sub_type: "DOMESTIC_WAREHOUSE",
          is_default: true,
          address: {
            region: "VN",
            state: "Đắk Lắk",
            city: "Buôn Ma Thuột",
            full_address: "12 Lê Duẩn, Buôn Ma Thuột, Đắk Lắk",
          },
        },
      ],
    };
  }

  // ---------- orders ----------

  private searchOrders(c: Ctx): object {
    const pageSize = pageSizeOf(c.url);
    const field = c.url.searchParams.get("sort_field") ?? "create_time";
    const order = c.url.searchParams.get("sort_order") ?? "DESC";
    if (field !== "create_time" && field !== "update_time")
      throw new HttpError(400, SANDBOX_CODES.PARAM_INVALID, "sort_field is invalid");
    if (order !== "ASC" && order !== "DESC")
      throw new HttpError(400, SANDBOX_CODES.PARAM_INVALID, "sort_order is invalid");
    const b = (c.raw.length ? json(c.raw) : {}) as Record<string, number | string | undefined>;
    const inRange = (v: number, ge: unknown, lt: unknown) =>
      (ge === undefined || v >= Number(ge)) && (lt === undefined || v < Number(lt));
    const key = field as "create_time" | "update_time";
    const all = [...c.shop.orders.values()]
      .filter((o) => !b.order_status || o.status === b.order_status)
      .filter((o) => inRange(o.create_time, b.create_time_ge, b.create_time_lt))
      .filter((o) => inRange(o.update_time, b.update_time_ge, b.update_time_lt))
      .sort((x, y) => (x[key] - y[key] || cmpId(x.id, y.id)) * (order === "ASC" ? 1 : -1));
    const offset = decodeToken(c.url.searchParams.get("page_token"));
    const page = all.slice(offset, offset + pageSize);
    const next = offset + pageSize < all.length ? encodeToken(offset + pageSize) : "";
    return {
      orders: page.map((o) => this.wireOrder(c.shop, o)),
      next_page_token: next,
      total_count: all.length,
    };
  }

  private orderDetail(c: Ctx): object {
    const ids = (c.url.searchParams.get("ids") ?? "").split(",").filter(Boolean);
    if (ids.length === 0) throw new HttpError(400, SANDBOX_CODES.PARAM_INVALID, "ids is required");
    if (ids.length > MAX_ORDER_IDS)
      throw new HttpError(
        400,
        SANDBOX_CODES.ORDER_IDS_EXCEED_LIMIT,
        `ids exceeds the limit of ${MAX_ORDER_IDS}`,
      );
    const orders = ids.map((id) => c.shop.orders.get(id)).filter((o): o is Order => !!o);
    return { orders: orders.map((o) => this.wireOrder(c.shop, o)) };
  }

  private shipPackage(c: Ctx): object {
    const order = [...c.shop.orders.values()].find((o) => o.package_id === c.params[0]);
    if (!order) throw new HttpError(200, SANDBOX_CODES.PACKAGE_STATUS_INVALID, "The package does not exist.");
    const body = (c.raw.length ? json(c.raw) : {}) as { handover_method?: string; self_shipment?: unknown };
    if (!body.self_shipment && body.handover_method !== "PICKUP" && body.handover_method !== "DROP_OFF") {
      throw new HttpError(200, SANDBOX_CODES.PARAM_INVALID, "handover_method must be PICKUP or DROP_OFF");
    }
    if (order.status !== "AWAITING_SHIPMENT") {
      throw new HttpError(
        200,
        SANDBOX_CODES.PACKAGE_STATUS_INVALID,
        `The package cannot be shipped in status ${order.status}.`,
      );
    }
    this.moveOrder(c.shop, order, "AWAITING_COLLECTION");
    return {};
  }

  private wireOrder(shop: ShopState, o: Order): object {
    const total = o.line_items.reduce((n, l) => n + l.sale_price, 0);
    return {
      id: o.id,
      status: o.status,
      create_time: o.create_time,
      update_time: o.update_time,
      paid_time: o.create_time,
      buyer_message: "",
      user_id: `buyer_${o.id.slice(-6)}`,
      shipping_type: "TIKTOK",
      fulfillment_type: "FULFILLMENT_BY_SELLER",
      warehouse_id: shop.warehouseId,
      payment: {
        currency: "VND",
        sub_total: String(total),
        shipping_fee: "0",
        seller_discount: "0",
        platform_discount: "0",
        original_total_product_price: String(total),
        total_amount: String(total),
      },
      recipient_address: {
        name: o.buyer_name,
        full_address: "Phường Tân Lợi, Buôn Ma Thuột, Đắk Lắk",
        region_code: "VN",
      },
      line_items: o.line_items.map((l) => ({
        id: l.id,
        sku_id: l.sku_id,
        seller_sku: l.seller_sku,
        product_id: l.product_id,
        product_name: l.product_name,
        sku_name: l.sku_name,
        currency: "VND",
        sale_price: String(l.sale_price),
        original_price: String(l.sale_price),
        display_status: o.status,
      })),
      packages: [{ id: o.package_id }],
    };
  }

  private moveOrder(shop: ShopState, order: Order, status: string): void {
    if (status === "CANCELLED" && order.status !== "CANCELLED") {
      for (const l of order.line_items) {
        const found = this.findSku(shop, l.seller_sku);
        if (found) found.sku.inventory[0].quantity += 1;
      }
    }
    order.status = status;
    order.update_time = Math.max(order.update_time, this.nowS());
    this.queueOrderWebhook(shop, order);
  }

  // ---------- webhooks ----------

  private queueOrderWebhook(shop: ShopState, order: Order): void {
    if (!this.webhookTarget) return;
    this.webhookQueue.push({
      type: 1,
      tts_notification_id: this.nextId("7327"),
      shop_id: shop.shopId,
      timestamp: this.nowS(),
      data: {
        order_id: order.id,
        order_status: order.status,
        is_on_hold_order: false,
        update_time: order.update_time,
      },
      appKey: shop.appKey,
    });
    if (this.webhookQueue.length === 1) setImmediate(() => this.drainWebhooks());
  }

  private drainWebhooks(): void {
    if (this.webhookQueue.length === 0) return;
    const target = this.webhookTarget;
    let batch = this.webhookQueue;
    this.webhookQueue = [];
    if (!target) return;
    const copies = Math.max(1, this.faults.webhookDuplicates);
    batch = batch.flatMap((w) => Array.from({ length: copies }, () => w));
    if (this.faults.webhookShuffle) batch = shuffle(batch);
    // Each notification is its own request, in parallel, as TikTok sends them: one slow answer from
    // the receiver must not hold back the rest (the chain only lets flushWebhooks wait for all).
    const run = Promise.all(
      batch.map(async (item) => {
        const { appKey, ...payload } = item as { appKey: string };
        const body = JSON.stringify(payload);
        const secret = this.apps.get(appKey)!;
        try {
          await fetch(target, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              authorization: tiktokWebhookSignature(appKey, secret, body),
            },
            body,
            signal: AbortSignal.timeout(3000),
          });
        } catch {
          // TikTok retries later; the sandbox just drops an undelivered notification.
        }
      }),
    );
    this.webhookChain = Promise.all([this.webhookChain, run]).then(() => undefined);
  }

  // ---------- helpers ----------

  private shop(shopId: string): ShopState {
    const s = this.shops.get(shopId);
    if (!s) throw new Error(`sandbox: unknown shop ${shopId}`);
    return s;
  }

  private findSku(shop: ShopState, sellerSku: string): { product: Product; sku: Sku } | null {
    for (const product of shop.products.values()) {
      if (product.status === "DELETED") continue;
      const sku = product.skus.find((s) => s.seller_sku === sellerSku);
      if (sku) return { product, sku };
    }
    return null;
  }

  private nowS(): number {
    return Math.floor(this.now() / 1000);
  }

  /** 19-digit numeric strings, like TikTok's ids. */
  private nextId(prefix: string): string {
    this.seq++;
    return prefix + String(this.seq).padStart(19 - prefix.length, "0");
  }
}

// ---------- module helpers ----------

function envelope(code: number, message: string, data: unknown): object {
  const base = { code, message, request_id: crypto.randomBytes(16).toString("hex").toUpperCase() };
  return data === undefined ? base : { ...base, data };
}

function send(res: http.ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function json(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    throw new HttpError(
      400,
      36009022,
      "Invalid request format. The request body format must be application/json.",
    );
  }
}

/** VND prices are whole đồng strings, 1 to 180,000,000 (TikTok's VN local limits). */
function parsePrice(price: unknown): number | null {
  const p = price as { amount?: unknown; currency?: unknown } | undefined;
  if (!p || p.currency !== "VND" || typeof p.amount !== "string" || !/^\d+$/.test(p.amount)) return null;
  const n = Number(p.amount);
  return n >= 1 && n <= MAX_PRICE_VND ? n : null;
}

function validQuantity(q: unknown): q is number {
  return typeof q === "number" && Number.isInteger(q) && q >= 0 && q <= MAX_QUANTITY;
}

function pageSizeOf(url: URL): number {
  const raw = url.searchParams.get("page_size");
  const n = Number(raw);
  if (!raw || !Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
    throw new HttpError(400, SANDBOX_CODES.PAGE_SIZE_INVALID, `page_size must be 1-${MAX_PAGE_SIZE}`);
  }
  return n;
}

function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString("base64url");
}

function decodeToken(token: string | null): number {
  if (!token) return 0;
  try {
    const o = (JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { o: unknown }).o;
    if (typeof o === "number" && Number.isInteger(o) && o >= 0) return o;
  } catch {
    // fall through
  }
  throw new HttpError(400, SANDBOX_CODES.PARAM_INVALID, "page_token is invalid");
}

function cmpId(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

function parseMultipart(raw: Buffer, boundary: string): Array<{ name: string; body: Buffer }> {
  const out: Array<{ name: string; body: Buffer }> = [];
  const delim = Buffer.from(`--${boundary}`);
  let pos = raw.indexOf(delim);
  while (pos !== -1) {
    const start = pos + delim.length;
    if (raw.subarray(start, start + 2).toString() === "--") break;
    const next = raw.indexOf(delim, start);
    if (next === -1) break;
    const part = raw.subarray(start + 2, next - 2); // skip CRLF after the delimiter and before the next one
    const split = part.indexOf("\r\n\r\n");
    if (split !== -1) {
      const head = part.subarray(0, split).toString("utf8");
      const name = /name="([^"]*)"/i.exec(head)?.[1];
      if (name) out.push({ name, body: part.subarray(split + 4) });
    }
    pos = next;
  }
  return out;
}

function shuffle<T>(items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
