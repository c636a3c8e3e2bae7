/**
 * The Lazada (LazOP, Vietnam) connector: OAuth, catalogue data, image upload, product create/update,
 * price and stock pushes of up to 50 SKUs per call with per-SKU outcomes, product and order reads,
 * pack + ready-to-ship write-back, and LPM push verification. All HTTP goes through the shared
 * MarketplaceHttpClient with Lazada's signing and error classification.
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
  RemoteReview,
  RemoteState,
  ReviewQuery,
  StockUpdate,
  TokenSet,
  WebhookEvent,
  WebhookRequest,
} from "../connector";
import { MarketplaceHttpClient, type MarketplaceHttpClientOptions } from "../http/marketplace-http.client";
import { ConnectorError, NeedsReauthError, type OutgoingRequest } from "../http/types";
import {
  LAZADA_API_HOST_VN,
  authApiBase,
  authorizationUrl,
  tokenSetFrom,
  type LazadaTokenAnswer,
} from "./lazada.auth";
import {
  classifyLazada,
  codeOf,
  PARTIAL_BATCH_CODES,
  type LazadaDetail,
  type LazadaEnvelope,
} from "./lazada.errors";
import {
  flattenCategories,
  isoVn,
  normalizeStatus,
  parseLazadaTime,
  priceQuantityPayload,
  productPayload,
  saleProperty,
  toOrder,
  toRemoteAttributes,
  toRemoteListing,
  type LazadaAttribute,
  type LazadaCategoryNode,
  type LazadaOrderItem,
  type LazadaOrderSummary,
  type LazadaProduct,
  type PriceQuantityRow,
} from "./lazada.mapper";
import { pushSignature, sameSignature, signLazadaRequest } from "./lazada.signing";
import { chunk } from "../../../common/collections";

export const LAZADA_LIMITS: BatchLimits = {
  pricePerCall: 50,
  stockPerCall: 50,
  perItemCalls: false,
  variantsPerListing: 50,
  orderDetailPerCall: 50,
  orderPageSize: 100,
  orderWindowSeconds: 7 * 86_400,
  readbackPerCall: 50,
};

/** Largest `offset` GetOrders accepts; past it we restart the window at the last order seen. */
const MAX_ORDER_OFFSET = 5000;
const PRODUCTS_PAGE = 50;
const FULFIL_PER_CALL = 20;
/** GetHistoryReviewIdList: windows of at most 7 days, only the last 3 months, pages 1–50. */
const REVIEW_WINDOW_MS = 7 * 86_400_000;
/** A day short of Lazada's 3 months, so a window start is never refused for being a moment too old. */
const REVIEW_HISTORY_MS = 89 * 86_400_000;
const REVIEW_MAX_PAGE = 50;
/** GetReviewListByIdList takes at most 10 ids. */
const REVIEW_DETAIL_IDS = 10;

interface ReviewCursor {
  /** Index into the query's item ids. */
  i: number;
  /** Start of the current window, ms. */
  s: number;
  /** History page (1-based). */
  p: number;
}

interface LazadaReviewWire {
  id: number | string;
  product_id?: number | string;
  sku_id?: number | string;
  order_id?: number | string;
  create_time?: number | string;
  submit_time?: number | string;
  review_content?: string;
  ratings?: { product_rating?: number | string; overall_rating?: number | string };
  seller_reply?: string;
  can_reply?: boolean | string;
}

/** The review APIs' own outcome fields, next to the gateway's `code`. */
interface ReviewEnvelope<T> {
  data?: T;
  success?: boolean;
  error_code?: string;
  error_msg?: string;
}

export interface LazadaConnectorOptions {
  http?: Partial<Omit<MarketplaceHttpClientOptions, "marketplace" | "sign" | "classify" | "ratePolicy">>;
  /** GetOrders' offset cap (5000); lower only to exercise the restart path in tests. */
  maxOrderOffset?: number;
}

interface OrderCursor {
  /** Start of the current sub-window, ms. */
  s: number;
  /** Offset inside it. */
  o: number;
}

