/**
 * Shopee Open Platform v2 connector: the MarketplaceConnector over the shared HTTP client, with
 * Shopee's own shapes and limits (one item per price/stock call, 50 models; 50 order_sn per
 * detail call; 100 per page; 15-day order windows). See README.md for what is and is not covered.
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
  PromotionRequest,
  RatePolicy,
  RemoteAttribute,
  RemoteCategory,
  RemoteListing,
  RemoteRef,
  RemoteReview,
  RemoteState,
  ReviewQuery,
  ScheduledPromotion,
  StockUpdate,
  TokenSet,
  WebhookEvent,
  WebhookRequest,
} from "../connector";
import { MarketplaceHttpClient } from "../http/marketplace-http.client";
import { ConnectorError, NeedsReauthError, type HttpMethod } from "../http/types";
import * as auth from "./shopee.auth";
import { classifyShopee, isTransientFailureReason, type ShopeeEnvelope } from "./shopee.errors";
import {
  hasVariations,
  itemFields,
  normalizeStatus,
  sellerStock,
  tierVariationBody,
  toOrder,
  toRemoteAttribute,
  vnd,
  type WireAttribute,
  type WireOrder,
  type WireStockInfo,
} from "./shopee.mapper";
import { sameSignature, shopeePushSignature, signShopeeRequest } from "./shopee.signing";
import { chunk } from "../../../common/collections";

const LIMITS: BatchLimits = {
  pricePerCall: 50,
  stockPerCall: 50,
  perItemCalls: true,
  variantsPerListing: 50,
  orderDetailPerCall: 50,
  orderPageSize: 100,
  orderWindowSeconds: 15 * 86_400,
  readbackPerCall: 50,
};

/**
 * Shopee publishes no numeric quota; sellers' integrators report ~100 calls/s working and 200/s
 * failing, so we start at half of that and the shared budget learns down on "Too many requests".
 */
const RATE_POLICY: RatePolicy = { requestsPerSecond: 50, burst: 50 };

const ATTRIBUTE_CATEGORIES_PER_CALL = 20;
const ITEM_PAGE_SIZE = 100;
const LISTING_STATUSES = ["NORMAL", "UNLIST"] as const;
const ORDER_DETAIL_FIELDS = "buyer_username,item_list,total_amount";
/** get_comment's largest page (1–100). */
const COMMENT_PAGE_SIZE = 100;

interface CommentWire {
  comment_id: number | string;
  order_sn?: string;
  comment?: string;
  buyer_username?: string;
  item_id?: number;
  model_id_list?: number[];
  rating_star: number;
  editable?: string;
  hidden?: boolean;
  create_time: number;
  comment_reply?: { reply?: string; hidden?: boolean; create_time?: number };
}

type Envelope<T> = ShopeeEnvelope & { response?: T };

interface ModelWire {
  model_id: number;
  model_sku?: string;
  tier_index?: number[];
  price_info?: Array<{ original_price?: number; current_price?: number }>;
  stock_info_v2?: WireStockInfo;
}

interface ItemBaseWire {
  item_id: number;
  item_name: string;
  item_sku?: string;
  item_status: string;
  has_model: boolean;
  price_info?: Array<{ original_price?: number }>;
  stock_info_v2?: WireStockInfo;
}

interface PerModelAnswer {
  failure_list?: Array<{ model_id: number; failed_reason: string }>;
  success_list?: Array<{ model_id: number }>;
}

function encodeCursor(value: object): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}

function decodeCursor<T>(cursor: string): T {
  try {
    return JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as T;
  } catch {
    throw new ConnectorError(
      "shopee",
      "fatal",
      "bad_cursor",
      "cursor is not one this connector produced",
      "cursor",
    );
  }
}

/** A failed call becomes per-item failures; only a lost authorization stops the whole batch. */
function failureOf(e: unknown): {
  outcome: ItemResult["outcome"];
  remoteCode: string;
  remoteMessage: string;
} {
  if (e instanceof NeedsReauthError) throw e;
  if (e instanceof ConnectorError) {
    return {
      outcome: e.retriable ? "failed_retriable" : "failed_fatal",
      remoteCode: e.code,
      remoteMessage: e.remoteMessage,
    };
  }
  throw e;
}

function modelIdOf(ref: RemoteRef): number {
  return ref.externalSkuId ? Number(ref.externalSkuId) : 0;
}

