/**
 * TikTok Shop Partner API (202309) connector: OAuth, catalogue data, image upload, listing
 * create/edit, per-product price and stock pushes, product search for linking and read-back,
 * order search by update-time windows, order detail, package shipping and webhooks. Every call
 * goes through the shared MarketplaceHttpClient with this folder's sign and classify hooks.
 */
import crypto from "node:crypto";
import type {
  AppCredentials,
  AuthorizationRequest,
  BatchLimits,
  Capability,
  ChannelContext,
  CodeExchange,
  ItemResult,
  ListingDraft,
  MarketplaceConnector,
  NormalizedOrderStatus,
  Order,
  OrderSummary,
  OrderWindow,
  Page,
  PriceUpdate,
  RatePolicy,
  RemoteAttribute,
  RemoteCategory,
  RemoteListing,
  RemoteRef,
  RemoteState,
  StockUpdate,
  TokenSet,
  WebhookEvent,
  WebhookRequest,
} from "../connector";
import { MarketplaceHttpClient, type MarketplaceHttpClientOptions } from "../http/marketplace-http.client";
import { ConnectorError, NeedsReauthError, type HttpMethod, type OutgoingRequest } from "../http/types";
import {
  API_HOST,
  authHostFor,
  authorizedShopsRequest,
  buildAuthorizationUrl,
  pickShop,
  tokenGetRequest,
  tokenRefreshRequest,
  toTokenSet,
  type WireShop,
  type WireToken,
} from "./tiktok-shop.auth";
import { classifyTiktokResponse, type TiktokEnvelope } from "./tiktok-shop.errors";
import {
  normalizeOrderStatus,
  skuPrice,
  skuStock,
  toOrder,
  toOrderSummary,
  toRemoteAttribute,
  toRemoteCategory,
  toRemoteListing,
  toWireProduct,
  wirePrice,
  type WireAttribute,
  type WireCategory,
  type WireOrder,
  type WireProduct,
} from "./tiktok-shop.mapper";
import { sameSignature, signTiktokRequest, tiktokWebhookSignature } from "./tiktok-shop.signing";

const CODE = "tiktok-shop" as const;
const MAX_PRICE_VND = 180_000_000;

/**
 * Price errors that concern the whole product (not one SKU): splitting the call cannot help, so
 * every SKU of the call fails with it. 12052048 not this seller's product, 12019113 product not
 * live, 12019045 / 12052038 price locked by a promotion.
 */
const PRODUCT_LEVEL_CODES = new Set(["12052048", "12019113", "12019045", "12052038"]);

export interface TiktokShopConnectorOptions {
  /** Partner Center service id for the auth link; defaults to TIKTOK_SHOP_SERVICE_ID. */
  serviceId?: string | null;
  /** Overrides for the HTTP client (tests pass a fast sleep or fewer attempts). */
  http?: Partial<Omit<MarketplaceHttpClientOptions, "marketplace" | "sign" | "classify">>;
}

interface OrderCursor {
  /** Start of the current sub-window, ms. */
  s: number;
  /** TikTok's page_token inside that sub-window. */
  t: string | null;
}

export class TiktokShopConnector implements MarketplaceConnector {
  readonly code = CODE;
  readonly displayName = "TikTok Shop";
  readonly defaultBaseUrl = API_HOST;
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>([
    "catalog.read",
    "image.upload",
    "listing.upsert",
    "listing.list",
    "price.push",
    "stock.push",
    "readback",
    "order.pull",
    "order.detail",
    "order.status",
    "webhook",
  ]);
  readonly limits: BatchLimits = {
    // SKUs of ONE product per call; a product has at most 100 SKUs in SEA.
    pricePerCall: 100,
    stockPerCall: 100,
    perItemCalls: true,
    variantsPerListing: 100,
    orderDetailPerCall: 50,
    orderPageSize: 100,
    // TikTok documents no maximum; a week keeps each search and its page_token chain short.
    orderWindowSeconds: 7 * 86_400,
    // One product search page (page_size ≤ 100) filtered by seller_skus.
    readbackPerCall: 100,
  };
  readonly ratePolicy: RatePolicy = { requestsPerSecond: 50, burst: 50 };

  private readonly client: MarketplaceHttpClient;
  private readonly serviceId: string | null;
  /** Default warehouse per channel: product creation must name one. */
  private readonly warehouses = new Map<string, Promise<string>>();