function get(path: string, endpoint: string, query: OutgoingRequest["query"] = {}): OutgoingRequest {
  return { method: "GET", path, query, headers: {}, auth: "shop", endpoint };
}

function post(
  path: string,
  endpoint: string,
  form: Record<string, string>,
  auth: "shop" | "app" = "shop",
): OutgoingRequest {
  return { method: "POST", path, query: {}, headers: {}, body: new URLSearchParams(form), auth, endpoint };
}

/** A whole-call failure applied to every item of the batch (auth problems still propagate). */
function failAll(keys: string[], e: unknown): ItemResult[] {
  if (e instanceof NeedsReauthError || !(e instanceof ConnectorError)) throw e;
  const outcome = e.retriable ? "failed_retriable" : "failed_fatal";
  return keys.map((key) => ({ key, outcome, remoteCode: e.code, remoteMessage: e.remoteMessage }));
}

export class LazadaConnector implements MarketplaceConnector {
  readonly code = "lazada" as const;
  readonly displayName = "Lazada";
  readonly defaultBaseUrl = LAZADA_API_HOST_VN;
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>([
    "listing.upsert",
    "listing.list",
    "price.push",
    "stock.push",
    "order.pull",
    "order.detail",
    "order.status",
    "webhook",
    "catalog.read",
    "image.upload",
    "readback",
    "review.pull",
    "review.reply",
  ]);
  readonly limits = LAZADA_LIMITS;
  /** Lazada documents per-API QPS of 30–300 for the APIs that state one; we budget the shop at the lowest. */
  readonly ratePolicy: RatePolicy = { requestsPerSecond: 30, burst: 30 };

  private readonly http: MarketplaceHttpClient;
  private readonly maxOrderOffset: number;
  /** Sale property per (host, category): it rarely changes and costs a call to learn. */
  private readonly salePropCache = new Map<string, string | null>();

  constructor(opts: LazadaConnectorOptions = {}) {
    this.http = new MarketplaceHttpClient({
      ...opts.http,
      marketplace: "lazada",
      sign: signLazadaRequest,
      classify: classifyLazada,
      ratePolicy: this.ratePolicy,
    });
    this.maxOrderOffset = opts.maxOrderOffset ?? MAX_ORDER_OFFSET;
  }

  private call<T>(ctx: ChannelContext, req: OutgoingRequest): Promise<T> {
    return this.http.send<T>(ctx, req, () => this.refreshToken(ctx));
  }

  // ---------- auth ----------

  authorizationUrl(req: AuthorizationRequest): string {
    return authorizationUrl(req);
  }

  async exchangeCode(req: CodeExchange): Promise<TokenSet> {
    const code = req.callbackParams.code;
    if (!code)
      throw new ConnectorError(
        "lazada",
        "fatal",
        "MissingParameter",
        "callback has no code",
        "auth.token.create",
      );
    const body = await this.http.sendApp<LazadaTokenAnswer>(
      authApiBase(req.baseUrl),
      req.app,
      post("/auth/token/create", "auth.token.create", { code }, "app"),
    );
    return tokenSetFrom(body, (req.now ?? Date.now)());
  }

  async refreshToken(ctx: ChannelContext): Promise<void> {
    const seen = await ctx.credentials.load();
    await ctx.credentials.refreshExclusive(seen.accessToken, async (current) => {
      if (!current.refreshToken) {
        throw new NeedsReauthError(
          "lazada",
          "IllegalRefreshToken",
          "no refresh token stored",
          "auth.token.refresh",
        );
      }
      const body = await this.http.sendApp<LazadaTokenAnswer>(
        authApiBase(ctx.baseUrl),
        { appKey: current.appKey, appSecret: current.appSecret },
        post("/auth/token/refresh", "auth.token.refresh", { refresh_token: current.refreshToken }, "app"),
      );
      const set = tokenSetFrom(body, (ctx.now ?? Date.now)());
      // The refresh lifetime never restarts; keep the stored expiry if Lazada omits it.
      return { ...set, refreshExpiresAt: set.refreshExpiresAt ?? current.refreshExpiresAt ?? null };
    });
  }