export class ShopeeConnector implements MarketplaceConnector {
  readonly code = "shopee" as const;
  readonly displayName = "Shopee";
  readonly defaultBaseUrl = "https://partner.shopeemobile.com";
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
    "promotion",
  ]);
  readonly limits = LIMITS;
  readonly ratePolicy = RATE_POLICY;
  private readonly client: MarketplaceHttpClient;

  constructor(client?: MarketplaceHttpClient) {
    this.client =
      client ??
      new MarketplaceHttpClient({
        marketplace: "shopee",
        sign: signShopeeRequest,
        classify: classifyShopee,
        ratePolicy: RATE_POLICY,
      });
  }

  // ---------------- plumbing ----------------

  private async call<T>(
    ctx: ChannelContext,
    method: HttpMethod,
    path: string,
    endpoint: string,
    params: Record<string, string | number | boolean> | Record<string, unknown>,
  ): Promise<T> {
    const get = method === "GET";
    const env = await this.client.send<Envelope<T>>(
      ctx,
      {
        method,
        path,
        query: get ? (params as Record<string, string | number | boolean>) : {},
        headers: {},
        body: get ? undefined : params,
        auth: "shop",
        endpoint,
      },
      () => this.refreshToken(ctx),
    );
    return (env.response ?? {}) as T;
  }

  // ---------------- auth ----------------

  authorizationUrl(req: AuthorizationRequest): string {
    return auth.authorizationUrl(req);
  }

  exchangeCode(req: CodeExchange): Promise<TokenSet> {
    return auth.exchangeCode(this.client, req);
  }

  refreshToken(ctx: ChannelContext): Promise<void> {
    return auth.refreshToken(this.client, ctx);
  }

  // ---------------- catalogue data ----------------

  async getCategories(ctx: ChannelContext): Promise<RemoteCategory[]> {
    const res = await this.call<{
      category_list?: Array<{
        category_id: number;
        parent_category_id: number;
        display_category_name: string;
        has_children: boolean;
      }>;
    }>(ctx, "GET", "/api/v2/product/get_category", "product.get_category", { language: "vi" });
    return (res.category_list ?? []).map((c) => ({
      id: String(c.category_id),
      parentId: c.parent_category_id ? String(c.parent_category_id) : null,
      name: c.display_category_name.normalize("NFC"),
      isLeaf: !c.has_children,
    }));
  }

  async getCategoryAttributes(ctx: ChannelContext, categoryId: string): Promise<RemoteAttribute[]> {
    const trees = await this.attributeTrees(ctx, [categoryId]);
    return (trees.get(categoryId) ?? []).map(toRemoteAttribute);
  }

  /** get_attribute_tree takes up to 20 categories per call. */
  private async attributeTrees(
    ctx: ChannelContext,
    categoryIds: string[],
  ): Promise<Map<string, WireAttribute[]>> {
    const out = new Map<string, WireAttribute[]>();
    for (const ids of chunk([...new Set(categoryIds)], ATTRIBUTE_CATEGORIES_PER_CALL)) {
      const res = await this.call<{
        list?: Array<{ category_id: number; attribute_tree?: WireAttribute[] }>;
      }>(ctx, "GET", "/api/v2/product/get_attribute_tree", "product.get_attribute_tree", {
        category_id_list: ids.join(","),
        language: "vn",
      });
      for (const entry of res.list ?? []) out.set(String(entry.category_id), entry.attribute_tree ?? []);
    }
    return out;
  }

  /** media_space/upload_image is a Public API: signed without the shop token. */
  async uploadImage(
    ctx: ChannelContext,
    image: { bytes: Buffer; filename: string; contentType: string },
  ): Promise<string> {
    const creds = await ctx.credentials.load();
    const boundary = `----ocophub${crypto.randomBytes(12).toString("hex")}`;
    const safeName = image.filename.replace(/["\r\n]/g, "_");
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="${safeName}"\r\nContent-Type: ${image.contentType}\r\n\r\n`,
      ),
      image.bytes,
      Buffer.from(
        `\r\n--${boundary}\r\nContent-Disposition: form-data; name="scene"\r\n\r\nnormal\r\n--${boundary}--\r\n`,
      ),
    ]);
    const env = await this.client.sendApp<Envelope<{ image_info?: { image_id: string } }>>(
      ctx.baseUrl,
      creds,
      {
        method: "POST",
        path: "/api/v2/media_space/upload_image",
        query: {},
        headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
        body,
        auth: "app",
        endpoint: "media_space.upload_image",
      },
    );
    const id = env.response?.image_info?.image_id;
    if (!id)
      throw new ConnectorError(
        "shopee",
        "fatal",
        "error_data",
        "upload answer without image_id",
        "media_space.upload_image",
      );
    return id;
  }

  // ---------------- listings ----------------

  async upsertListings(ctx: ChannelContext, drafts: ListingDraft[]): Promise<ItemResult[]> {
    if (drafts.length === 0) return [];
    const results: ItemResult[] = drafts.map((d) => ({ key: d.key, outcome: "failed_retriable" }));
    let trees: Map<string, WireAttribute[]>;
    let logistics: Array<{ logistic_id: number; enabled: boolean }>;
    try {
      trees = await this.attributeTrees(
        ctx,
        drafts.map((d) => d.categoryId),
      );
      logistics = await this.enabledLogistics(ctx);
    } catch (e) {
      const f = failureOf(e);
      return drafts.map((d) => ({ key: d.key, ...f }));
    }
    for (let i = 0; i < drafts.length; i++) {
      const draft = drafts[i];
      if (draft.variants.length === 0 || draft.variants.length > LIMITS.variantsPerListing) {
        results[i] = {
          key: draft.key,
          outcome: "failed_fatal",
          remoteCode: "variants_count",
          remoteMessage: `a Shopee item takes 1 to ${LIMITS.variantsPerListing} models`,
        };
        continue;
      }
      try {
        const tree = trees.get(draft.categoryId) ?? [];
        results[i] = draft.externalItemId
          ? await this.updateListing(ctx, draft, Number(draft.externalItemId), tree, logistics)
          : await this.createListing(ctx, draft, tree, logistics);
      } catch (e) {
        results[i] = {
          key: draft.key,
          ...failureOf(e),
          ...(draft.externalItemId ? { externalItemId: draft.externalItemId } : {}),
        };
      }
    }
    return results;
  }

  private async enabledLogistics(
    ctx: ChannelContext,
  ): Promise<Array<{ logistic_id: number; enabled: boolean }>> {
    const res = await this.call<{
      logistics_channel_list?: Array<{ logistics_channel_id: number; enabled: boolean }>;
    }>(ctx, "GET", "/api/v2/logistics/get_channel_list", "logistics.get_channel_list", {});
    return (res.logistics_channel_list ?? [])
      .filter((c) => c.enabled)
      .map((c) => ({ logistic_id: c.logistics_channel_id, enabled: true }));
  }

  private async createListing(
    ctx: ChannelContext,
    draft: ListingDraft,
    tree: WireAttribute[],
    logistics: Array<{ logistic_id: number; enabled: boolean }>,
  ): Promise<ItemResult> {
    const variations = hasVariations(draft);
    const first = draft.variants[0];
    const created = await this.call<{ item_id: number }>(
      ctx,
      "POST",
      "/api/v2/product/add_item",
      "product.add_item",
      {
        ...itemFields(draft, tree),
        ...(variations ? {} : { item_sku: first.sku }),
        original_price: first.priceVnd,
        seller_stock: [{ stock: variations ? 0 : first.stock }],
        logistic_info: logistics,
        condition: "NEW",
        item_status: "NORMAL",
      },
    );
    const itemId = created.item_id;
    if (!variations) {
      return {
        key: draft.key,
        outcome: "applied",
        externalItemId: String(itemId),
        externalSkuId: "0",
        variants: [{ sku: first.sku, externalSkuId: "0" }],
      };
    }
    try {
      const tiers = await this.call<{ model?: ModelWire[] }>(
        ctx,
        "POST",
        "/api/v2/product/init_tier_variation",
        "product.init_tier_variation",
        tierVariationBody(itemId, draft),
      );
      return this.withModels(draft, itemId, tiers.model ?? []);
    } catch (e) {
      // The item exists without its variants: keep its id so the next upsert completes it.
      return { key: draft.key, ...failureOf(e), externalItemId: String(itemId) };
    }
  }

  private withModels(draft: ListingDraft, itemId: number, models: ModelWire[]): ItemResult {
    const variants = draft.variants.map((v) => {
      const m = models.find((x) => x.model_sku === v.sku);
      return { sku: v.sku, externalSkuId: m ? String(m.model_id) : "" };
    });
    const missing = variants.filter((v) => !v.externalSkuId).map((v) => v.sku);
    if (missing.length > 0) {
      return {
        key: draft.key,
        outcome: "failed_retriable",
        remoteCode: "models_missing",
        remoteMessage: `no model for ${missing.join(", ")}`,
        externalItemId: String(itemId),
      };
    }
    return { key: draft.key, outcome: "applied", externalItemId: String(itemId), variants };
  }

  /**
   * Content through update_item, then price and stock of the existing models (Shopee keeps them out
   * of update_item). An item left without variants by a failed create gets them now.
   */
  private async updateListing(
    ctx: ChannelContext,
    draft: ListingDraft,
    itemId: number,
    tree: WireAttribute[],
    logistics: Array<{ logistic_id: number; enabled: boolean }>,
  ): Promise<ItemResult> {
    await this.call(ctx, "POST", "/api/v2/product/update_item", "product.update_item", {
      item_id: itemId,
      ...itemFields(draft, tree),
      ...(hasVariations(draft) ? {} : { item_sku: draft.variants[0].sku }),
      logistic_info: logistics,
    });
    if (!hasVariations(draft)) {
      const v = draft.variants[0];
      const ref = { sku: v.sku, externalItemId: String(itemId), externalSkuId: "0" };
      const failed = await this.pushBoth(
        ctx,
        draft.key,
        [{ ...ref, priceVnd: v.priceVnd }],
        [{ ...ref, stock: v.stock }],
      );
      return (
        failed ?? {
          key: draft.key,
          outcome: "applied",
          externalItemId: String(itemId),
          externalSkuId: "0",
          variants: [{ sku: v.sku, externalSkuId: "0" }],
        }
      );
    }
    const existing = await this.call<{ model?: ModelWire[] }>(
      ctx,
      "GET",
      "/api/v2/product/get_model_list",
      "product.get_model_list",
      { item_id: itemId },
    );
    let models = existing.model ?? [];
    if (models.length === 0) {
      const tiers = await this.call<{ model?: ModelWire[] }>(
        ctx,
        "POST",
        "/api/v2/product/init_tier_variation",
        "product.init_tier_variation",
        tierVariationBody(itemId, draft),
      );
      return this.withModels(draft, itemId, tiers.model ?? []);
    }
    const result = this.withModels(draft, itemId, models);
    if (result.outcome !== "applied") {
      // Adding models to an item that already has tiers (update_tier_variation + add_model) is not implemented.
      return { ...result, outcome: "failed_fatal", remoteCode: "variant_add_unsupported" };
    }
    models = models.filter((m) => draft.variants.some((v) => v.sku === m.model_sku));
    const refs = draft.variants.map((v) => ({
      sku: v.sku,
      externalItemId: String(itemId),
      externalSkuId: String(models.find((m) => m.model_sku === v.sku)!.model_id),
    }));
    const failed = await this.pushBoth(
      ctx,
      draft.key,
      refs.map((r, i) => ({ ...r, priceVnd: draft.variants[i].priceVnd })),
      refs.map((r, i) => ({ ...r, stock: draft.variants[i].stock })),
    );
    return failed ?? result;
  }

  /** Price then stock for one listing; the first failed model fails the listing with its reason. */
  private async pushBoth(
    ctx: ChannelContext,
    key: string,
    prices: PriceUpdate[],
    stocks: StockUpdate[],
  ): Promise<ItemResult | null> {
    const all = [...(await this.pushPrices(ctx, prices)), ...(await this.pushStock(ctx, stocks))];
    const bad = all.find((r) => r.outcome !== "applied");
    if (!bad) return null;
    return {
      key,
      outcome: bad.outcome,
      remoteCode: bad.remoteCode,
      remoteMessage: `${bad.key}: ${bad.remoteMessage ?? ""}`,
      externalItemId: prices[0].externalItemId,
    };
  }

  async pushPrices(ctx: ChannelContext, updates: PriceUpdate[]): Promise<ItemResult[]> {
    return this.perModelPush(
      ctx,
      updates,
      LIMITS.pricePerCall,
      (u) => {
        if (!Number.isSafeInteger(u.priceVnd) || u.priceVnd <= 0)
          return "price must be a positive whole number of đồng";
        return null;
      },
      (itemId, batch) =>
        this.call<PerModelAnswer>(ctx, "POST", "/api/v2/product/update_price", "product.update_price", {
          item_id: itemId,
          price_list: batch.map((u) => ({ model_id: modelIdOf(u), original_price: u.priceVnd })),
        }),
    );
  }

  /**
   * v2.discount.add_discount (Shopee requires a future start and at least an hour), then
   * add_discount_item in calls of at most 50 items; per-model failures come back in error_list.
   */
  async schedulePromotion(ctx: ChannelContext, req: PromotionRequest): Promise<ScheduledPromotion> {
    const added = await this.call<{ discount_id?: number }>(
      ctx,
      "POST",
      "/api/v2/discount/add_discount",
      "discount.add_discount",
      {
        discount_name: req.name.slice(0, 150),
        start_time: Math.floor(req.startsAt.getTime() / 1000),
        end_time: Math.floor(req.endsAt.getTime() / 1000),
      },
    );
    const discountId = Number(added.discount_id);
    const byItem = new Map<string, typeof req.items>();
    for (const it of req.items) byItem.set(it.externalItemId, [...(byItem.get(it.externalItemId) ?? []), it]);
    const failed = new Map<
      string,
      { outcome: ItemResult["outcome"]; remoteCode: string; remoteMessage: string }
    >();
    for (const group of chunk([...byItem.entries()], 50)) {
      try {
        const res = await this.call<{
          error_list?: Array<{ item_id: number; model_id: number; fail_message: string }>;
        }>(ctx, "POST", "/api/v2/discount/add_discount_item", "discount.add_discount_item", {
          discount_id: discountId,
          item_list: group.map(([itemId, items]) => ({
            item_id: Number(itemId),
            model_list: items.map((u) => ({
              model_id: modelIdOf(u),
              model_promotion_price: u.promotionPriceVnd,
            })),
          })),
        });
        for (const e of res.error_list ?? [])
          failed.set(`${e.item_id}:${e.model_id}`, {
            outcome: "failed_fatal",
            remoteCode: "discount.add_discount_item",
            remoteMessage: e.fail_message,
          });
      } catch (e) {
        const f = failureOf(e);
        for (const [, items] of group)
          for (const u of items) failed.set(`${u.externalItemId}:${modelIdOf(u)}`, f);
      }
    }
    return {
      promotionId: String(discountId),
      results: req.items.map((u) => {
        const f = failed.get(`${u.externalItemId}:${modelIdOf(u)}`);
        return f ? { key: u.sku, ...f } : { key: u.sku, outcome: "applied" as const };
      }),
    };
  }

  /**
   * end_discount for a running discount, delete_discount for one not started yet; when Shopee's
   * clock disagrees with ours about "started" it refuses the one we chose, so the other is tried.
   */
  async endPromotion(ctx: ChannelContext, promotionId: string, started: boolean): Promise<void> {
    const end = ["/api/v2/discount/end_discount", "discount.end_discount"] as const;
    const del = ["/api/v2/discount/delete_discount", "discount.delete_discount"] as const;
    const [first, second] = started ? [end, del] : [del, end];
    const body = { discount_id: Number(promotionId) };
    try {
      await this.call(ctx, "POST", first[0], first[1], body);
    } catch (e) {
      if (!(e instanceof ConnectorError) || e.retriable) throw e;
      await this.call(ctx, "POST", second[0], second[1], body);
    }
  }

  async pushStock(ctx: ChannelContext, updates: StockUpdate[]): Promise<ItemResult[]> {
    return this.perModelPush(
      ctx,
      updates,
      LIMITS.stockPerCall,
      (u) => {
        if (!Number.isSafeInteger(u.stock) || u.stock < 0) return "stock must be a whole number ≥ 0";
        return null;
      },
      (itemId, batch) =>
        this.call<PerModelAnswer>(ctx, "POST", "/api/v2/product/update_stock", "product.update_stock", {
          item_id: itemId,
          stock_list: batch.map((u) => ({ model_id: modelIdOf(u), seller_stock: [{ stock: u.stock }] })),
        }),
    );
  }

  /**
   * Groups updates by item (Shopee: one item per call) into calls of at most `perCall` models, one
   * call per group. A later update of the same model supersedes an earlier one in the same batch
   * (Shopee rejects a repeated model_id), and the earlier one is reported as skipped.
   */
  private async perModelPush<U extends RemoteRef>(
    ctx: ChannelContext,
    updates: U[],
    perCall: number,
    invalid: (u: U) => string | null,
    send: (itemId: number, batch: U[]) => Promise<PerModelAnswer>,
  ): Promise<ItemResult[]> {
    const results: ItemResult[] = new Array(updates.length);
    const byItem = new Map<string, Map<number, number>>();
    updates.forEach((u, i) => {
      const problem = invalid(u);
      if (problem) {
        results[i] = {
          key: u.sku,
          outcome: "failed_fatal",
          remoteCode: "invalid_value",
          remoteMessage: problem,
        };
        return;
      }
      const models = byItem.get(u.externalItemId) ?? new Map<number, number>();
      const previous = models.get(modelIdOf(u));
      if (previous !== undefined) {
        results[previous] = {
          key: updates[previous].sku,
          outcome: "skipped",
          remoteMessage: "superseded by a later update in the same batch",
        };
      }
      models.set(modelIdOf(u), i);
      byItem.set(u.externalItemId, models);
    });
    for (const [itemId, models] of byItem) {
      for (const indexes of chunk([...models.values()], perCall)) {
        const batch = indexes.map((i) => updates[i]);
        try {
          const answer = await send(Number(itemId), batch);
          const failed = new Map(
            (answer.failure_list ?? []).map((f) => [Number(f.model_id), f.failed_reason]),
          );
          const ok = new Set((answer.success_list ?? []).map((s) => Number(s.model_id)));
          indexes.forEach((i) => {
            const u = updates[i];
            const base = {
              key: u.sku,
              externalItemId: u.externalItemId,
              externalSkuId: String(modelIdOf(u)),
            };
            const reason = failed.get(modelIdOf(u));
            if (reason !== undefined) {
              results[i] = {
                ...base,
                outcome: isTransientFailureReason(reason) ? "failed_retriable" : "failed_fatal",
                remoteCode: "failure_list",
                remoteMessage: reason,
              };
            } else if (ok.has(modelIdOf(u))) {
              results[i] = { ...base, outcome: "applied" };
            } else {
              results[i] = {
                ...base,
                outcome: "failed_retriable",
                remoteCode: "not_acknowledged",
                remoteMessage: "model in neither success_list nor failure_list",
              };
            }
          });
        } catch (e) {
          const f = failureOf(e);
          for (const i of indexes) results[i] = { key: updates[i].sku, ...f };
        }
      }
    }
    return results;
  }

  /** Links existing listings: NORMAL items first, then UNLIST (one status per pass; see README). */
  async listListings(ctx: ChannelContext, cursor: string | null): Promise<Page<RemoteListing>> {
    const at = cursor ? decodeCursor<{ s: number; o: number }>(cursor) : { s: 0, o: 0 };
    const status = LISTING_STATUSES[at.s];
    if (!status) return { items: [], nextCursor: null };
    const page = await this.call<{
      item?: Array<{ item_id: number }>;
      has_next_page?: boolean;
      next_offset?: number;
    }>(ctx, "GET", "/api/v2/product/get_item_list", "product.get_item_list", {
      offset: at.o,
      page_size: ITEM_PAGE_SIZE,
      item_status: status,
    });
    const ids = (page.item ?? []).map((i) => i.item_id);
    const items = await this.itemsWithModels(ctx, ids);
    const listings: RemoteListing[] = items.map(({ item, models }) => ({
      externalItemId: String(item.item_id),
      title: item.item_name.normalize("NFC"),
      status: item.item_status,
      variants: item.has_model
        ? models.map((m) => ({
            sku: m.model_sku ?? "",
            externalSkuId: String(m.model_id),
            priceVnd: vnd(m.price_info?.[0]?.original_price) ?? 0,
            stock: sellerStock(m.stock_info_v2) ?? 0,
          }))
        : [
            {
              sku: item.item_sku ?? "",
              externalSkuId: "0",
              priceVnd: vnd(item.price_info?.[0]?.original_price) ?? 0,
              stock: sellerStock(item.stock_info_v2) ?? 0,
            },
          ],
    }));
    const next = page.has_next_page
      ? { s: at.s, o: page.next_offset ?? at.o + ITEM_PAGE_SIZE }
      : at.s + 1 < LISTING_STATUSES.length
        ? { s: at.s + 1, o: 0 }
        : null;
    return { items: listings, nextCursor: next ? encodeCursor(next) : null };
  }

  /** Base info in calls of 50 items, then the model list of every item that has models. */
  private async itemsWithModels(
    ctx: ChannelContext,
    ids: number[],
  ): Promise<Array<{ item: ItemBaseWire; models: ModelWire[] }>> {
    const out: Array<{ item: ItemBaseWire; models: ModelWire[] }> = [];
    for (const batch of chunk(ids, LIMITS.readbackPerCall)) {
      const res = await this.call<{ item_list?: ItemBaseWire[] }>(
        ctx,
        "GET",
        "/api/v2/product/get_item_base_info",
        "product.get_item_base_info",
        {
          item_id_list: batch.join(","),
        },
      );
      for (const item of res.item_list ?? []) {
        const models = item.has_model
          ? ((
              await this.call<{ model?: ModelWire[] }>(
                ctx,
                "GET",
                "/api/v2/product/get_model_list",
                "product.get_model_list",
                { item_id: item.item_id },
              )
            ).model ?? [])
          : [];
        out.push({ item, models });
      }
    }
    return out;
  }

  /** Base info per 50 items, plus one model-list call for every item that has models. */
  readBackCalls(refs: RemoteRef[]): number {
    const items = new Set(refs.map((r) => r.externalItemId));
    const withModels = new Set(refs.filter((r) => modelIdOf(r) !== 0).map((r) => r.externalItemId));
    return Math.ceil(items.size / LIMITS.readbackPerCall) + withModels.size;
  }

  async readBack(ctx: ChannelContext, refs: RemoteRef[]): Promise<RemoteState[]> {
    const ids = [...new Set(refs.map((r) => Number(r.externalItemId)))];
    const items = new Map((await this.itemsWithModels(ctx, ids)).map((x) => [String(x.item.item_id), x]));
    return refs.map((ref) => {
      const found = items.get(ref.externalItemId);
      const modelId = modelIdOf(ref);
      if (!found) return { ...ref, priceVnd: null, stock: null, found: false };
      if (modelId === 0 && !found.item.has_model) {
        return {
          ...ref,
          priceVnd: vnd(found.item.price_info?.[0]?.original_price),
          stock: sellerStock(found.item.stock_info_v2),
          found: true,
        };
      }
      const model = found.models.find((m) => m.model_id === modelId);
      if (!model) return { ...ref, priceVnd: null, stock: null, found: false };
      return {
        ...ref,
        priceVnd: vnd(model.price_info?.[0]?.original_price),
        stock: sellerStock(model.stock_info_v2),
        found: true,
      };
    });
  }

  // ---------------- orders ----------------

  /**
   * Orders updated in [from, to). Shopee takes inclusive Unix-second bounds at most 15 days apart,
   * so the window is walked in 15-day slices; the cursor carries the slice start and Shopee's own
   * cursor. The list answer has no update time, so each page is completed with one light
   * get_order_detail call per 50 orders.
   */
  async listOrders(
    ctx: ChannelContext,
    window: OrderWindow,
    cursor: string | null,
  ): Promise<Page<OrderSummary>> {
    const fromS = Math.ceil(window.from / 1000);
    const toS = Math.ceil(window.to / 1000) - 1;
    let at = cursor ? decodeCursor<{ f: number; c: string }>(cursor) : { f: fromS, c: "" };
    for (;;) {
      if (at.f > toS) return { items: [], nextCursor: null };
      const sliceEnd = Math.min(at.f + LIMITS.orderWindowSeconds, toS);
      const page = await this.call<{
        more?: boolean;
        next_cursor?: string;
        order_list?: Array<{ order_sn: string }>;
      }>(ctx, "GET", "/api/v2/order/get_order_list", "order.get_order_list", {
        time_range_field: "update_time",
        time_from: at.f,
        time_to: sliceEnd,
        page_size: LIMITS.orderPageSize,
        cursor: at.c,
        response_optional_fields: "order_status",
      });
      const next =
        page.more && page.next_cursor
          ? { f: at.f, c: page.next_cursor }
          : sliceEnd < toS
            ? { f: sliceEnd + 1, c: "" }
            : null;
      const sns = (page.order_list ?? []).map((o) => o.order_sn);
      if (sns.length === 0 && next) {
        at = next;
        continue;
      }
      const details = await this.orderDetails(ctx, sns, false);
      const items = details.map(
        (o): OrderSummary => ({
          externalOrderId: o.order_sn,
          status: normalizeStatus(o.order_status),
          remoteStatus: o.order_status,
          updatedAt: o.update_time * 1000,
        }),
      );
      return { items, nextCursor: next ? encodeCursor(next) : null };
    }
  }

  private async orderDetails(ctx: ChannelContext, sns: string[], full: boolean): Promise<WireOrder[]> {
    const out: WireOrder[] = [];
    for (const batch of chunk(sns, LIMITS.orderDetailPerCall)) {
      const res = await this.call<{ order_list?: WireOrder[] }>(
        ctx,
        "GET",
        "/api/v2/order/get_order_detail",
        "order.get_order_detail",
        {
          order_sn_list: batch.join(","),
          ...(full ? { response_optional_fields: ORDER_DETAIL_FIELDS } : {}),
        },
      );
      out.push(...(res.order_list ?? []));
    }
    return out;
  }

  async getOrders(ctx: ChannelContext, externalOrderIds: string[]): Promise<Order[]> {
    return (await this.orderDetails(ctx, [...new Set(externalOrderIds)], true)).map(toOrder);
  }

  /**
   * READY_TO_SHIP arranges shipment (ship_order with the pickup or drop-off Shopee asks for);
   * CANCELLED cancels as out of stock. Shopee decides every other transition itself.
   */
  async setOrderStatus(
    ctx: ChannelContext,
    externalOrderId: string,
    status: NormalizedOrderStatus,
  ): Promise<ItemResult> {
    const key = externalOrderId;
    try {
      const [order] = await this.orderDetails(ctx, [externalOrderId], status === "CANCELLED");
      if (!order)
        return {
          key,
          outcome: "failed_fatal",
          remoteCode: "order_not_found",
          remoteMessage: "order not found",
        };
      if (status === "READY_TO_SHIP") {
        if (
          order.order_status === "PROCESSED" ||
          ["SHIPPED", "TO_CONFIRM_RECEIVE", "COMPLETED"].includes(order.order_status)
        ) {
          return { key, outcome: "skipped", remoteMessage: `already ${order.order_status}` };
        }
        return await this.shipOrder(ctx, externalOrderId);
      }
      if (status === "CANCELLED") {
        if (order.order_status === "CANCELLED")
          return { key, outcome: "skipped", remoteMessage: "already CANCELLED" };
        await this.call(ctx, "POST", "/api/v2/order/cancel_order", "order.cancel_order", {
          order_sn: externalOrderId,
          cancel_reason: "OUT_OF_STOCK",
          item_list: (order.item_list ?? []).map((l) => ({ item_id: l.item_id, model_id: l.model_id })),
        });
        return { key, outcome: "applied" };
      }
      return {
        key,
        outcome: "failed_fatal",
        remoteCode: "unsupported_status",
        remoteMessage: `Shopee sets ${status} itself`,
      };
    } catch (e) {
      return { key, ...failureOf(e) };
    }
  }

  private async shipOrder(ctx: ChannelContext, orderSn: string): Promise<ItemResult> {
    const param = await this.call<{
      info_needed?: { pickup?: string[]; dropoff?: string[]; non_integrated?: string[] };
      pickup?: {
        address_list?: Array<{
          address_id: number;
          address_flag?: string[];
          time_slot_list?: Array<{ pickup_time_id: string }>;
        }>;
      };
      dropoff?: { branch_list?: Array<{ branch_id: number }> };
    }>(ctx, "GET", "/api/v2/logistics/get_shipping_parameter", "logistics.get_shipping_parameter", {
      order_sn: orderSn,
    });
    const needed = param.info_needed ?? {};
    let body: Record<string, unknown>;
    if (needed.pickup) {
      const addresses = param.pickup?.address_list ?? [];
      const address = addresses.find((a) => a.address_flag?.includes("pickup_address")) ?? addresses[0];
      const slot = address?.time_slot_list?.[0];
      if (!address || !slot)
        return {
          key: orderSn,
          outcome: "failed_retriable",
          remoteCode: "no_pickup_slot",
          remoteMessage: "Shopee offered no pickup address or time slot",
        };
      body = {
        order_sn: orderSn,
        pickup: { address_id: address.address_id, pickup_time_id: slot.pickup_time_id },
      };
    } else if (needed.dropoff) {
      const branch = param.dropoff?.branch_list?.[0];
      body = {
        order_sn: orderSn,
        dropoff: needed.dropoff.includes("branch_id") && branch ? { branch_id: branch.branch_id } : {},
      };
    } else {
      return {
        key: orderSn,
        outcome: "failed_fatal",
        remoteCode: "non_integrated",
        remoteMessage: "this logistics channel needs a tracking number from the seller",
      };
    }
    await this.call(ctx, "POST", "/api/v2/logistics/ship_order", "logistics.ship_order", body);
    return { key: orderSn, outcome: "applied" };
  }

  // ---------------- webhooks ----------------

  // ---------------- reviews ----------------

  /**
   * v2.product.get_comment over the whole shop. It has no time filter and its order is not
   * documented [U], so every page is read (Shopee serves at most 1,000 comments) and the window is
   * applied here. The cursor is Shopee's own next_cursor.
   */
  async listReviews(ctx: ChannelContext, q: ReviewQuery, cursor: string | null): Promise<Page<RemoteReview>> {
    const at = cursor ? decodeCursor<{ c: string }>(cursor) : { c: "" };
    const page = await this.call<{ more?: boolean; next_cursor?: string; item_comment_list?: CommentWire[] }>(
      ctx,
      "GET",
      "/api/v2/product/get_comment",
      "product.get_comment",
      { cursor: at.c, page_size: COMMENT_PAGE_SIZE },
    );
    const items = (page.item_comment_list ?? [])
      .map((c): RemoteReview => {
        const reply = c.comment_reply?.reply ? c.comment_reply : null;
        return {
          externalReviewId: String(c.comment_id),
          externalItemId: c.item_id ? String(c.item_id) : null,
          externalSkuId: c.model_id_list?.length ? String(c.model_id_list[0]) : null,
          externalOrderId: c.order_sn || null,
          rating: c.rating_star,
          text: (c.comment ?? "").normalize("NFC"),
          buyerName: c.buyer_username || null,
          createdAt: c.create_time * 1000,
          replyText: reply ? reply.reply!.normalize("NFC") : null,
          repliedAt: reply?.create_time ? reply.create_time * 1000 : null,
          canReply: !reply && c.editable !== "EXPIRED" && !c.hidden,
        };
      })
      .filter((r) => r.createdAt >= q.since && r.createdAt < q.until);
    const next = page.more && page.next_cursor ? encodeCursor({ c: page.next_cursor }) : null;
    return { items, nextCursor: next };
  }

  /** v2.product.reply_comment with one element; its result_list says whether Shopee took it. */
  async replyToReview(ctx: ChannelContext, externalReviewId: string, text: string): Promise<ItemResult> {
    const key = externalReviewId;
    try {
      const res = await this.call<{
        result_list?: Array<{ comment_id?: number; fail_error?: string; fail_message?: string }>;
      }>(ctx, "POST", "/api/v2/product/reply_comment", "product.reply_comment", {
        comment_list: [{ comment_id: Number(externalReviewId), comment: text.normalize("NFC") }],
      });
      const r = res.result_list?.find((x) => String(x.comment_id) === externalReviewId);
      if (!r)
        return {
          key,
          outcome: "failed_retriable",
          remoteCode: "no_result",
          remoteMessage: "no result for it",
        };
      if (r.fail_error)
        return {
          key,
          outcome: "failed_fatal",
          remoteCode: r.fail_error,
          remoteMessage: r.fail_message ?? "",
        };
      return { key, outcome: "applied" };
    } catch (e) {
      return { key, ...failureOf(e) };
    }
  }

  verifyWebhook(req: WebhookRequest, app: AppCredentials): boolean {
    const header = req.headers["authorization"] ?? req.headers["Authorization"];
    return sameSignature(shopeePushSignature(app.appSecret, req.url, req.rawBody), header);
  }

  /** Shopee pushes carry `timestamp` in seconds. */
  webhookSentAt(req: WebhookRequest): number | null {
    const t = (JSON.parse(req.rawBody.toString("utf8")) as { timestamp?: number }).timestamp;
    return typeof t === "number" ? t * 1000 : null;
  }

  parseWebhook(req: WebhookRequest): WebhookEvent[] {
    const push = JSON.parse(req.rawBody.toString("utf8")) as {
      shop_id?: number;
      code?: number;
      timestamp?: number;
      msg_id?: string;
      data?: { ordersn?: string; status?: string; update_time?: number };
    };
    const shopId = push.shop_id != null ? String(push.shop_id) : null;
    const occurredAt = push.data?.update_time
      ? push.data.update_time * 1000
      : push.timestamp
        ? push.timestamp * 1000
        : null;
    if (push.code === 3 && push.data?.ordersn && push.data.status) {
      const status = normalizeStatus(push.data.status);
      return [
        {
          eventKey: `order:${push.data.ordersn}:${push.data.status}:${push.data.update_time ?? push.timestamp ?? ""}`,
          kind: push.data.status === "UNPAID" ? "order.created" : "order.status",
          shopId,
          externalOrderId: push.data.ordersn,
          status,
          occurredAt,
          raw: push,
        },
      ];
    }
    // Shopee resends the same bytes on retry, so a digest of them is a stable key.
    const digest = push.msg_id ?? crypto.createHash("sha256").update(req.rawBody).digest("hex").slice(0, 32);
    const kind: WebhookEvent["kind"] =
      push.code === 2 ? "auth.revoked" : push.code === 6 || push.code === 8 ? "product.changed" : "other";
    return [
      {
        eventKey: `push:${push.code ?? "?"}:${shopId ?? "-"}:${digest}`,
        kind,
        shopId,
        occurredAt,
        raw: push,
      },
    ];
  }
}
