/**
 * The Tiki connector: Tiki Open API (api.tiki.vn/integration, v2/v2.1) behind the hub's one
 * MarketplaceConnector interface. Price and stock go through the batch `updateSkus` call, listings
 * through asynchronous product requests, orders through the v2 order list split into windows and
 * pages. See README.md in this folder for limits, quirks and what is not supported.
 */
import type {
  AppCredentials,
  AuthorizationRequest,
  BatchLimits,
  Capability,
  ChannelContext,
  CodeExchange,
  ContentReview,
  ContentReviewState,
  ItemResult,
  ListingDraft,
  MarketplaceConnector,
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
import { MarketplaceHttpClient } from "../http/marketplace-http.client";
import { ConnectorError, NeedsReauthError, type OutgoingRequest } from "../http/types";
import { pickWarehouse, tikiAuthorizationUrl, tikiExchangeCode, tikiRefresh } from "./tiki.auth";
import { classifyTiki } from "./tiki.errors";
import {
  formatTikiTime,
  stockOf,
  toCreateRequest,
  toOrder,
  toOrderSummary,
  toRemoteAttribute,
  toRemoteCategory,
  toRemoteListings,
  toUpdateInfoRequest,
  toWebhookEvent,
  withdrawsClaim,
  type TikiAttribute,
  type TikiAttributeValue,
  type TikiCategory,
  type TikiEvent,
  type TikiList,
  type TikiOrder,
  type TikiProduct,
  type TikiRequestAck,
  type TikiSkuUpdateResult,
  type TikiTracking,
  type TikiWarehouse,
} from "./tiki.mapper";
import { signTiki, TIKI_SIGNATURE_HEADER, verifyWebhookSignature } from "./tiki.signing";
import { chunk, mapLimit } from "../../../common/collections";

export const TIKI_LIMITS: BatchLimits = {
  pricePerCall: 50,
  stockPerCall: 50,
  perItemCalls: false,
  variantsPerListing: 100,
  orderDetailPerCall: 1,
  orderPageSize: 50,
  orderWindowSeconds: 30 * 86_400,
  readbackPerCall: 1,
};

/** Page size of the product list (the docs mention at most 100). */
export const TIKI_PRODUCT_PAGE_SIZE = 100;

/** Parallel single-item calls (order detail, read-back); the rate budget still paces them. */
const DETAIL_CONCURRENCY = 4;

const CAPABILITIES: Capability[] = [
  "catalog.read",
  "listing.upsert",
  "listing.list",
  "price.push",
  "stock.push",
  "readback",
  "order.pull",
  "order.detail",
  "webhook",
  "content.review",
];

/** A failed call → the per-item result; losing the authorization is never an item's failure. */
function failure(key: string, e: unknown): ItemResult {
  if (e instanceof NeedsReauthError || !(e instanceof ConnectorError)) throw e;
  return {
    key,
    outcome: e.retriable ? "failed_retriable" : "failed_fatal",
    remoteCode: e.code,
    remoteMessage: e.remoteMessage,
  };
}

function isNotFound(e: unknown): boolean {
  return e instanceof ConnectorError && e.kind === "fatal" && e.status === 404;
}

interface OrderCursor {
  /** Start of the current sub-window, ms. */
  f: number;
  /** Page within it, from 1. */
  p: number;
}

const encodeCursor = (c: OrderCursor) => Buffer.from(JSON.stringify(c)).toString("base64url");
function decodeCursor(text: string): OrderCursor {
  const c = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as OrderCursor;
  if (!Number.isFinite(c.f) || !Number.isInteger(c.p) || c.p < 1)
    throw new Error(`tiki: bad order cursor ${text}`);
  return c;
}

export class TikiConnector implements MarketplaceConnector {
  readonly code = "tiki" as const;
  readonly displayName = "Tiki";
  readonly defaultBaseUrl = "https://api.tiki.vn";
  readonly capabilities: ReadonlySet<Capability> = new Set(CAPABILITIES);
  readonly limits = TIKI_LIMITS;
  /** Tiki's maintainers state 100 requests/s per seller (tikivn/open-api-docs#150); see README. */
  readonly ratePolicy: RatePolicy = { requestsPerSecond: 100, burst: 20 };
  private readonly client: MarketplaceHttpClient;
  /** Warehouse ids learnt lazily for channels connected without one in credentials.extra. */
  private readonly warehouses = new Map<string, string>();

  constructor(opts: { timeoutMs?: number; maxAttempts?: number } = {}) {
    this.client = new MarketplaceHttpClient({
      marketplace: "tiki",
      sign: signTiki,
      classify: classifyTiki,
      ratePolicy: this.ratePolicy,
      ...opts,
    });
  }

  // ---------- auth ----------

  authorizationUrl(req: AuthorizationRequest): string {
    return tikiAuthorizationUrl(req);
  }

  exchangeCode(req: CodeExchange): Promise<TokenSet> {
    return tikiExchangeCode(this.client, req);
  }

  refreshToken(ctx: ChannelContext): Promise<void> {
    return tikiRefresh(this.client, ctx);
  }

  private call<T>(
    ctx: ChannelContext,
    req: Omit<OutgoingRequest, "auth" | "headers"> & { headers?: Record<string, string> },
  ) {
    return this.client.send<T>(ctx, { headers: {}, auth: "shop", ...req }, () => this.refreshToken(ctx));
  }

  private async warehouseId(ctx: ChannelContext): Promise<string> {
    const stored = (await ctx.credentials.load()).extra?.warehouseId;
    if (stored) return stored;
    const cached = this.warehouses.get(ctx.channelId);
    if (cached) return cached;
    const list = await this.call<TikiList<TikiWarehouse>>(ctx, {
      method: "GET",
      path: "/integration/v2/sellers/me/warehouses",
      query: {},
      endpoint: "seller.warehouses",
    });
    const id = pickWarehouse(list.data ?? []);
    if (!id)
      throw new ConnectorError(
        "tiki",
        "fatal",
        "NO_WAREHOUSE",
        "the seller has no active warehouse",
        "seller.warehouses",
      );
    this.warehouses.set(ctx.channelId, id);
    return id;
  }

  // ---------- catalogue data ----------

  async getCategories(ctx: ChannelContext): Promise<RemoteCategory[]> {
    const level = (parent: number | null) =>
      this.call<TikiList<TikiCategory>>(ctx, {
        method: "GET",
        path: "/integration/v2/categories",
        query: parent === null ? {} : { parent },
        endpoint: "category.list",
      }).then((r) => r.data ?? []);
    const out: RemoteCategory[] = [];
    // Walk down level by level; only primary (leaf) categories accept products.
    let current = await level(null);
    while (current.length > 0) {
      out.push(...current.map(toRemoteCategory));
      const parents = current.filter((c) => !c.primary);
      current = (await mapLimit(parents, DETAIL_CONCURRENCY, (c) => level(c.id))).flat();
    }
    return out;
  }

  async getCategoryAttributes(ctx: ChannelContext, categoryId: string): Promise<RemoteAttribute[]> {
    const attrs = await this.call<TikiList<TikiAttribute>>(ctx, {
      method: "GET",
      path: `/integration/v2/categories/${encodeURIComponent(categoryId)}/attributes`,
      query: {},
      endpoint: "category.attributes",
    });
    return mapLimit(attrs.data ?? [], DETAIL_CONCURRENCY, async (a) => {
      if (a.input_type !== "select" && a.input_type !== "multiselect" && a.input_type !== "dropdown") {
        return toRemoteAttribute(a, null);
      }
      const values = await this.call<TikiList<TikiAttributeValue>>(ctx, {
        method: "GET",
        path: `/integration/v2/attributes/${a.id}/values`,
        query: {},
        endpoint: "attribute.values",
      });
      return toRemoteAttribute(a, values.data ?? []);
    });
  }

  // ---------- listings ----------

  async upsertListings(ctx: ChannelContext, drafts: ListingDraft[]): Promise<ItemResult[]> {
    const out: ItemResult[] = [];
    for (const d of drafts) {
      if (d.variants.length === 0 || d.variants.length > this.limits.variantsPerListing) {
        out.push({
          key: d.key,
          outcome: "failed_fatal",
          remoteCode: "VARIANT_COUNT",
          remoteMessage: `a Tiki product takes 1 to ${this.limits.variantsPerListing} variants, got ${d.variants.length}`,
        });
        continue;
      }
      try {
        out.push(d.externalItemId ? await this.updateListing(ctx, d) : await this.createListing(ctx, d));
      } catch (e) {
        out.push(failure(d.key, e));
      }
    }
    return out;
  }

  private async createListing(ctx: ChannelContext, d: ListingDraft): Promise<ItemResult> {
    const warehouseId = await this.warehouseId(ctx);
    const ack = await this.call<TikiRequestAck>(ctx, {
      method: "POST",
      path: "/integration/v2.1/requests",
      query: {},
      body: toCreateRequest(d, warehouseId),
      endpoint: "product.request.create",
    });
    const t = await this.call<TikiTracking>(ctx, {
      method: "GET",
      path: `/integration/v2/tracking/${encodeURIComponent(ack.track_id)}`,
      query: {},
      endpoint: "product.request.tracking",
    });
    if (t.state === "rejected") {
      return {
        key: d.key,
        outcome: "failed_fatal",
        remoteCode: "REQUEST_REJECTED",
        remoteMessage: t.reason ?? "rejected",
      };
    }
    if (t.state === "approved")
      return {
        key: d.key,
        outcome: "applied",
        externalItemId: t.product_id ? String(t.product_id) : undefined,
      };
    // Still in Tiki's review: nothing to link yet. The listing stays PENDING and the request is
    // followed (followContentReviews) until Tiki approves or rejects it.
    return {
      key: d.key,
      outcome: "skipped",
      remoteCode: "LISTING_IN_REVIEW",
      remoteMessage: `product request ${t.request_id} is ${t.state} (in review)`,
      review: { trackId: ack.track_id, hidden: false },
    };
  }

  /**
   * An existing Tiki product. Price and stock of its variants go through updateSkus (applied at once,
   * never touching the active flag). Content goes through Tiki's reviewed update request
   * (requests/updateProductInfo, followed by tracking). While Tiki reviews it, buyers still see the
   * old content: when that content claims an OCOP star the new one withdraws or lowers, the product
   * is first set inactive (updateSku `active: 0`, applied at once) so no false claim stays on sale;
   * it is set active again when the review is approved (here or in followContentReviews).
   */
  private async updateListing(ctx: ChannelContext, d: ListingDraft): Promise<ItemResult> {
    const warehouseId = await this.warehouseId(ctx);
    const refs = this.refsOf(d);
    const rows = d.variants.map((v, i) => ({
      key: v.sku,
      body: {
        ...this.ref(refs[i]),
        price: v.priceVnd,
        seller_warehouse: warehouseId,
        warehouse_quantities: [{ warehouse_id: Number(warehouseId), qty_available: v.stock }],
      },
    }));
    const results = await this.updateSkus(ctx, rows);
    const bad = results.find((r) => r.outcome !== "applied");
    if (bad) return { ...bad, key: d.key, remoteMessage: `${bad.key}: ${bad.remoteMessage ?? ""}` };
    const productId = Number(d.externalItemId);
    if (!Number.isInteger(productId)) {
      return {
        key: d.key,
        outcome: "failed_fatal",
        remoteCode: "PRODUCT_ID_UNKNOWN",
        remoteMessage: `cannot request a content update without Tiki's product id (got ${d.externalItemId})`,
      };
    }
    // What buyers see now decides whether to hide the product during the review.
    // (each variant is its own Tiki product and they share the content: the first one tells).
    const first = refs[0];
    const byId = !!first.externalSkuId && /^\d+$/.test(first.externalSkuId);
    const live = await this.call<TikiProduct>(ctx, {
      method: "GET",
      path: byId ? `/integration/v2.1/products/${first.externalSkuId}` : "/integration/v2.1/products/findBy",
      query: byId ? {} : { original_sku: first.sku },
      endpoint: "product.get",
    });
    const withdraws = d.ocopStar !== undefined && withdrawsClaim(live, d.ocopStar);
    if (withdraws) await this.setActive(ctx, refs, 0);
    // Hidden by an earlier edit still in review: stays hidden until this one is approved.
    const hide = withdraws || !!d.hiddenForReview;
    const ack = await this.call<TikiRequestAck>(ctx, {
      method: "POST",
      path: "/integration/v2/requests/updateProductInfo",
      query: {},
      body: toUpdateInfoRequest(d, productId),
      endpoint: "product.request.update",
    });
    const [t] = await this.followContentReviews(ctx, [{ trackId: ack.track_id, hidden: hide, refs }]);
    const review = { trackId: ack.track_id, hidden: hide };
    if (t.state === "rejected") {
      return {
        key: d.key,
        outcome: "failed_fatal",
        remoteCode: "REQUEST_REJECTED",
        remoteMessage: `${t.reason ?? "rejected"}${hide ? " (product left hidden: what buyers would see still claims the old OCOP star)" : ""}`,
        externalItemId: d.externalItemId!,
        review,
      };
    }
    if (t.state === "approved") return { key: d.key, outcome: "applied", externalItemId: d.externalItemId! };
    // Still in review: price and stock are live, the content is not yet ("skipped" keeps it pending).
    return {
      key: d.key,
      outcome: "skipped",
      externalItemId: d.externalItemId!,
      remoteCode: hide ? "HIDDEN_PENDING_REVIEW" : "CONTENT_IN_REVIEW",
      remoteMessage: `update request ${ack.request_id ?? ack.track_id} is in Tiki's review (track ${ack.track_id})${
        hide ? "; product hidden until it is approved" : ""
      }`,
      review,
    };
  }

  /** The remote refs of a draft's variants. */
  private refsOf(d: ListingDraft): RemoteRef[] {
    return d.variants.map((v) => ({
      sku: v.sku,
      externalItemId: d.externalItemId!,
      externalSkuId: v.externalSkuId,
    }));
  }

  /** Shows (1) or hides (0) products at once with updateSku, which Tiki approves automatically. */
  private async setActive(ctx: ChannelContext, refs: RemoteRef[], active: 0 | 1): Promise<void> {
    await mapLimit(refs, DETAIL_CONCURRENCY, (r) =>
      this.call<{ state?: string; errors?: string[] }>(ctx, {
        method: "PUT",
        path: "/integration/v2.1/products/updateSku",
        query: {},
        body: { ...this.ref(r), active },
        endpoint: "product.update_sku",
      }).then((res) => {
        if (res.errors?.length)
          throw new ConnectorError(
            "tiki",
            "fatal",
            "UPDATE_FAILED",
            res.errors.join("; "),
            "product.update_sku",
          );
      }),
    );
  }

  /**
   * The state of reviewed content edits (GET tracking/{track_id}); an approved edit whose product was
   * hidden for the review is set active again. A track id Tiki no longer knows (they expire after
   * 30 days) counts as rejected.
   */
  async followContentReviews(ctx: ChannelContext, reviews: ContentReview[]): Promise<ContentReviewState[]> {
    return mapLimit(reviews, DETAIL_CONCURRENCY, async (r) => {
      let t: TikiTracking;
      try {
        t = await this.call<TikiTracking>(ctx, {
          method: "GET",
          path: `/integration/v2/tracking/${encodeURIComponent(r.trackId)}`,
          query: {},
          endpoint: "product.request.tracking",
        });
      } catch (e) {
        if (!isNotFound(e)) throw e;
        return { trackId: r.trackId, state: "rejected", reason: "tracking id not found", reactivated: false };
      }
      if (t.state === "rejected")
        return { trackId: r.trackId, state: "rejected", reason: t.reason ?? "rejected", reactivated: false };
      if (t.state !== "approved")
        return { trackId: r.trackId, state: "in_review", reason: null, reactivated: false };
      if (r.hidden) await this.setActive(ctx, r.refs, 1);
      return { trackId: r.trackId, state: "approved", reason: null, reactivated: r.hidden };
    });
  }

  private ref(r: RemoteRef): Record<string, string | number> {
    // Tiki accepts either its product id or the seller SKU; the id is exact once we know it.
    return r.externalSkuId && /^\d+$/.test(r.externalSkuId)
      ? { product_id: Number(r.externalSkuId) }
      : { original_sku: r.sku };
  }

  /** One updateSkus call per `pricePerCall` rows; one ItemResult per row, in order. */
  private async updateSkus(
    ctx: ChannelContext,
    rows: Array<{ key: string; body: Record<string, unknown> }>,
  ): Promise<ItemResult[]> {
    const out: ItemResult[] = [];
    for (const batch of chunk(rows, this.limits.pricePerCall)) {
      let res: TikiList<TikiSkuUpdateResult>;
      try {
        res = await this.call<TikiList<TikiSkuUpdateResult>>(ctx, {
          method: "PUT",
          path: "/integration/v2.1/products/updateSkus",
          query: {},
          body: { data: batch.map((r) => r.body) },
          endpoint: "product.update_skus",
        });
      } catch (e) {
        out.push(...batch.map((r) => failure(r.key, e)));
        continue;
      }
      batch.forEach((r, i) => {
        const item = res.data?.[i];
        if (!item) {
          out.push({
            key: r.key,
            outcome: "failed_retriable",
            remoteCode: "NO_RESULT",
            remoteMessage: "Tiki returned no result for this item",
          });
        } else if (item.success) {
          out.push({
            key: r.key,
            outcome: "applied",
            externalSkuId: item.product_id ? String(item.product_id) : undefined,
          });
        } else {
          out.push({
            key: r.key,
            outcome: "failed_fatal",
            remoteCode: item.message_code ?? "UPDATE_FAILED",
            remoteMessage: (item.errors ?? []).join("; "),
          });
        }
      });
    }
    return out;
  }

  pushPrices(ctx: ChannelContext, updates: PriceUpdate[]): Promise<ItemResult[]> {
    return this.updateSkus(
      ctx,
      updates.map((u) => ({ key: u.sku, body: { ...this.ref(u), price: u.priceVnd } })),
    );
  }

  async pushStock(ctx: ChannelContext, updates: StockUpdate[]): Promise<ItemResult[]> {
    if (updates.length === 0) return [];
    const warehouseId = await this.warehouseId(ctx);
    return this.updateSkus(
      ctx,
      updates.map((u) => ({
        key: u.sku,
        body: {
          ...this.ref(u),
          seller_warehouse: warehouseId,
          warehouse_quantities: [{ warehouse_id: Number(warehouseId), qty_available: u.stock }],
        },
      })),
    );
  }

  async listListings(ctx: ChannelContext, cursor: string | null): Promise<Page<RemoteListing>> {
    const page = cursor ? Number(cursor) : 1;
    const [res, warehouseId] = await Promise.all([
      this.call<TikiList<TikiProduct>>(ctx, {
        method: "GET",
        path: "/integration/v2.1/products",
        query: { page, limit: TIKI_PRODUCT_PAGE_SIZE, include: "inventory" },
        endpoint: "product.list",
      }),
      this.warehouseId(ctx),
    ]);
    const last = res.paging?.last_page ?? page;
    return {
      items: toRemoteListings(res.data ?? [], warehouseId),
      nextCursor: page < last ? String(page + 1) : null,
    };
  }

  async readBack(ctx: ChannelContext, refs: RemoteRef[]): Promise<RemoteState[]> {
    const warehouseId = await this.warehouseId(ctx);
    return mapLimit(refs, DETAIL_CONCURRENCY, async (r) => {
      const byId = r.externalSkuId && /^\d+$/.test(r.externalSkuId);
      try {
        const p = await this.call<TikiProduct>(ctx, {
          method: "GET",
          path: byId ? `/integration/v2.1/products/${r.externalSkuId}` : "/integration/v2.1/products/findBy",
          query: byId ? { include: "inventory" } : { original_sku: r.sku, include: "inventory" },
          endpoint: "product.get",
        });
        return {
          ...r,
          externalSkuId: String(p.product_id),
          priceVnd: p.price,
          stock: stockOf(p, warehouseId),
          found: true,
        };
      } catch (e) {
        if (isNotFound(e)) return { ...r, priceVnd: null, stock: null, found: false };
        throw e;
      }
    });
  }

  // ---------- orders ----------

  /**
   * One page per call. The window is cut into sub-windows of `orderWindowSeconds`; the cursor says
   * which sub-window and page come next. Filtering on updated_at catches status changes too.
   */
  async listOrders(
    ctx: ChannelContext,
    window: OrderWindow,
    cursor: string | null,
  ): Promise<Page<OrderSummary>> {
    const c = cursor ? decodeCursor(cursor) : { f: window.from, p: 1 };
    const subTo = Math.min(window.to, c.f + this.limits.orderWindowSeconds * 1000);
    const res = await this.call<TikiList<TikiOrder>>(ctx, {
      method: "GET",
      path: "/integration/v2/orders",
      query: {
        page: c.p,
        limit: this.limits.orderPageSize,
        updated_from_date: formatTikiTime(c.f),
        // Tiki's bounds are inclusive and to the second; the window's end is exclusive.
        updated_to_date: formatTikiTime(subTo - 1),
        order_by: "updated_at|asc",
      },
      endpoint: "order.list",
    });
    const last = res.paging?.last_page ?? c.p;
    const next: OrderCursor | null =
      c.p < last ? { f: c.f, p: c.p + 1 } : subTo < window.to ? { f: subTo, p: 1 } : null;
    return { items: (res.data ?? []).map(toOrderSummary), nextCursor: next ? encodeCursor(next) : null };
  }

  async getOrders(ctx: ChannelContext, externalOrderIds: string[]): Promise<Order[]> {
    const found = await mapLimit(externalOrderIds, DETAIL_CONCURRENCY, async (code) => {
      try {
        const o = await this.call<TikiOrder>(ctx, {
          method: "GET",
          path: `/integration/v2/orders/${encodeURIComponent(code)}`,
          query: { include: "items" },
          endpoint: "order.detail",
        });
        return toOrder(o);
      } catch (e) {
        if (isNotFound(e)) return null;
        throw e;
      }
    });
    return found.filter((o): o is Order => o !== null);
  }

  // ---------- webhooks ----------

  verifyWebhook(req: WebhookRequest, app: AppCredentials): boolean {
    const header = Object.entries(req.headers).find(([k]) => k.toLowerCase() === TIKI_SIGNATURE_HEADER)?.[1];
    return verifyWebhookSignature(app.appSecret, req.rawBody, header);
  }

  /** Accepts one event, a JSON array of events, or a pulled batch `{events: […]}`. */
  parseWebhook(req: WebhookRequest): WebhookEvent[] {
    const body = JSON.parse(req.rawBody.toString("utf8")) as unknown;
    const events: TikiEvent[] = Array.isArray(body)
      ? body
      : body && typeof body === "object" && Array.isArray((body as { events?: unknown }).events)
        ? (body as { events: TikiEvent[] }).events
        : [body as TikiEvent];
    return events.map(toWebhookEvent);
  }
}