  constructor(opts: TiktokShopConnectorOptions = {}) {
    this.serviceId = opts.serviceId ?? process.env.TIKTOK_SHOP_SERVICE_ID ?? null;
    this.client = new MarketplaceHttpClient({
      ratePolicy: this.ratePolicy,
      ...opts.http,
      marketplace: CODE,
      sign: signTiktokRequest,
      classify: classifyTiktokResponse,
    });
  }

  // ---------- auth ----------

  authorizationUrl(req: AuthorizationRequest): string {
    return buildAuthorizationUrl(req, this.serviceId);
  }

  async exchangeCode(req: CodeExchange): Promise<TokenSet> {
    const code = req.callbackParams.code;
    if (!code || code === "null" || req.callbackParams.error) {
      throw new NeedsReauthError(
        CODE,
        req.callbackParams.error ?? "auth_denied",
        "the seller did not authorize the app",
        "token.get",
      );
    }
    const token = await this.client.sendApp<TiktokEnvelope<WireToken>>(
      authHostFor(req.baseUrl),
      req.app,
      tokenGetRequest(req.app, code),
    );
    const shops = await this.client.sendApp<TiktokEnvelope<{ shops: WireShop[] }>>(
      req.baseUrl,
      req.app,
      authorizedShopsRequest(token.data!.access_token),
    );
    const shop = pickShop(shops.data?.shops ?? []);
    if (!shop)
      throw new ConnectorError(
        CODE,
        "fatal",
        "NO_SHOP",
        "the authorization covers no shop",
        "authorization.shops",
      );
    return toTokenSet(token.data!, shop);
  }

  async refreshToken(ctx: ChannelContext): Promise<void> {
    const seen = await ctx.credentials.load();
    await ctx.credentials.refreshExclusive(seen.accessToken, async (current) => {
      if (!current.refreshToken)
        throw new NeedsReauthError(CODE, "NO_REFRESH_TOKEN", "no refresh token stored", "token.refresh");
      const app = { appKey: current.appKey, appSecret: current.appSecret };
      try {
        const res = await this.client.sendApp<TiktokEnvelope<WireToken>>(
          authHostFor(ctx.baseUrl),
          app,
          tokenRefreshRequest(app, current.refreshToken),
        );
        return toTokenSet(res.data!, null);
      } catch (e) {
        // A refused refresh token cannot be retried into working: the seller must authorize again.
        if (e instanceof ConnectorError && e.kind === "fatal") {
          throw new NeedsReauthError(CODE, e.code, e.remoteMessage, "token.refresh");
        }
        throw e;
      }
    });
  }

  // ---------- catalogue ----------

  async getCategories(ctx: ChannelContext): Promise<RemoteCategory[]> {
    const data = await this.call<{ categories: WireCategory[] }>(
      ctx,
      "GET",
      "/product/202309/categories",
      "product.categories",
      {
        query: { locale: "vi-VN" },
      },
    );
    return (data.categories ?? []).map(toRemoteCategory);
  }

  async getCategoryAttributes(ctx: ChannelContext, categoryId: string): Promise<RemoteAttribute[]> {
    const data = await this.call<{ attributes: WireAttribute[] }>(
      ctx,
      "GET",
      `/product/202309/categories/${encodeURIComponent(categoryId)}/attributes`,
      "product.attributes",
      { query: { locale: "vi-VN" } },
    );
    // Sales properties are the variant axes; variants carry them as "Quy cách", not as attributes.
    return (data.attributes ?? []).filter((a) => a.type !== "SALES_PROPERTY").map(toRemoteAttribute);
  }

  async uploadImage(
    ctx: ChannelContext,
    image: { bytes: Buffer; filename: string; contentType: string },
  ): Promise<string> {
    const form = new FormData();
    form.append("data", new Blob([new Uint8Array(image.bytes)], { type: image.contentType }), image.filename);
    form.append("use_case", "MAIN_IMAGE");
    const data = await this.call<{ uri: string }>(
      ctx,
      "POST",
      "/product/202309/images/upload",
      "product.images_upload",
      {
        body: form,
      },
    );
    return data.uri;
  }

  // ---------- listings ----------