  // ---------- catalogue ----------

  async getCategories(ctx: ChannelContext): Promise<RemoteCategory[]> {
    const body = await this.call<{ data: LazadaCategoryNode[] }>(
      ctx,
      get("/category/tree/get", "category.tree.get", { language_code: "vi_VN" }),
    );
    return flattenCategories(body.data ?? []);
  }

  private async rawAttributes(ctx: ChannelContext, categoryId: string): Promise<LazadaAttribute[]> {
    const body = await this.call<{ data: LazadaAttribute[] }>(
      ctx,
      get("/category/attributes/get", "category.attributes.get", {
        primary_category_id: categoryId,
        language_code: "vi_VN",
      }),
    );
    const attrs = body.data ?? [];
    this.salePropCache.set(`${ctx.baseUrl}|${categoryId}`, saleProperty(attrs));
    return attrs;
  }

  async getCategoryAttributes(ctx: ChannelContext, categoryId: string): Promise<RemoteAttribute[]> {
    return toRemoteAttributes(await this.rawAttributes(ctx, categoryId));
  }

  async uploadImage(
    ctx: ChannelContext,
    image: { bytes: Buffer; filename: string; contentType: string },
  ): Promise<string> {
    const form = new FormData();
    form.append(
      "image",
      new Blob([new Uint8Array(image.bytes)], { type: image.contentType }),
      image.filename,
    );
    const body = await this.call<{ data: { image: { url: string } } }>(ctx, {
      method: "POST",
      path: "/image/upload",
      query: {},
      headers: {},
      body: form,
      auth: "shop",
      endpoint: "image.upload",
    });
    return body.data.image.url;
  }

  // ---------- listings ----------

  private async salePropFor(ctx: ChannelContext, categoryId: string): Promise<string | null> {
    const key = `${ctx.baseUrl}|${categoryId}`;
    if (!this.salePropCache.has(key)) await this.rawAttributes(ctx, categoryId);
    return this.salePropCache.get(key) ?? null;
  }

  /** One CreateProduct or UpdateProduct call per draft: Lazada takes one product per call. */
  async upsertListings(ctx: ChannelContext, drafts: ListingDraft[]): Promise<ItemResult[]> {
    const results: ItemResult[] = [];
    for (const draft of drafts) results.push(await this.upsertOne(ctx, draft));
    return results;
  }

  private async upsertOne(ctx: ChannelContext, draft: ListingDraft): Promise<ItemResult> {
    if (draft.variants.length === 0 || draft.variants.length > this.limits.variantsPerListing) {
      return {
        key: draft.key,
        outcome: "failed_fatal",
        remoteCode: "VARIANT_COUNT",
        remoteMessage: `a Lazada product takes 1 to ${this.limits.variantsPerListing} SKUs, got ${draft.variants.length}`,
      };
    }
    const updating = Boolean(draft.externalItemId);
    try {
      const saleProp = draft.variants.length > 1 ? await this.salePropFor(ctx, draft.categoryId) : null;
      if (draft.variants.length > 1 && !saleProp) {
        return {
          key: draft.key,
          outcome: "failed_fatal",
          remoteCode: "NO_SALE_PROP",
          remoteMessage: `category ${draft.categoryId} has no sale property, so it cannot hold variants`,
        };
      }
      const path = updating ? "/product/update" : "/product/create";
      const body = await this.call<{
        data: { item_id: number | string; sku_list?: Array<{ seller_sku: string; sku_id: number | string }> };
      }>(
        ctx,
        post(path, updating ? "product.update" : "product.create", {
          payload: productPayload(draft, saleProp),
        }),
      );
      const skuList = body.data?.sku_list ?? [];
      const ours = new Set(draft.variants.map((v) => v.sku.normalize("NFC")));
      const variants = skuList
        .filter((s) => ours.has(String(s.seller_sku)))
        .map((s) => ({ sku: String(s.seller_sku), externalSkuId: String(s.sku_id) }));
      return {
        key: draft.key,
        outcome: "applied",
        externalItemId: String(body.data?.item_id ?? draft.externalItemId),
        externalSkuId: variants.length === 1 ? variants[0].externalSkuId : undefined,
        variants,
      };
    } catch (e) {
      return failAll([draft.key], e)[0];
    }
  }

  async listListings(ctx: ChannelContext, cursor: string | null): Promise<Page<RemoteListing>> {
    const offset = cursor ? Number(cursor) : 0;
    const body = await this.call<{ data: { total_products: number; products?: LazadaProduct[] } }>(
      ctx,
      get("/products/get", "products.get", { filter: "all", limit: PRODUCTS_PAGE, offset }),
    );
    const products = body.data?.products ?? [];
    const next = offset + PRODUCTS_PAGE;
    return {
      items: products.map(toRemoteListing),
      nextCursor: products.length > 0 && next < Number(body.data?.total_products ?? 0) ? String(next) : null,
    };
  }

  async pushPrices(ctx: ChannelContext, updates: PriceUpdate[]): Promise<ItemResult[]> {
    return this.pushRows(ctx, updates, this.limits.pricePerCall, (u) => ({ Price: String(u.priceVnd) }));
  }

  async pushStock(ctx: ChannelContext, updates: StockUpdate[]): Promise<ItemResult[]> {
    return this.pushRows(ctx, updates, this.limits.stockPerCall, (u) => ({ Quantity: String(u.stock) }));
  }

  /**
   * UpdatePriceQuantity in batches of `size`. Lazada applies the good rows and answers E501 with a
   * `detail[]` naming the rejected SellerSkus, so every input gets its own outcome.
   */
  private async pushRows<T extends RemoteRef>(
    ctx: ChannelContext,
    updates: T[],
    size: number,
    fields: (u: T) => Pick<PriceQuantityRow, "Price" | "Quantity">,
  ): Promise<ItemResult[]> {
    const results: ItemResult[] = [];
    for (const batch of chunk(updates, size)) {
      const rows: PriceQuantityRow[] = batch.map((u) => ({
        ItemId: u.externalItemId,
        ...(u.externalSkuId ? { SkuId: u.externalSkuId } : {}),
        SellerSku: u.sku.normalize("NFC"),
        ...fields(u),
      }));
      let body: LazadaEnvelope;
      try {
        body = await this.call<LazadaEnvelope>(
          ctx,
          post("/product/price_quantity/update", "product.price_quantity.update", {
            payload: priceQuantityPayload(rows),
          }),
        );
      } catch (e) {
        results.push(
          ...failAll(
            batch.map((u) => u.sku),
            e,
          ),
        );
        continue;
      }
      results.push(...this.rowResults(batch, body));
    }
    return results;
  }

  private rowResults(batch: RemoteRef[], body: LazadaEnvelope): ItemResult[] {
    const code = codeOf(body);
    if (!PARTIAL_BATCH_CODES.has(code)) {
      return batch.map((u) => ({
        key: u.sku,
        outcome: "applied",
        externalItemId: u.externalItemId,
        externalSkuId: u.externalSkuId ?? undefined,
      }));
    }
    const details = body.detail ?? [];
    const bySku = new Map<string, LazadaDetail>();
    for (const d of details) if (d.seller_sku) bySku.set(String(d.seller_sku).normalize("NFC"), d);
    // A failure Lazada did not tie to a SKU leaves every unnamed row in doubt.
    const unattributed = details.some((d) => !d.seller_sku);
    return batch.map((u) => {
      const d = bySku.get(u.sku.normalize("NFC"));
      if (d) {
        return {
          key: u.sku,
          outcome: "failed_fatal",
          remoteCode: d.message ?? code,
          remoteMessage: `${body.message ?? "E501: Update product failed"} (${d.field ?? "Sku"}: ${d.message ?? ""})`,
        };
      }
      if (unattributed) {
        return {
          key: u.sku,
          outcome: "failed_retriable",
          remoteCode: code,
          remoteMessage: `${body.message ?? ""}; Lazada did not say which SKU failed`,
        };
      }
      return {
        key: u.sku,
        outcome: "applied",
        externalItemId: u.externalItemId,
        externalSkuId: u.externalSkuId ?? undefined,
      };
    });
  }