  async upsertListings(ctx: ChannelContext, drafts: ListingDraft[]): Promise<ItemResult[]> {
    const results: ItemResult[] = [];
    for (const d of drafts) {
      if (d.variants.length < 1 || d.variants.length > this.limits.variantsPerListing) {
        results.push(
          fatal(d.key, "TOO_MANY_VARIANTS", `a listing needs 1-${this.limits.variantsPerListing} variants`),
        );
        continue;
      }
      try {
        const warehouseId = await this.defaultWarehouse(ctx);
        const body = toWireProduct(d, warehouseId);
        const data = d.externalItemId
          ? await this.call<SavedProduct>(
              ctx,
              "PUT",
              `/product/202309/products/${d.externalItemId}`,
              "product.edit",
              { body },
            )
          : await this.call<SavedProduct>(ctx, "POST", "/product/202309/products", "product.create", {
              // Makes a retried create (timeout after TikTok stored it) return the same product.
              body: { ...body, idempotency_key: idempotencyKey(ctx, d) },
            });
        const bySku = new Map(data.skus.map((s) => [s.seller_sku, s.id]));
        const variants = d.variants.map((v) => ({ sku: v.sku, externalSkuId: bySku.get(v.sku) ?? "" }));
        results.push({
          key: d.key,
          outcome: "applied",
          externalItemId: data.product_id,
          externalSkuId: variants[0]?.externalSkuId,
          variants,
        });
      } catch (e) {
        results.push(failure(d.key, e));
      }
    }
    return results;
  }

  async listListings(ctx: ChannelContext, cursor: string | null): Promise<Page<RemoteListing>> {
    const data = await this.searchProducts(ctx, {}, cursor);
    return { items: (data.products ?? []).map(toRemoteListing), nextCursor: data.next_page_token || null };
  }

  async pushPrices(ctx: ChannelContext, updates: PriceUpdate[]): Promise<ItemResult[]> {
    return this.perProduct(updates, this.limits.pricePerCall, async (productId, items) => {
      const out = new Map<PriceUpdate, ItemResult>();
      const valid = items.filter((u) => {
        if (Number.isSafeInteger(u.priceVnd) && u.priceVnd >= 1 && u.priceVnd <= MAX_PRICE_VND) return true;
        out.set(u, fatal(u.sku, "INVALID_PRICE", `price must be 1-${MAX_PRICE_VND} VND, got ${u.priceVnd}`));
        return false;
      });
      await this.pushPriceGroup(ctx, productId, valid, out);
      return items.map((u) => out.get(u)!);
    });
  }

  /**
   * TikTok rejects the whole price call for one bad SKU and says nothing per SKU; to keep the
   * good ones, a failed call is split in halves until the bad SKUs stand alone. Calls beyond the
   * first are only spent when something failed.
   */
  private async pushPriceGroup(
    ctx: ChannelContext,
    productId: string,
    items: PriceUpdate[],
    out: Map<PriceUpdate, ItemResult>,
  ): Promise<void> {
    if (items.length === 0) return;
    try {
      await this.call(
        ctx,
        "POST",
        `/product/202309/products/${productId}/prices/update`,
        "product.prices_update",
        {
          body: { skus: items.map((u) => ({ id: u.externalSkuId, price: wirePrice(u.priceVnd) })) },
        },
      );
      for (const u of items) out.set(u, applied(u));
    } catch (e) {
      if (e instanceof NeedsReauthError) throw e;
      const splittable =
        e instanceof ConnectorError && e.kind === "fatal" && !PRODUCT_LEVEL_CODES.has(e.code);
      if (items.length === 1 || !splittable) {
        for (const u of items) out.set(u, failure(u.sku, e));
        return;
      }
      const mid = Math.ceil(items.length / 2);
      await this.pushPriceGroup(ctx, productId, items.slice(0, mid), out);
      await this.pushPriceGroup(ctx, productId, items.slice(mid), out);
    }
  }

  async pushStock(ctx: ChannelContext, updates: StockUpdate[]): Promise<ItemResult[]> {
    return this.perProduct(updates, this.limits.stockPerCall, async (productId, items) => {
      try {
        // No warehouse_id: TikTok applies it to the SKU's only (default) warehouse.
        const data = await this.call<{ errors?: StockError[] }>(
          ctx,
          "POST",
          `/product/202309/products/${productId}/inventory/update`,
          "product.inventory_update",
          { body: { skus: items.map((u) => ({ id: u.externalSkuId, inventory: [{ quantity: u.stock }] })) } },
        );
        const errors = new Map((data.errors ?? []).map((er) => [String(er.detail?.sku_id ?? ""), er]));
        return items.map((u) => {
          const er = errors.get(String(u.externalSkuId));
          if (!er) return applied(u);
          const extra = er.detail?.extra_errors?.[0];
          return fatal(u.sku, String(extra?.code ?? er.code), extra?.message ?? er.message ?? "");
        });
      } catch (e) {
        if (e instanceof NeedsReauthError) throw e;
        return items.map((u) => failure(u.sku, e));
      }
    });
  }