  /** GetProducts filtered by `sku_seller_list` (≤ 50 SKUs → ≤ 50 products, one page). */
  async readBack(ctx: ChannelContext, refs: RemoteRef[]): Promise<RemoteState[]> {
    const out: RemoteState[] = [];
    for (const batch of chunk(refs, this.limits.readbackPerCall)) {
      const skus = [...new Set(batch.map((r) => r.sku.normalize("NFC")))];
      const body = await this.call<{ data: { products?: LazadaProduct[] } }>(
        ctx,
        get("/products/get", "products.get", {
          filter: "all",
          limit: PRODUCTS_PAGE,
          offset: 0,
          sku_seller_list: JSON.stringify(skus),
        }),
      );
      const seen = new Map<string, { itemId: string; skuId: string | null; price: number; stock: number }>();
      for (const p of body.data?.products ?? []) {
        for (const v of toRemoteListing(p).variants) {
          seen.set(v.sku, {
            itemId: String(p.item_id),
            skuId: v.externalSkuId,
            price: v.priceVnd,
            stock: v.stock,
          });
        }
      }
      for (const r of batch) {
        const hit = seen.get(r.sku.normalize("NFC"));
        out.push({
          sku: r.sku,
          externalItemId: hit?.itemId ?? r.externalItemId,
          externalSkuId: hit?.skuId ?? r.externalSkuId ?? null,
          priceVnd: hit ? hit.price : null,
          stock: hit ? hit.stock : null,
          found: Boolean(hit),
        });
      }
    }
    return out;
  }

  // ---------- orders ----------

  /**
   * GetOrders by update time, oldest first, 100 per page. The window is walked in sub-windows of
   * `orderWindowSeconds`; within one, pages go by offset until Lazada's 5000 cap, after which the
   * sub-window restarts at the last update time seen (overlap is harmless: imports are idempotent).
   * The cursor is "<sub-window start ms>:<offset>".
   */
  async listOrders(
    ctx: ChannelContext,
    window: OrderWindow,
    cursor: string | null,
  ): Promise<Page<OrderSummary>> {
    const c: OrderCursor = cursor ? this.parseCursor(cursor) : { s: window.from, o: 0 };
    if (c.s >= window.to) return { items: [], nextCursor: null };
    const end = Math.min(c.s + this.limits.orderWindowSeconds * 1000, window.to);
    const limit = this.limits.orderPageSize;
    const body = await this.call<{
      data: { countTotal?: number; count?: number; orders?: LazadaOrderSummary[] };
    }>(
      ctx,
      get("/orders/get", "orders.get", {
        update_after: isoVn(c.s),
        // Both bounds are inclusive whole seconds; the last second before `end` is the upper one.
        update_before: isoVn(Math.ceil(end / 1000) * 1000 - 1000),
        sort_by: "updated_at",
        sort_direction: "ASC",
        limit,
        offset: c.o,
      }),
    );
    const orders = body.data?.orders ?? [];
    const total = Number(body.data?.countTotal ?? orders.length);
    const items = orders.map((o) => this.summary(o)).filter((o) => o.updatedAt >= c.s && o.updatedAt < end);

    let next: OrderCursor | null = null;
    if (orders.length > 0 && c.o + orders.length < total) {
      const offset = c.o + orders.length;
      if (offset <= this.maxOrderOffset) {
        next = { s: c.s, o: offset };
      } else {
        const last = this.summary(orders[orders.length - 1]).updatedAt;
        if (last <= c.s) {
          throw new ConnectorError(
            "lazada",
            "fatal",
            "14",
            `more than ${this.maxOrderOffset} orders updated in one second`,
            "orders.get",
          );
        }
        next = { s: last, o: 0 };
      }
    } else if (end < window.to) {
      next = { s: end, o: 0 };
    }
    return { items, nextCursor: next ? `${next.s}:${next.o}` : null };
  }