  async readBack(ctx: ChannelContext, refs: RemoteRef[]): Promise<RemoteState[]> {
    const bySkuId = new Map<string, { price: number | null; stock: number; productId: string }>();
    const bySellerSku = new Map<
      string,
      { price: number | null; stock: number; productId: string; skuId: string }
    >();
    for (let i = 0; i < refs.length; i += this.limits.readbackPerCall) {
      const chunk = refs.slice(i, i + this.limits.readbackPerCall);
      let cursor: string | null = null;
      do {
        const data = await this.searchProducts(
          ctx,
          { seller_skus: [...new Set(chunk.map((r) => r.sku))] },
          cursor,
        );
        for (const p of data.products ?? []) {
          for (const s of p.skus ?? []) {
            const v = { price: skuPrice(s), stock: skuStock(s), productId: p.id, skuId: s.id };
            bySkuId.set(s.id, v);
            if (s.seller_sku) bySellerSku.set(s.seller_sku, v);
          }
        }
        cursor = data.next_page_token || null;
      } while (cursor);
    }
    return refs.map((r) => {
      const v = (r.externalSkuId ? bySkuId.get(r.externalSkuId) : undefined) ?? bySellerSku.get(r.sku);
      return {
        sku: r.sku,
        externalItemId: v?.productId ?? r.externalItemId,
        externalSkuId: r.externalSkuId ?? (v ? bySellerSku.get(r.sku)?.skuId : null) ?? null,
        priceVnd: v?.price ?? null,
        stock: v ? v.stock : null,
        found: !!v,
      };
    });
  }

  // ---------- orders ----------

  async listOrders(
    ctx: ChannelContext,
    window: OrderWindow,
    cursor: string | null,
  ): Promise<Page<OrderSummary>> {
    const pos: OrderCursor = cursor ? decodeCursor(cursor) : { s: window.from, t: null };
    const end = Math.min(pos.s + this.limits.orderWindowSeconds * 1000, window.to);
    const query: OutgoingRequest["query"] = {
      page_size: this.limits.orderPageSize,
      sort_field: "update_time",
      sort_order: "ASC",
    };
    if (pos.t) query.page_token = pos.t;
    const data = await this.call<{ orders?: WireOrder[]; next_page_token?: string }>(
      ctx,
      "POST",
      "/order/202309/orders/search",
      "order.search",
      { query, body: { update_time_ge: Math.floor(pos.s / 1000), update_time_lt: Math.ceil(end / 1000) } },
    );
    const next: OrderCursor | null = data.next_page_token
      ? { s: pos.s, t: data.next_page_token }
      : end < window.to
        ? { s: end, t: null }
        : null;
    return { items: (data.orders ?? []).map(toOrderSummary), nextCursor: next ? encodeCursor(next) : null };
  }

  async getOrders(ctx: ChannelContext, externalOrderIds: string[]): Promise<Order[]> {
    const byId = new Map<string, Order>();
    for (let i = 0; i < externalOrderIds.length; i += this.limits.orderDetailPerCall) {
      const ids = externalOrderIds.slice(i, i + this.limits.orderDetailPerCall);
      const data = await this.call<{ orders?: WireOrder[] }>(
        ctx,
        "GET",
        "/order/202309/orders",
        "order.detail",
        {
          query: { ids: ids.join(",") },
        },
      );
      for (const o of data.orders ?? []) byId.set(o.id, toOrder(o));
    }
    return externalOrderIds.map((id) => byId.get(id)).filter((o): o is Order => !!o);
  }

  /** Only READY_TO_SHIP is written back: it ships the order's package for carrier pickup. */
  async setOrderStatus(
    ctx: ChannelContext,
    externalOrderId: string,
    status: NormalizedOrderStatus,
  ): Promise<ItemResult> {
    if (status !== "READY_TO_SHIP") {
      return fatal(
        externalOrderId,
        "UNSUPPORTED_STATUS",
        `TikTok Shop write-back supports READY_TO_SHIP only, not ${status}`,
      );
    }
    try {
      const data = await this.call<{ orders?: WireOrder[] }>(
        ctx,
        "GET",
        "/order/202309/orders",
        "order.detail",
        {
          query: { ids: externalOrderId },
        },
      );
      const order = data.orders?.[0];
      if (!order) return fatal(externalOrderId, "ORDER_NOT_FOUND", "TikTok Shop does not know this order");
      const current = normalizeOrderStatus(order.status);
      if (current !== "PENDING") {
        return current === "READY_TO_SHIP"
          ? { key: externalOrderId, outcome: "skipped", remoteMessage: `already ${order.status}` }
          : fatal(externalOrderId, "ORDER_STATUS", `cannot ship an order in status ${order.status}`);
      }
      for (const pkg of order.packages ?? []) {
        await this.call(
          ctx,
          "POST",
          `/fulfillment/202309/packages/${pkg.id}/ship`,
          "fulfillment.ship_package",
          {
            body: { handover_method: "PICKUP" },
          },
        );
      }
      return { key: externalOrderId, outcome: "applied", externalItemId: externalOrderId };
    } catch (e) {
      if (e instanceof NeedsReauthError) throw e;
      return failure(externalOrderId, e);
    }
  }

  // ---------- webhooks ----------

  verifyWebhook(req: WebhookRequest, app: AppCredentials): boolean {
    const header = headerValue(req.headers, "authorization");
    if (!header) return false;
    return sameSignature(
      tiktokWebhookSignature(app.appKey, app.appSecret, req.rawBody),
      header.trim().toLowerCase(),
    );
  }

  /** TikTok Shop webhooks carry `timestamp` in seconds. */
  webhookSentAt(req: WebhookRequest): number | null {
    const t = (JSON.parse(req.rawBody.toString("utf8")) as { timestamp?: number }).timestamp;
    return typeof t === "number" ? t * 1000 : null;
  }

  parseWebhook(req: WebhookRequest): WebhookEvent[] {
    const raw = JSON.parse(req.rawBody.toString("utf8")) as WireWebhook;
    const shopId = raw.shop_id != null ? String(raw.shop_id) : null;
    const data = raw.data ?? {};
    const ts = typeof raw.timestamp === "number" ? raw.timestamp * 1000 : null;
    switch (raw.type) {
      case 1: {
        const orderId = String(data.order_id);
        const updated = typeof data.update_time === "number" ? data.update_time * 1000 : ts;
        return [
          {
            eventKey: `order:${orderId}:${data.order_status}:${data.update_time ?? raw.timestamp}`,
            kind: "order.status",
            shopId,
            externalOrderId: orderId,
            status: normalizeOrderStatus(String(data.order_status)),
            occurredAt: updated,
            raw,
          },
        ];
      }
      case 6:
        return [
          {
            eventKey: `deauth:${shopId}:${raw.timestamp}`,
            kind: "auth.revoked",
            shopId,
            occurredAt: ts,
            raw,
          },
        ];
      case 5:
      case 15:
      case 16:
        return [
          {
            eventKey: `product:${data.product_id}:${raw.type}:${data.update_time ?? raw.timestamp}`,
            kind: "product.changed",
            shopId,
            occurredAt: ts,
            raw,
          },
        ];
      default:
        return [
          {
            eventKey: `tts:${raw.tts_notification_id ?? `${raw.type}:${shopId}:${raw.timestamp}`}`,
            kind: "other",
            shopId,
            occurredAt: ts,
            raw,
          },
        ];
    }
  }

  // ---------- plumbing ----------

  private async call<T>(
    ctx: ChannelContext,
    method: HttpMethod,
    path: string,
    endpoint: string,
    opts: { query?: OutgoingRequest["query"]; body?: unknown } = {},
  ): Promise<T> {
    const req: OutgoingRequest = {
      method,
      path,
      query: { ...opts.query },
      headers: {},
      auth: "shop",
      endpoint,
    };
    if (opts.body !== undefined) req.body = opts.body;
    const res = await this.client.send<TiktokEnvelope<T>>(ctx, req, () => this.refreshToken(ctx));
    return (res.data ?? {}) as T;
  }

  private searchProducts(
    ctx: ChannelContext,
    filter: { seller_skus?: string[] },
    cursor: string | null,
  ): Promise<{ products?: WireProduct[]; next_page_token?: string }> {
    const query: OutgoingRequest["query"] = { page_size: 100 };
    if (cursor) query.page_token = cursor;
    return this.call(ctx, "POST", "/product/202309/products/search", "product.search", {
      query,
      body: filter,
    });
  }