  // ---------- reviews ----------

  /**
   * Lazada lists review ids per item and per window of at most 7 days (GetHistoryReviewIdList), then
   * details by 10 ids (GetReviewListByIdList). The cursor walks item → window → page; each call
   * returns one history page with its details. Reviews older than 3 months cannot be read.
   */
  async listReviews(ctx: ChannelContext, q: ReviewQuery, cursor: string | null): Promise<Page<RemoteReview>> {
    const since = Math.max(q.since, q.until - REVIEW_HISTORY_MS);
    const items = q.externalItemIds;
    let c: ReviewCursor | null = cursor ? this.parseReviewCursor(cursor) : { i: 0, s: since, p: 1 };
    // Skips exhausted windows and items without calling.
    const settle = (x: ReviewCursor): ReviewCursor | null => {
      let y = { ...x, s: Math.max(x.s, since) };
      while (y.i < items.length && y.s >= q.until) y = { i: y.i + 1, s: since, p: 1 };
      return y.i < items.length ? y : null;
    };
    c = settle(c);
    let calls = 0;
    while (c) {
      const end = Math.min(c.s + REVIEW_WINDOW_MS, q.until);
      const page = await this.reviewCall<{
        total?: number | string;
        page_size?: number | string;
        id_list?: unknown[];
      }>(
        ctx,
        get("/review/seller/history/list", "review.seller.history.list", {
          item_id: items[c.i],
          // Both bounds inclusive, in ms; the window is [s, end).
          start_time: c.s,
          end_time: end - 1,
          current: c.p,
        }),
      );
      calls++;
      const ids = (page.id_list ?? []).map(String);
      const total = Number(page.total ?? ids.length);
      const size = Number(page.page_size ?? ids.length) || ids.length;
      const morePages = ids.length > 0 && c.p * size < total && c.p < REVIEW_MAX_PAGE;
      const next = settle(morePages ? { ...c, p: c.p + 1 } : { i: c.i, s: end, p: 1 });
      if (ids.length === 0) {
        c = next;
        continue;
      }
      const reviews: RemoteReview[] = [];
      for (const batch of chunk(ids, REVIEW_DETAIL_IDS)) {
        const detail = await this.reviewCall<{ review_list?: LazadaReviewWire[] }>(
          ctx,
          get("/review/seller/list/v2", "review.seller.list.v2", {
            id_list: JSON.stringify(batch.map(Number)),
          }),
        );
        calls++;
        for (const r of detail.review_list ?? []) reviews.push(this.toReview(r));
      }
      return {
        items: reviews.filter((r) => r.createdAt >= q.since && r.createdAt < q.until),
        nextCursor: next ? `${next.i}:${next.s}:${next.p}` : null,
        calls,
      };
    }
    return { items: [], nextCursor: null, calls };
  }

  /** SubmitSellerReply: text only, at most 500 characters. */
  async replyToReview(ctx: ChannelContext, externalReviewId: string, text: string): Promise<ItemResult> {
    const key = externalReviewId;
    try {
      await this.reviewCall(
        ctx,
        get("/review/seller/reply/add", "review.seller.reply.add", {
          id: externalReviewId,
          content: text.normalize("NFC"),
        }),
      );
      return { key, outcome: "applied" };
    } catch (e) {
      return failAll([key], e)[0];
    }
  }

  private async reviewCall<T>(ctx: ChannelContext, req: OutgoingRequest): Promise<T> {
    const body = await this.call<ReviewEnvelope<T>>(ctx, req);
    if (body.success === false)
      throw new ConnectorError(
        "lazada",
        "fatal",
        body.error_code ?? "REVIEW_FAILED",
        body.error_msg ?? "Request failed",
        req.endpoint,
      );
    return (body.data ?? {}) as T;
  }

  private toReview(r: LazadaReviewWire): RemoteReview {
    const rating = Number(r.ratings?.product_rating ?? r.ratings?.overall_rating ?? 0);
    const reply = r.seller_reply ? r.seller_reply.normalize("NFC") : null;
    return {
      externalReviewId: String(r.id),
      externalItemId: r.product_id != null ? String(r.product_id) : null,
      externalSkuId: r.sku_id != null ? String(r.sku_id) : null,
      externalOrderId: r.order_id != null ? String(r.order_id) : null,
      rating,
      text: (r.review_content ?? "").normalize("NFC"),
      // Lazada's seller API shows no buyer name.
      buyerName: null,
      createdAt: Number(r.create_time ?? r.submit_time ?? 0),
      replyText: reply,
      repliedAt: null,
      canReply: r.can_reply === true || r.can_reply === "true",
    };
  }

  private parseReviewCursor(cursor: string): ReviewCursor {
    const m = /^(\d+):(\d+):(\d+)$/.exec(cursor);
    if (!m)
      throw new ConnectorError(
        "lazada",
        "fatal",
        "BAD_CURSOR",
        `not a Lazada review cursor: ${cursor}`,
        "review.seller.history.list",
      );
    return { i: Number(m[1]), s: Number(m[2]), p: Number(m[3]) };
  }

  private parseCursor(cursor: string): OrderCursor {
    const m = /^(\d+):(\d+)$/.exec(cursor);
    if (!m)
      throw new ConnectorError(
        "lazada",
        "fatal",
        "BAD_CURSOR",
        `not a Lazada order cursor: ${cursor}`,
        "orders.get",
      );
    return { s: Number(m[1]), o: Number(m[2]) };
  }

  private summary(o: LazadaOrderSummary): OrderSummary {
    return {
      externalOrderId: String(o.order_id),
      status: normalizeStatus(o.statuses ?? []),
      remoteStatus: (o.statuses ?? []).join(","),
      updatedAt: parseLazadaTime(o.updated_at) ?? 0,
    };
  }

  /** GetMultipleOrderItems, 50 orders per call; ids Lazada does not return are left out. */
  async getOrders(ctx: ChannelContext, externalOrderIds: string[]): Promise<Order[]> {
    const out: Order[] = [];
    for (const batch of chunk([...new Set(externalOrderIds)], this.limits.orderDetailPerCall)) {
      const body = await this.call<{
        data: Array<{ order_id: number | string; order_items: LazadaOrderItem[] }>;
      }>(ctx, get("/orders/items/get", "orders.items.get", { order_ids: `[${batch.join(",")}]` }));
      const byId = new Map((body.data ?? []).map((o) => [String(o.order_id), o.order_items ?? []]));
      for (const id of batch) {
        const items = byId.get(id);
        if (items && items.length > 0) out.push(toOrder(id, items));
      }
    }
    return out;
  }