  private defaultWarehouse(ctx: ChannelContext): Promise<string> {
    let p = this.warehouses.get(ctx.channelId);
    if (!p) {
      p = this.call<{ warehouses?: WireWarehouse[] }>(
        ctx,
        "GET",
        "/logistics/202309/warehouses",
        "logistics.warehouses",
      ).then((data) => {
        const sales = (data.warehouses ?? []).filter(
          (w) => w.type === "SALES_WAREHOUSE" && w.effect_status !== "DISABLED",
        );
        const w = sales.find((x) => x.is_default) ?? sales[0];
        if (!w)
          throw new ConnectorError(
            CODE,
            "fatal",
            "NO_WAREHOUSE",
            "the shop has no sales warehouse",
            "logistics.warehouses",
          );
        return w.id;
      });
      p.catch(() => this.warehouses.delete(ctx.channelId));
      this.warehouses.set(ctx.channelId, p);
    }
    return p;
  }

  /** Groups refs by product (TikTok's unit of a price/stock call), chunks, keeps input order. */
  private async perProduct<U extends RemoteRef>(
    updates: U[],
    perCall: number,
    push: (productId: string, items: U[]) => Promise<ItemResult[]>,
  ): Promise<ItemResult[]> {
    const results = new Map<U, ItemResult>();
    const groups = new Map<string, U[]>();
    for (const u of updates) {
      if (!u.externalItemId || !u.externalSkuId) {
        results.set(u, fatal(u.sku, "MISSING_REMOTE_ID", "TikTok Shop needs both product id and SKU id"));
        continue;
      }
      const g = groups.get(u.externalItemId) ?? [];
      g.push(u);
      groups.set(u.externalItemId, g);
    }
    for (const [productId, items] of groups) {
      for (let i = 0; i < items.length; i += perCall) {
        const chunk = items.slice(i, i + perCall);
        const out = await push(productId, chunk);
        chunk.forEach((u, j) => results.set(u, out[j]));
      }
    }
    return updates.map((u) => results.get(u)!);
  }
}

// ---------- helpers ----------

interface SavedProduct {
  product_id: string;
  skus: Array<{ id: string; seller_sku: string }>;
}

interface StockError {
  code?: number;
  message?: string;
  detail?: {
    sku_id?: string;
    extra_errors?: Array<{ warehouse_id?: string; code?: number; message?: string }>;
  };
}

interface WireWarehouse {
  id: string;
  type?: string;
  effect_status?: string;
  is_default?: boolean;
}

interface WireWebhook {
  type: number;
  tts_notification_id?: string;
  shop_id?: string | number;
  timestamp?: number;
  data?: { order_id?: string; order_status?: string; update_time?: number; product_id?: string };
}

function applied(u: RemoteRef): ItemResult {
  return {
    key: u.sku,
    outcome: "applied",
    externalItemId: u.externalItemId,
    externalSkuId: u.externalSkuId ?? undefined,
  };
}

function fatal(key: string, code: string, message: string): ItemResult {
  return { key, outcome: "failed_fatal", remoteCode: code, remoteMessage: message };
}

function failure(key: string, e: unknown): ItemResult {
  if (e instanceof NeedsReauthError) throw e;
  if (e instanceof ConnectorError) {
    return {
      key,
      outcome: e.retriable ? "failed_retriable" : "failed_fatal",
      remoteCode: e.code,
      remoteMessage: e.remoteMessage,
    };
  }
  throw e;
}

function idempotencyKey(ctx: ChannelContext, d: ListingDraft): string {
  return crypto.createHash("sha256").update(`${ctx.channelId}:${d.key}`).digest("hex").slice(0, 32);
}

function headerValue(headers: Record<string, string | undefined>, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

function encodeCursor(c: OrderCursor): string {
  return Buffer.from(JSON.stringify(c)).toString("base64url");
}

function decodeCursor(cursor: string): OrderCursor {
  try {
    const c = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as OrderCursor;
    if (typeof c.s === "number" && (c.t === null || typeof c.t === "string")) return c;
  } catch {
    // fall through
  }
  throw new ConnectorError(
    CODE,
    "fatal",
    "BAD_CURSOR",
    "the order cursor is not one this connector issued",
    "order.search",
  );
}