  /**
   * Only READY_TO_SHIP can be written back: pack the pending items (dropship, Lazada-arranged
   * shipping) and mark their packages ready to ship. Cancellation and delivery states belong to the
   * buyer, Lazada or the carrier.
   */
  async setOrderStatus(
    ctx: ChannelContext,
    externalOrderId: string,
    status: NormalizedOrderStatus,
  ): Promise<ItemResult> {
    const key = externalOrderId;
    if (status !== "READY_TO_SHIP") {
      return {
        key,
        outcome: "failed_fatal",
        remoteCode: "UNSUPPORTED",
        remoteMessage: `Lazada cannot be set to ${status} by the seller API`,
      };
    }
    try {
      const itemsBody = await this.call<{ data: LazadaOrderItem[] }>(
        ctx,
        get("/order/items/get", "order.items.get", { order_id: externalOrderId }),
      );
      const items = itemsBody.data ?? [];
      const pending = items.filter((i) => i.status === "pending");
      const packages = new Set(
        items.filter((i) => i.status === "packed" && i.package_id).map((i) => String(i.package_id)),
      );
      if (pending.length === 0 && packages.size === 0) {
        return {
          key,
          outcome: "skipped",
          remoteMessage: `order is already ${[...new Set(items.map((i) => i.status))].join(",")}`,
        };
      }
      if (pending.length > 0) {
        const packReq = {
          pack_order_list: [
            { order_id: externalOrderId, order_item_list: pending.map((i) => String(i.order_item_id)) },
          ],
          delivery_type: "dropship",
          shipping_allocate_type: "TFS",
        };
        const packed = await this.call<{
          result?: {
            data?: {
              pack_order_list?: Array<{
                order_item_list: Array<{ item_err_code: string; item_err_msg?: string; package_id?: string }>;
              }>;
            };
          };
        }>(ctx, post("/order/fulfill/pack", "order.fulfill.pack", { packReq: JSON.stringify(packReq) }));
        for (const row of packed.result?.data?.pack_order_list?.[0]?.order_item_list ?? []) {
          if (row.item_err_code !== "0") {
            return {
              key,
              outcome: "failed_fatal",
              remoteCode: row.item_err_code,
              remoteMessage: row.item_err_msg ?? "",
            };
          }
          if (row.package_id) packages.add(row.package_id);
        }
      }
      for (const batch of chunk([...packages], FULFIL_PER_CALL)) {
        const rts = await this.call<{
          result?: { data?: { packages?: Array<{ item_err_code: string; item_err_msg?: string }> } };
        }>(
          ctx,
          post("/order/package/rts", "order.package.rts", {
            readyToShipReq: JSON.stringify({ packages: batch.map((package_id) => ({ package_id })) }),
          }),
        );
        const bad = (rts.result?.data?.packages ?? []).find((p) => p.item_err_code !== "0");
        if (bad)
          return {
            key,
            outcome: "failed_fatal",
            remoteCode: bad.item_err_code,
            remoteMessage: bad.item_err_msg ?? "",
          };
      }
      return { key, outcome: "applied" };
    } catch (e) {
      return failAll([key], e)[0];
    }
  }

  // ---------- webhooks ----------

  verifyWebhook(req: WebhookRequest, app: AppCredentials): boolean {
    const header = Object.entries(req.headers).find(([k]) => k.toLowerCase() === "authorization")?.[1];
    return sameSignature(pushSignature(app.appKey, app.appSecret, req.rawBody), header);
  }

  /** Lazada push messages carry `timestamp` in milliseconds. */
  webhookSentAt(req: WebhookRequest): number | null {
    const t = (JSON.parse(req.rawBody.toString("utf8")) as { timestamp?: number | string }).timestamp;
    return t === undefined || !Number.isFinite(Number(t)) ? null : Number(t);
  }

  parseWebhook(req: WebhookRequest): WebhookEvent[] {
    const msg = JSON.parse(req.rawBody.toString("utf8")) as {
      seller_id?: string | number;
      message_type?: number | string;
      timestamp?: number | string;
      data?: Record<string, unknown>;
    };
    const type = Number(msg.message_type);
    const data = msg.data ?? {};
    const shopId = msg.seller_id === undefined ? null : String(msg.seller_id);
    const sentAt = msg.timestamp === undefined ? null : Number(msg.timestamp);
    if (type === 0) {
      const orderId = String(data.trade_order_id ?? "");
      const line = String(data.trade_order_line_id ?? "");
      const remote = String(data.order_status ?? "");
      const at = data.status_update_time === undefined ? null : Number(data.status_update_time) * 1000;
      return [
        {
          // Lazada's own dedupe key is (order, line, status); the update time keeps a later return to the same status distinct.
          eventKey: `lazada:order:${orderId}:${line}:${remote}:${at ?? ""}`,
          kind: "order.status",
          shopId,
          externalOrderId: orderId,
          status: normalizeStatus([remote]),
          occurredAt: at ?? sentAt,
          raw: msg,
        },
      ];
    }
    const kind = type === 3 || type === 4 || type === 5 ? "product.changed" : "other";
    const digest = crypto.createHash("sha256").update(req.rawBody).digest("hex").slice(0, 24);
    return [{ eventKey: `lazada:${type}:${digest}`, kind, shopId, occurredAt: sentAt, raw: msg }];
  }
}
