/**
 * A local imitation of the Lazada Open Platform gateway (LazOP, Vietnam site) over real HTTP. It
 * checks app keys, timestamps and HMAC signatures the way the gateway does, issues and expires
 * OAuth tokens, keeps products, SKUs, stock and orders in memory, enforces Lazada's batch caps and
 * page sizes with Lazada's own error envelopes, and pushes signed order messages (LPM) to a target.
 * Paths are served both bare ("/orders/get") and under the gateway's "/rest" prefix.
 */
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { NormalizedOrderStatus } from "../../channels/connectors/connector";
import { pushSignature, requestSignature } from "../../channels/connectors/lazada/lazada.signing";
import {
  NO_FAULTS,
  type MarketplaceSandbox,
  type SandboxCounters,
  type SandboxFaults,
  type SandboxOrderLineSpec,
  type SandboxReviewSpec,
  type SandboxReviewView,
  type SandboxShop,
  type SandboxSkuView,
} from "../sandbox";
import { CATEGORY_ATTRIBUTES, CATEGORY_TREE, findCategory } from "./lazada-sandbox.catalog";

export interface LazadaSandboxOptions {
  /** Access token lifetime in seconds (online app: 30 days). */
  accessTtlSeconds?: number;
  /** Refresh token lifetime in seconds (online app: 180 days); a refresh never extends it. */
  refreshTtlSeconds?: number;
  /** Largest `offset` /orders/get accepts (5000 on Lazada); lower it to test the restart path. */
  maxOrderOffset?: number;
  /** Clock for token expiry, timestamps and order times; defaults to Date.now. */
  now?: () => number;
}

/** Lazada caps and limits the sandbox enforces. */
export const LAZADA_CAPS = {
  timestampSkewMs: 7_200_000,
  skusPerPriceQuantityCall: 50,
  productsPageMax: 50,
  ordersPageMax: 100,
  orderItemsOrderIds: 50,
  fulfilPerCall: 20,
  maxPriceVnd: 1_000_000_000,
  maxQuantity: 999_999,
  authCodeTtlMs: 30 * 60_000,
  /** GetHistoryReviewIdList: one window ≤ 7 days, within the last 3 months, pages 1–50. */
  reviewWindowMs: 7 * 86_400_000,
  reviewHistoryMs: 90 * 86_400_000,
  reviewMaxPage: 50,
  /** Ids per history page: not documented [U]; the response carries it as page_size. */
  reviewIdsPerPage: 20,
  /** GetReviewListByIdList: "id list, maxLength = 10". */
  reviewIdsPerDetailCall: 10,
  /** SubmitSellerReply: "max length = 500". */
  replyMaxChars: 500,
} as const;

interface AppState {
  appKey: string;
  appSecret: string;
}

interface ShopState {
  sellerId: string;
  appKey: string;
  shortCode: string;
  items: Map<string, ItemState>;
  orders: Map<string, OrderState>;
  reviews: Map<string, ReviewState>;
}

/** A buyer's product review; Lazada's seller API shows no buyer name. */
interface ReviewState {
  id: string;
  itemId: string;
  skuId: string;
  orderId: string;
  rating: number;
  content: string;
  createTime: number;
  sellerReply: string | null;
  canReply: boolean;
}

interface TokenState {
  shopId: string;
  appKey: string;
  expiresAt: number;
  refreshExpiresAt: number;
}

interface SkuState {
  skuId: string;
  sellerSku: string;
  shopSku: string;
  price: number;
  quantity: number;
  saleProps: Record<string, string>;
  packageWeight: string;
  images: string[];
}

interface ItemState {
  itemId: string;
  categoryId: number;
  attributes: Record<string, string | string[]>;
  images: string[];
  skus: SkuState[];
  createdAt: number;
  updatedAt: number;
}

type LazadaItemStatus =
  | "unpaid"
  | "pending"
  | "packed"
  | "ready_to_ship"
  | "shipped"
  | "delivered"
  | "confirmed"
  | "canceled"
  | "returned";

interface OrderItemState {
  orderItemId: string;
  itemId: string;
  skuId: string;
  sellerSku: string;
  shopSku: string;
  name: string;
  variation: string;
  price: number;
  status: LazadaItemStatus;
  packageId: string | null;
  trackingCode: string | null;
  updatedAt: number;
}

interface OrderState {
  orderId: string;
  createdAt: number;
  updatedAt: number;
  items: OrderItemState[];
  firstName: string;
  lastName: string;
}

type Params = Record<string, string>;

interface Reply {
  status: number;
  body: unknown;
  /** Never answer: the client's timeout fires (timeoutRate). */
  hang?: boolean;
  headers?: Record<string, string>;
}

const STATUS_TO_LAZADA: Record<NormalizedOrderStatus, LazadaItemStatus> = {
  UNPAID: "unpaid",
  PENDING: "pending",
  READY_TO_SHIP: "ready_to_ship",
  SHIPPED: "shipped",
  DELIVERED: "delivered",
  COMPLETED: "confirmed",
  CANCELLED: "canceled",
  RETURNED: "returned",
};

const ORDER_STATUS_FILTERS = new Set([
  "unpaid",
  "pending",
  "packed",
  "canceled",
  "ready_to_ship",
  "delivered",
  "returned",
  "shipped",
  "failed",
  "confirmed",
  "topack",
  "toship",
  "shipping",
  "lost",
  "all",
]);

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/;

function randomHex(bytes: number): string {
  return crypto.randomBytes(bytes).toString("hex");
}

function requestId(): string {
  return randomHex(12);
}

function ok(data: unknown): Reply {
  return { status: 200, body: { code: "0", data, request_id: requestId() } };
}

function fail(
  code: string,
  message: string,
  type: "ISV" | "ISP" | "SYSTEM" = "ISV",
  extra: object = {},
): Reply {
  return { status: 200, body: { type, code, message, request_id: requestId(), ...extra } };
}

/** The review APIs answer `success` and `error_code` next to the gateway's `code` [V: API schema]. */
function reviewOk(data: unknown): Reply {
  return { status: 200, body: { code: "0", data, success: true, request_id: requestId() } };
}

function reviewFail(errorCode: string, message: string): Reply {
  return {
    status: 200,
    body: { code: "0", success: false, error_code: errorCode, error_msg: message, request_id: requestId() },
  };
}

/** Lazada's order timestamps: "2024-06-01 09:30:00 +0700" (Vietnam local time). */
export function lazadaDateTime(ms: number): string {
  const local = new Date(ms + 7 * 3_600_000);
  const p = (n: number) => String(n).padStart(2, "0");
  return (
    `${local.getUTCFullYear()}-${p(local.getUTCMonth() + 1)}-${p(local.getUTCDate())} ` +
    `${p(local.getUTCHours())}:${p(local.getUTCMinutes())}:${p(local.getUTCSeconds())} +0700`
  );
}

function money(n: number): string {
  return n.toFixed(2);
}

/** Lazada payload lists arrive as an object (one element) or an array, depending on the writer. */
function asList<T>(value: T | T[] | undefined | null): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function shuffle<T>(list: T[]): T[] {
  const a = [...list];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

export class LazadaSandbox implements MarketplaceSandbox {
  readonly code = "lazada" as const;
  private url = "";
  private server: http.Server | null = null;
  private readonly now: () => number;
  private readonly accessTtlMs: number;
  private readonly refreshTtlMs: number;
  private readonly maxOrderOffset: number;

  private faults: SandboxFaults = { ...NO_FAULTS };
  private stats: SandboxCounters = { calls: {}, rateLimited: 0, badSignature: 0 };
  private readonly apps = new Map<string, AppState>();
  private readonly shops = new Map<string, ShopState>();
  private readonly accessTokens = new Map<string, TokenState>();
  private readonly refreshTokens = new Map<string, TokenState>();
  private readonly authCodes = new Map<string, { shopId: string; expiresAt: number }>();
  private readonly images = new Set<string>();
  private readonly recentCalls = new Map<string, number[]>();
  private webhookTarget: string | null = null;
  private readonly inflight = new Set<Promise<void>>();
  private seq = 1;

  constructor(opts: LazadaSandboxOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.accessTtlMs = (opts.accessTtlSeconds ?? 30 * 86_400) * 1000;
    this.refreshTtlMs = (opts.refreshTtlSeconds ?? 180 * 86_400) * 1000;
    this.maxOrderOffset = opts.maxOrderOffset ?? 5000;
  }

  get baseUrl(): string {
    return this.url;
  }

  async start(port = 0): Promise<string> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    await this.flushWebhooks();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---------- test-facing state and knobs ----------

  createShop(opts: { shopId?: string; appKey?: string; appSecret?: string } = {}): SandboxShop {
    const appKey = opts.appKey ?? String(100000 + Math.floor(Math.random() * 900000));
    const existing = this.apps.get(appKey);
    const appSecret = opts.appSecret ?? existing?.appSecret ?? randomHex(16);
    this.apps.set(appKey, { appKey, appSecret });
    const sellerId = opts.shopId ?? String(200000000 + this.nextSeq());
    this.shops.set(sellerId, {
      sellerId,
      appKey,
      shortCode: `VN${sellerId.slice(-6)}`,
      items: new Map(),
      orders: new Map(),
      reviews: new Map(),
    });
    const t = this.issueTokens(sellerId, appKey, this.now() + this.refreshTtlMs);
    return {
      shopId: sellerId,
      appKey,
      appSecret,
      accessToken: t.accessToken,
      refreshToken: t.refreshToken,
      accessExpiresAt: t.state.expiresAt,
    };
  }

  issueAuthCode(shopId: string): string {
    this.shop(shopId);
    const code = `0_${randomHex(16)}`;
    this.authCodes.set(code, { shopId, expiresAt: this.now() + LAZADA_CAPS.authCodeTtlMs });
    return code;
  }

  expireAccessToken(shopId: string): void {
    for (const t of this.accessTokens.values()) if (t.shopId === shopId) t.expiresAt = this.now() - 1;
  }

  revokeAuthorization(shopId: string): void {
    for (const [k, t] of this.accessTokens) if (t.shopId === shopId) this.accessTokens.delete(k);
    for (const [k, t] of this.refreshTokens) if (t.shopId === shopId) this.refreshTokens.delete(k);
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
    const t = this.now();
    const item: ItemState = {
      itemId: String(3_000_000_000 + this.nextSeq()),
      categoryId: Number(listing.categoryId ?? 10000011),
      attributes: {
        name: listing.title.normalize("NFC"),
        description: listing.title.normalize("NFC"),
        brand: "No Brand",
      },
      images: [],
      skus: listing.variants.map((v, i) =>
        this.newSku(v.sku, v.priceVnd, v.stock, { variation: `Loại ${i + 1}` }, "0.5"),
      ),
      createdAt: t,
      updatedAt: t,
    };
    shop.items.set(item.itemId, item);
    return { externalItemId: item.itemId };
  }

  seedReview(shopId: string, spec: SandboxReviewSpec): { externalReviewId: string } {
    const shop = this.shop(shopId);
    const hit = this.findSku(shop, { sellerSku: spec.sku });
    if (!hit) throw new Error(`lazada sandbox: unknown SKU ${spec.sku} in shop ${shopId}`);
    if (!Number.isInteger(spec.rating) || spec.rating < 1 || spec.rating > 5)
      throw new Error(`lazada sandbox: rating ${spec.rating} is not 1–5`);
    const review: ReviewState = {
      id: String(800_000_000 + this.nextSeq()),
      itemId: hit.item.itemId,
      skuId: hit.sku.skuId,
      orderId: String(500_000_000_000 + this.nextSeq()),
      rating: spec.rating,
      content: (spec.text ?? "").normalize("NFC"),
      createTime: spec.at ?? this.now(),
      sellerReply: spec.reply ?? null,
      canReply: spec.canReply !== false && !spec.reply,
    };
    shop.reviews.set(review.id, review);
    return { externalReviewId: review.id };
  }

  reviewView(shopId: string, externalReviewId: string): SandboxReviewView | null {
    const r = this.shops.get(shopId)?.reviews.get(externalReviewId);
    return r
      ? {
          externalReviewId: r.id,
          externalItemId: r.itemId,
          rating: r.rating,
          text: r.content,
          reply: r.sellerReply,
        }
      : null;
  }

  skuView(shopId: string, sku: string): SandboxSkuView | null {
    const hit = this.findSku(this.shop(shopId), { sellerSku: sku });
    return hit ? this.view(hit.item, hit.sku) : null;
  }

  allSkus(shopId: string): SandboxSkuView[] {
    return [...this.shop(shopId).items.values()].flatMap((item) => item.skus.map((s) => this.view(item, s)));
  }

  createOrder(
    shopId: string,
    lines: SandboxOrderLineSpec[],
    opts: { at?: number } = {},
  ): { externalOrderId: string } {
    const shop = this.shop(shopId);
    const at = opts.at ?? this.now();
    const resolved = lines.map((line) => {
      const hit = this.findSku(shop, { sellerSku: line.sku });
      if (!hit) throw new Error(`lazada sandbox: unknown SKU ${line.sku} in shop ${shopId}`);
      if (!Number.isInteger(line.quantity) || line.quantity < 1)
        throw new Error(`bad quantity for ${line.sku}`);
      if (hit.sku.quantity < line.quantity)
        throw new Error(`lazada sandbox: not enough stock for ${line.sku}`);
      return { line, ...hit };
    });
    const order: OrderState = {
      orderId: String(500_000_000_000 + this.nextSeq()),
      createdAt: at,
      updatedAt: at,
      items: [],
      firstName: "Nguyễn Thị",
      lastName: "Hoà",
    };
    for (const { line, item, sku } of resolved) {
      sku.quantity -= line.quantity;
      // Lazada has one order item per unit bought: quantity 2 = two order items.
      for (let i = 0; i < line.quantity; i++) {
        order.items.push({
          orderItemId: String(600_000_000_000 + this.nextSeq()),
          itemId: item.itemId,
          skuId: sku.skuId,
          sellerSku: sku.sellerSku,
          shopSku: sku.shopSku,
          name: String(item.attributes.name ?? ""),
          variation: Object.values(sku.saleProps).join(", "),
          price: line.unitPriceVnd ?? sku.price,
          status: "pending",
          packageId: null,
          trackingCode: null,
          updatedAt: at,
        });
      }
    }
    shop.orders.set(order.orderId, order);
    this.pushOrderMessages(shop, order, order.items);
    return { externalOrderId: order.orderId };
  }

  setOrderStatus(shopId: string, externalOrderId: string, status: NormalizedOrderStatus): void {
    const shop = this.shop(shopId);
    const order = shop.orders.get(externalOrderId);
    if (!order) throw new Error(`lazada sandbox: unknown order ${externalOrderId}`);
    this.moveItems(shop, order, order.items, STATUS_TO_LAZADA[status]);
  }

  setWebhookTarget(url: string | null): void {
    this.webhookTarget = url;
  }

  async flushWebhooks(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  // ---------- state helpers ----------

  private nextSeq(): number {
    return this.seq++;
  }

  private shop(shopId: string): ShopState {
    const shop = this.shops.get(shopId);
    if (!shop) throw new Error(`lazada sandbox: unknown shop ${shopId}`);
    return shop;
  }

  private issueTokens(shopId: string, appKey: string, refreshExpiresAt: number) {
    const state: TokenState = { shopId, appKey, expiresAt: this.now() + this.accessTtlMs, refreshExpiresAt };
    const accessToken = `50000${randomHex(20)}`;
    const refreshToken = `50001${randomHex(20)}`;
    this.accessTokens.set(accessToken, state);
    this.refreshTokens.set(refreshToken, { ...state });
    return { accessToken, refreshToken, state };
  }

  private newSku(
    sellerSku: string,
    price: number,
    quantity: number,
    saleProps: Record<string, string>,
    weight: string,
  ): SkuState {
    const skuId = String(15_000_000_000 + this.nextSeq());
    return {
      skuId,
      sellerSku: sellerSku.normalize("NFC"),
      shopSku: `${skuId}_VNAMZ-${skuId}`,
      price,
      quantity,
      saleProps,
      packageWeight: weight,
      images: [],
    };
  }

  private findSku(
    shop: ShopState,
    ref: { sellerSku?: string; skuId?: string },
  ): { item: ItemState; sku: SkuState } | null {
    for (const item of shop.items.values()) {
      for (const sku of item.skus) {
        if (ref.skuId ? sku.skuId === ref.skuId : sku.sellerSku === ref.sellerSku) return { item, sku };
      }
    }
    return null;
  }

  private view(item: ItemState, sku: SkuState): SandboxSkuView {
    return {
      sku: sku.sellerSku,
      externalItemId: item.itemId,
      externalSkuId: sku.skuId,
      title: String(item.attributes.name ?? ""),
      priceVnd: sku.price,
      stock: sku.quantity,
      attributes: { ...item.attributes, ...sku.saleProps },
      images: [...item.images],
      description: String(item.attributes.description ?? ""),
    };
  }

  private moveItems(shop: ShopState, order: OrderState, items: OrderItemState[], to: LazadaItemStatus): void {
    const t = this.now();
    for (const it of items) {
      // A cancelled or returned unit goes back to sellable stock, as on Lazada.
      if ((to === "canceled" || to === "returned") && it.status !== "canceled" && it.status !== "returned") {
        const hit = this.findSku(shop, { skuId: it.skuId });
        if (hit) hit.sku.quantity += 1;
      }
      it.status = to;
      it.updatedAt = t;
    }
    order.updatedAt = t;
    this.pushOrderMessages(shop, order, items);
  }

  /** One LPM trade-order message (message_type 0) per order item, signed with the shop's app. */
  private pushOrderMessages(shop: ShopState, order: OrderState, items: OrderItemState[]): void {
    const target = this.webhookTarget;
    if (!target) return;
    const app = this.apps.get(shop.appKey)!;
    const bodies = items.map((it) =>
      JSON.stringify({
        seller_id: shop.sellerId,
        message_type: 0,
        data: {
          order_status: it.status,
          status_update_time: Math.floor(it.updatedAt / 1000),
          trade_order_id: order.orderId,
          trade_order_line_id: it.orderItemId,
        },
        timestamp: this.now(),
        site: "lazada_vn",
      }),
    );
    const copies = Math.max(1, this.faults.webhookDuplicates);
    let sends: string[] = bodies.flatMap((b) => Array.from({ length: copies }, () => b));
    if (this.faults.webhookShuffle) sends = shuffle(sends);
    const run = (async () => {
      for (const body of sends) {
        const raw = Buffer.from(body, "utf8");
        try {
          const res = await fetch(target, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              authorization: pushSignature(app.appKey, app.appSecret, raw),
            },
            body: raw,
          });
          await res.arrayBuffer();
        } catch {
          // Lazada retries later; the sandbox just drops it (tests read the counters instead).
        }
      }
    })();
    this.inflight.add(run);
    void run.finally(() => this.inflight.delete(run));
  }

  // ---------- HTTP ----------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const raw = Buffer.concat(chunks);
      const reply = await this.route(req, raw);
      if (reply.hang) return; // the client times out; close() drops the socket
      const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status, {
        "content-type":
          typeof reply.body === "string" ? "text/plain; charset=utf-8" : "application/json;charset=UTF-8",
        ...reply.headers,
      });
      res.end(text);
    } catch (e) {
      res.writeHead(500, { "content-type": "application/json;charset=UTF-8" });
      res.end(
        JSON.stringify({
          type: "SYSTEM",
          code: "InternalError",
          message: String(e),
          request_id: requestId(),
        }),
      );
    }
  }

  private async readParams(
    req: http.IncomingMessage,
    url: URL,
    raw: Buffer,
  ): Promise<{ params: Params; files: Map<string, Buffer> }> {
    const params: Params = {};
    const files = new Map<string, Buffer>();
    for (const [k, v] of url.searchParams) params[k] = v;
    const type = String(req.headers["content-type"] ?? "");
    if (raw.length === 0) return { params, files };
    if (type.startsWith("application/x-www-form-urlencoded")) {
      for (const [k, v] of new URLSearchParams(raw.toString("utf8"))) params[k] = v;
    } else if (type.startsWith("multipart/form-data")) {
      const form = await new Request("http://sandbox.local/", {
        method: "POST",
        headers: { "content-type": type },
        body: raw,
      }).formData();
      for (const [k, v] of form.entries()) {
        if (typeof v === "string") params[k] = v;
        else files.set(k, Buffer.from(await v.arrayBuffer()));
      }
    } else if (type.startsWith("application/json")) {
      // The doc's curl sample posts the params as one flat JSON object.
      const obj = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
      for (const [k, v] of Object.entries(obj)) params[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return { params, files };
  }

  private async route(req: http.IncomingMessage, raw: Buffer): Promise<Reply> {
    const url = new URL(req.url ?? "/", "http://sandbox.local");
    const path = url.pathname.replace(/^\/rest(?=\/)/, "");
    this.stats.calls[path] = (this.stats.calls[path] ?? 0) + 1;

    if (path === "/oauth/authorize") return this.authorizePage(url);

    if (this.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, this.faults.latencyMs));
    if (this.faults.timeoutRate > 0 && Math.random() < this.faults.timeoutRate)
      return { status: 0, body: null, hang: true };

    let parsed: { params: Params; files: Map<string, Buffer> };
    try {
      parsed = await this.readParams(req, url, raw);
    } catch {
      return fail("5", "E005: Invalid Request Format");
    }
    const { params, files } = parsed;

    for (const p of ["app_key", "timestamp", "sign_method", "sign"]) {
      if (!params[p])
        return fail(
          "MissingParameter",
          `The input parameter "${p}" that is mandatory for processing this request is not supplied.`,
        );
    }
    const app = this.apps.get(params.app_key);
    if (!app) return fail("InvalidAppKey", "Specified app key is invalid");
    const ts = /^\d+$/.test(params.timestamp) ? Number(params.timestamp) : Date.parse(params.timestamp);
    if (!Number.isFinite(ts) || Math.abs(this.now() - ts) > LAZADA_CAPS.timestampSkewMs) {
      this.stats.badSignature++;
      return fail(
        "InvalidTimestamp",
        "The specified timestamp is not valid, it must be within 7200 seconds of UTC time",
      );
    }
    if (params.sign_method !== "sha256") {
      this.stats.badSignature++;
      return fail("IncompleteSignature", "The request signature does not conform to lazop standards");
    }
    const expected = requestSignature(path, params, app.appSecret);
    if (expected !== params.sign) {
      this.stats.badSignature++;
      return fail("IncompleteSignature", "The request signature does not conform to lazop standards");
    }

    const isAuthCall = path.startsWith("/auth/");
    let token: TokenState | null = null;
    if (!isAuthCall) {
      if (!params.access_token) {
        return fail(
          "MissingParameter",
          'The input parameter "access_token" that is mandatory for processing this request is not supplied.',
        );
      }
      const t = this.accessTokens.get(params.access_token);
      if (!t || t.appKey !== app.appKey || t.expiresAt <= this.now()) {
        return fail("IllegalAccessToken", "The specified access token is invalid or expired");
      }
      token = t;
    }

    const limiterKey = token ? `shop:${token.shopId}` : `app:${app.appKey}`;
    if (this.rateLimited(limiterKey)) {
      this.stats.rateLimited++;
      return fail(
        "ApiCallLimit",
        "Api access frequency exceeds the limit. this ban will last 1 seconds",
        "ISP",
      );
    }
    if (this.faults.errorRate > 0 && Math.random() < this.faults.errorRate) {
      return Math.random() < 0.5
        ? { status: 503, body: "Service Unavailable" }
        : fail(
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.",
            "SYSTEM",
          );
    }

    if (isAuthCall) return this.authRoute(path, params, app);
    const shop = this.shop(token!.shopId);
    switch (path) {
      case "/category/tree/get":
        return ok(CATEGORY_TREE);
      case "/category/attributes/get":
        return this.categoryAttributes(params);
      case "/image/upload":
        return this.uploadImage(files);
      case "/product/create":
        return this.createProduct(shop, params);
      case "/product/update":
        return this.updateProduct(shop, params);
      case "/products/get":
        return this.getProducts(shop, params);
      case "/product/price_quantity/update":
        return this.updatePriceQuantity(shop, params);
      case "/orders/get":
        return this.getOrders(shop, params);
      case "/order/items/get":
        return this.getOrderItems(shop, params);
      case "/orders/items/get":
        return this.getMultipleOrderItems(shop, params);
      case "/order/fulfill/pack":
        return this.pack(shop, params);
      case "/order/package/rts":
        return this.readyToShip(shop, params);
      case "/review/seller/history/list":
        return this.reviewHistory(shop, params);
      case "/review/seller/list/v2":
        return this.reviewList(shop, params);
      case "/review/seller/reply/add":
        return this.reviewReply(shop, params);
      default:
        return fail("InvalidApiPath", "The specified API path is invalid");
    }
  }

  // ---------- reviews ----------

  /** GetHistoryReviewIdList: review ids of one item created in [start_time, end_time] (ms), newest first. */
  private reviewHistory(shop: ShopState, params: Params): Reply {
    for (const p of ["item_id", "start_time", "end_time", "current"]) {
      if (!params[p])
        return fail(
          "MissingParameter",
          `The input parameter "${p}" that is mandatory for processing this request is not supplied.`,
        );
    }
    const [start, end, current] = [
      Number(params.start_time),
      Number(params.end_time),
      Number(params.current),
    ];
    if (![start, end, current].every(Number.isInteger) || start > end)
      return reviewFail(
        "PARAM_ILLEGAL",
        "start_time, end_time and current must be integers, start before end",
      );
    if (end - start > LAZADA_CAPS.reviewWindowMs)
      return reviewFail("PARAM_ILLEGAL", "The time range cannot exceed 7 days");
    if (start < this.now() - LAZADA_CAPS.reviewHistoryMs)
      return reviewFail("PARAM_ILLEGAL", "Only reviews within 3 months can be queried");
    if (current < 1 || current > LAZADA_CAPS.reviewMaxPage)
      return reviewFail("PARAM_ILLEGAL", `current must be between 1 and ${LAZADA_CAPS.reviewMaxPage}`);
    const ids = [...shop.reviews.values()]
      .filter(
        (r) =>
          r.itemId === params.item_id &&
          r.createTime >= start &&
          r.createTime <= end &&
          (!params.order_id || r.orderId === params.order_id),
      )
      .sort((a, b) => b.createTime - a.createTime || b.id.localeCompare(a.id))
      .map((r) => r.id);
    const size = LAZADA_CAPS.reviewIdsPerPage;
    return reviewOk({
      current: String(current),
      total: ids.length,
      page_size: size,
      id_list: ids.slice((current - 1) * size, current * size),
    });
  }

  /** GetReviewListByIdList: up to 10 ids as JSON array text; ids older than 3 months are "outdated". */
  private reviewList(shop: ShopState, params: Params): Reply {
    let ids: unknown;
    try {
      ids = JSON.parse(params.id_list ?? "");
    } catch {
      return reviewFail("PARAM_ILLEGAL", "id_list must be a JSON array");
    }
    if (!Array.isArray(ids) || ids.length === 0)
      return reviewFail("PARAM_ILLEGAL", "id_list must be a non-empty JSON array");
    if (ids.length > LAZADA_CAPS.reviewIdsPerDetailCall)
      return reviewFail("PARAM_ILLEGAL", `id list, maxLength = ${LAZADA_CAPS.reviewIdsPerDetailCall}`);
    const cutoff = this.now() - LAZADA_CAPS.reviewHistoryMs;
    const found = ids.map((id) => shop.reviews.get(String(id))).filter((r): r is ReviewState => !!r);
    return reviewOk({
      review_list: found
        .filter((r) => r.createTime >= cutoff)
        .map((r) => ({
          id: Number(r.id),
          product_id: Number(r.itemId),
          sku_id: Number(r.skuId),
          order_id: Number(r.orderId),
          create_time: r.createTime,
          submit_time: r.createTime,
          review_type: "PRODUCT",
          review_content: r.content,
          ratings: {
            overall_rating: r.rating,
            product_rating: r.rating,
            seller_rating: r.rating,
            logistics_rating: r.rating,
          },
          seller_reply: r.sellerReply ?? "",
          can_reply: r.canReply,
          review_images: [],
          review_videos: [],
        })),
      outdated_reviews: found.filter((r) => r.createTime < cutoff).map((r) => Number(r.id)),
    });
  }

  /** SubmitSellerReply: text only, ≤ 500 characters, once per review while can_reply. */
  private reviewReply(shop: ShopState, params: Params): Reply {
    for (const p of ["id", "content"]) {
      if (!params[p])
        return fail(
          "MissingParameter",
          `The input parameter "${p}" that is mandatory for processing this request is not supplied.`,
        );
    }
    const review = shop.reviews.get(params.id);
    if (!review) return reviewFail("REVIEW_NOT_FOUND", "The review does not exist");
    if ([...params.content].length > LAZADA_CAPS.replyMaxChars)
      return reviewFail("PARAM_ILLEGAL", `reply content max length = ${LAZADA_CAPS.replyMaxChars}`);
    if (!review.canReply) return reviewFail("REVIEW_CANNOT_REPLY", "This review can not be replied");
    review.sellerReply = params.content.normalize("NFC");
    review.canReply = false;
    return reviewOk(true);
  }

  private rateLimited(key: string): boolean {
    if (this.faults.burst429 > 0) {
      this.faults.burst429--;
      return true;
    }
    const limit = this.faults.rateLimitPerSecond;
    if (limit <= 0) return false;
    const t = this.now();
    const recent = (this.recentCalls.get(key) ?? []).filter((x) => x > t - 1000);
    if (recent.length >= limit) {
      this.recentCalls.set(key, recent);
      return true;
    }
    recent.push(t);
    this.recentCalls.set(key, recent);
    return false;
  }

  private isWriteNoop(): boolean {
    return this.faults.silentNoopRate > 0 && Math.random() < this.faults.silentNoopRate;
  }

  // ---------- auth ----------

  /** The seller "clicks authorize": redirects back with a fresh code for the app's first shop. */
  private authorizePage(url: URL): Reply {
    const appKey = url.searchParams.get("client_id") ?? "";
    const redirect = url.searchParams.get("redirect_uri");
    const shop = [...this.shops.values()].find((s) => s.appKey === appKey);
    if (!shop || !redirect) return { status: 400, body: "unknown client_id or missing redirect_uri" };
    const target = new URL(redirect);
    target.searchParams.set("code", this.issueAuthCode(shop.sellerId));
    const state = url.searchParams.get("state");
    if (state) target.searchParams.set("state", state);
    return { status: 302, body: "", headers: { location: target.toString() } };
  }

  private tokenBody(shop: ShopState, accessToken: string, refreshToken: string, t: TokenState) {
    const now = this.now();
    return {
      code: "0",
      access_token: accessToken,
      refresh_token: refreshToken,
      expires_in: Math.floor((t.expiresAt - now) / 1000),
      refresh_expires_in: Math.floor((t.refreshExpiresAt - now) / 1000),
      country: "vn",
      account_platform: "seller_center",
      account: `${shop.shortCode.toLowerCase()}@seller.lazada.vn`,
      country_user_info: [
        { country: "vn", seller_id: shop.sellerId, user_id: `1${shop.sellerId}`, short_code: shop.shortCode },
      ],
      request_id: requestId(),
    };
  }

  private authRoute(path: string, params: Params, app: AppState): Reply {
    if (path === "/auth/token/create") {
      const grant = params.code ? this.authCodes.get(params.code) : undefined;
      if (params.code) this.authCodes.delete(params.code); // single-use
      const shop = grant ? this.shops.get(grant.shopId) : undefined;
      if (!grant || !shop || grant.expiresAt <= this.now() || shop.appKey !== app.appKey) {
        return fail("InvalidCode", "Invalid authorization code");
      }
      const t = this.issueTokens(shop.sellerId, app.appKey, this.now() + this.refreshTtlMs);
      return { status: 200, body: this.tokenBody(shop, t.accessToken, t.refreshToken, t.state) };
    }
    if (path === "/auth/token/refresh") {
      const old = params.refresh_token ? this.refreshTokens.get(params.refresh_token) : undefined;
      if (!old || old.appKey !== app.appKey || old.refreshExpiresAt <= this.now()) {
        return fail("IllegalRefreshToken", "The specified refresh token is invalid or expired");
      }
      // The access lifetime restarts; the refresh token keeps its original expiry.
      const t = this.issueTokens(old.shopId, app.appKey, old.refreshExpiresAt);
      return {
        status: 200,
        body: this.tokenBody(this.shop(old.shopId), t.accessToken, t.refreshToken, t.state),
      };
    }
    return fail("InvalidApiPath", "The specified API path is invalid");
  }

  // ---------- catalogue ----------

  private categoryAttributes(params: Params): Reply {
    const id = Number(params.primary_category_id);
    const cat = findCategory(id);
    if (!cat) return fail("MissingParameter", "primary_category_id is invalid");
    if (!cat.leaf) return fail("201", `E201: "${id}" Invalid Category ID (not a leaf category)`);
    return ok(CATEGORY_ATTRIBUTES[id] ?? []);
  }

  private uploadImage(files: Map<string, Buffer>): Reply {
    const image = files.get("image");
    if (!image || image.length === 0)
      return fail(
        "MissingParameter",
        'The input parameter "image" that is mandatory for processing this request is not supplied.',
      );
    const isJpeg = image[0] === 0xff && image[1] === 0xd8;
    const isPng = image.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    if (!isJpeg && !isPng) return fail("5", "E005: Invalid Request Format (image must be JPG or PNG)");
    const hash = crypto.createHash("md5").update(image).digest("hex");
    const url = `https://vn-test-11.slatic.net/p/${hash}.${isPng ? "png" : "jpg"}`;
    this.images.add(url);
    return ok({ image: { url, hash_code: hash } });
  }

  // ---------- products ----------

  private parsePayload(params: Params): { Product?: Record<string, unknown> } | Reply {
    const text = params.payload;
    if (!text)
      return fail(
        "MissingParameter",
        'The input parameter "payload" that is mandatory for processing this request is not supplied.',
      );
    try {
      const obj = JSON.parse(text) as { Request?: { Product?: Record<string, unknown> } };
      if (!obj.Request?.Product) return fail("5", "E005: Invalid Request Format");
      return obj.Request;
    } catch {
      // The real gateway also takes XML payloads; this sandbox speaks the JSON form only.
      return fail("5", "E005: Invalid Request Format");
    }
  }

  private validateAttributes(
    categoryId: number,
    attrs: Record<string, unknown>,
    skus: Array<Record<string, unknown>>,
  ): Reply | null {
    const defs = CATEGORY_ATTRIBUTES[categoryId] ?? [];
    for (const d of defs) {
      if (d.attribute_type !== "normal") continue;
      const v = attrs[d.name];
      const empty = v === undefined || v === null || String(v).trim() === "";
      if (d.is_mandatory && empty) {
        const code = ["name", "description", "brand"].includes(d.name) ? "4108" : "4110";
        const label = code === "4108" ? "CHK_BASIC_REQUIRED" : "BIZ_CHECK_CAT_PROP_MANDATORY";
        return fail(code, `${label}: ${d.name}`, "ISV", {
          detail: [{ field: d.name, message: `${d.label} is mandatory` }],
        });
      }
      if (
        !empty &&
        d.input_type === "singleSelect" &&
        d.options.length > 0 &&
        !d.options.some((o) => o.name === String(v))
      ) {
        return fail("4115", `CHK_CATPROP_CPV_NOT_ENUM: ${d.name}`, "ISV", {
          detail: [{ field: d.name, message: `"${String(v)}" is not an option of ${d.label}` }],
        });
      }
    }
    const saleProps = defs.filter((d) => d.is_sale_prop).map((d) => d.name);
    if (skus.length > 1) {
      const seen = new Set<string>();
      for (const s of skus) {
        const key = saleProps.map((p) => String(s[p] ?? "")).join("|");
        if (saleProps.every((p) => !s[p])) {
          return fail("4113", "CHK_SKU_PROPS_NOT_IDENTICAL", "ISV", {
            detail: [
              {
                field: "Skus",
                seller_sku: String(s.SellerSku ?? ""),
                message: "Sales attribute is not filled in",
              },
            ],
          });
        }
        if (seen.has(key)) {
          return fail("4112", "CHK_SKU_PROPS_DUPLICATE", "ISV", {
            detail: [
              { field: "Skus", seller_sku: String(s.SellerSku ?? ""), message: "Duplicate Sku attributes" },
            ],
          });
        }
        seen.add(key);
      }
    }
    return null;
  }

  private checkSkuValues(s: Record<string, unknown>, needPriceAndQuantity: boolean): Reply | null {
    const sellerSku = String(s.SellerSku ?? "");
    if (!sellerSku)
      return fail("4108", "CHK_BASIC_REQUIRED: SellerSku", "ISV", {
        detail: [{ field: "SellerSku", message: "SellerSku is mandatory" }],
      });
    if (needPriceAndQuantity || s.price !== undefined) {
      const price = Number(s.price);
      const problem = this.priceProblem(price);
      if (problem)
        return fail("4118", problem, "ISV", {
          detail: [{ field: "price", seller_sku: sellerSku, message: problem }],
        });
    }
    if (needPriceAndQuantity || s.quantity !== undefined) {
      const q = Number(s.quantity);
      if (!Number.isInteger(q) || q < 0 || q > LAZADA_CAPS.maxQuantity) {
        return fail("4107", "CHECK_CAT_PROP_INVALID_NUMBER: quantity", "ISV", {
          detail: [
            {
              field: "quantity",
              seller_sku: sellerSku,
              message: "Quantity must be an integer from 0 to 999999",
            },
          ],
        });
      }
    }
    return null;
  }

  private priceProblem(price: number): string | null {
    if (!Number.isFinite(price) || price <= 0) return "BIZ_CHECK_PRICE_IS_ZERO";
    if (!Number.isInteger(price)) return "BIZ_CHECK_PRICE_PRECISION_INVALID";
    if (price > LAZADA_CAPS.maxPriceVnd) return "BIZ_CHECK_PRICE_OUT_OF_RANGE";
    return null;
  }

  private skuSaleProps(categoryId: number, s: Record<string, unknown>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const d of CATEGORY_ATTRIBUTES[categoryId] ?? []) {
      if (d.is_sale_prop && s[d.name] !== undefined) out[d.name] = String(s[d.name]).normalize("NFC");
    }
    return out;
  }

  private normaliseAttrs(attrs: Record<string, unknown>): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(attrs)) {
      out[k] = Array.isArray(v) ? v.map((x) => String(x).normalize("NFC")) : String(v).normalize("NFC");
    }
    return out;
  }

  private imagesOf(product: Record<string, unknown>): string[] | null {
    const node = product.Images as { Image?: string | string[] } | undefined;
    if (!node) return null;
    return asList(node.Image).map(String);
  }

  private createProduct(shop: ShopState, params: Params): Reply {
    const req = this.parsePayload(params);
    if ("status" in req) return req;
    const p = req.Product!;
    const categoryId = Number(p.PrimaryCategory);
    const cat = findCategory(categoryId);
    if (!cat || !cat.leaf) return fail("201", `E201: "${String(p.PrimaryCategory)}" Invalid Category ID`);
    const attrs = (p.Attributes ?? {}) as Record<string, unknown>;
    const skus = asList((p.Skus as { Sku?: unknown } | undefined)?.Sku) as Array<Record<string, unknown>>;
    if (skus.length === 0)
      return fail("4108", "CHK_BASIC_REQUIRED: Skus", "ISV", {
        detail: [{ field: "Skus", message: "At least one SKU is required" }],
      });
    const images = this.imagesOf(p) ?? [];
    const foreign = images.find((u) => !this.images.has(u));
    if (images.length === 0 || foreign) {
      return fail("4108", "CHK_BASIC_REQUIRED: Images", "ISV", {
        detail: [
          {
            field: "Images",
            message: foreign
              ? `Image ${foreign} is not hosted by Lazada; upload or migrate it first`
              : "At least one image is required",
          },
        ],
      });
    }
    const bad = this.validateAttributes(categoryId, attrs, skus);
    if (bad) return bad;
    const seen = new Set<string>();
    for (const s of skus) {
      const problem = this.checkSkuValues(s, true);
      if (problem) return problem;
      const sellerSku = String(s.SellerSku).normalize("NFC");
      if (seen.has(sellerSku) || this.findSku(shop, { sellerSku })) {
        return fail("4105", "BIZ_CHECK_SELLER_SKU_DUPLICATE", "ISV", {
          detail: [{ field: "SellerSku", seller_sku: sellerSku, message: "SellerSku repeat" }],
        });
      }
      seen.add(sellerSku);
    }
    const t = this.now();
    const item: ItemState = {
      itemId: String(3_000_000_000 + this.nextSeq()),
      categoryId,
      attributes: this.normaliseAttrs(attrs),
      images,
      skus: skus.map((s) =>
        this.newSku(
          String(s.SellerSku),
          Number(s.price),
          Number(s.quantity),
          this.skuSaleProps(categoryId, s),
          String(s.package_weight ?? ""),
        ),
      ),
      createdAt: t,
      updatedAt: t,
    };
    shop.items.set(item.itemId, item);
    return ok({
      item_id: Number(item.itemId),
      sku_list: item.skus.map((s) => ({
        seller_sku: s.sellerSku,
        shop_sku: s.shopSku,
        sku_id: Number(s.skuId),
      })),
    });
  }

  private updateProduct(shop: ShopState, params: Params): Reply {
    const req = this.parsePayload(params);
    if ("status" in req) return req;
    const p = req.Product!;
    const item = shop.items.get(String(p.ItemId ?? ""));
    if (!item) return fail("208", `E208: "${String(p.ItemId ?? "")}" Item not found`);
    const attrs = { ...item.attributes, ...((p.Attributes ?? {}) as Record<string, unknown>) };
    const skus = asList((p.Skus as { Sku?: unknown } | undefined)?.Sku) as Array<Record<string, unknown>>;
    const images = this.imagesOf(p);
    const foreign = images?.find((u) => !this.images.has(u));
    if (foreign)
      return fail("4108", "CHK_BASIC_REQUIRED: Images", "ISV", {
        detail: [{ field: "Images", message: `Image ${foreign} is not hosted by Lazada` }],
      });
    const merged = skus.map((s) => ({ ...s }));
    const bad = this.validateAttributes(item.categoryId, attrs, merged.length > 0 ? merged : []);
    if (bad) return bad;
    const plan: Array<{ existing: SkuState | null; s: Record<string, unknown> }> = [];
    for (const s of skus) {
      const existing = s.SkuId
        ? (item.skus.find((x) => x.skuId === String(s.SkuId)) ?? null)
        : (item.skus.find((x) => x.sellerSku === String(s.SellerSku ?? "").normalize("NFC")) ?? null);
      if (s.SkuId && !existing)
        return fail("4133", "Invalid variation", "ISV", {
          detail: [
            {
              field: "SkuId",
              seller_sku: String(s.SellerSku ?? ""),
              message: `SkuId ${String(s.SkuId)} is not part of item ${item.itemId}`,
            },
          ],
        });
      const problem = this.checkSkuValues(s, !existing);
      if (problem) return problem;
      if (!existing && this.findSku(shop, { sellerSku: String(s.SellerSku).normalize("NFC") })) {
        return fail("4105", "BIZ_CHECK_SELLER_SKU_DUPLICATE", "ISV", {
          detail: [{ field: "SellerSku", seller_sku: String(s.SellerSku), message: "SellerSku repeat" }],
        });
      }
      plan.push({ existing, s });
    }
    if (this.isWriteNoop()) return ok({});
    item.attributes = this.normaliseAttrs(attrs);
    if (images) item.images = images;
    for (const { existing, s } of plan) {
      const props = this.skuSaleProps(item.categoryId, s);
      if (existing) {
        // UpdateProduct changes content only; price and stock go through UpdatePriceQuantity.
        existing.saleProps = { ...existing.saleProps, ...props };
        if (s.package_weight !== undefined) existing.packageWeight = String(s.package_weight);
      } else {
        item.skus.push(
          this.newSku(
            String(s.SellerSku),
            Number(s.price),
            Number(s.quantity),
            props,
            String(s.package_weight ?? ""),
          ),
        );
      }
    }
    item.updatedAt = this.now();
    return ok({
      item_id: Number(item.itemId),
      sku_list: item.skus.map((s) => ({
        seller_sku: s.sellerSku,
        shop_sku: s.shopSku,
        sku_id: Number(s.skuId),
      })),
    });
  }

  private productJson(item: ItemState) {
    return {
      item_id: Number(item.itemId),
      primary_category: item.categoryId,
      attributes: item.attributes,
      images: item.images,
      status: "Active",
      created_time: String(item.createdAt),
      updated_time: String(item.updatedAt),
      skus: item.skus.map((s) => ({
        SkuId: Number(s.skuId),
        SellerSku: s.sellerSku,
        ShopSku: s.shopSku,
        quantity: s.quantity,
        Available: s.quantity,
        price: s.price,
        special_price: 0,
        Status: "active",
        package_weight: s.packageWeight,
        Images: s.images,
        ...s.saleProps,
      })),
    };
  }

  private getProducts(shop: ShopState, params: Params): Reply {
    const limit = params.limit === undefined ? 10 : Number(params.limit);
    const offset = params.offset === undefined ? 0 : Number(params.offset);
    if (!Number.isInteger(limit) || limit < 1 || limit > LAZADA_CAPS.productsPageMax)
      return fail("19", `E019: "${params.limit}" Invalid Limit`);
    if (!Number.isInteger(offset) || offset < 0) return fail("14", `E014: "${params.offset}" Invalid Offset`);
    const filter = params.filter ?? "all";
    if (
      !["all", "live", "inactive", "deleted", "image-missing", "pending", "rejected", "sold-out"].includes(
        filter,
      )
    ) {
      return fail("5", `E005: Invalid filter "${filter}"`);
    }
    let items = [...shop.items.values()].sort((a, b) => Number(a.itemId) - Number(b.itemId));
    if (filter === "sold-out") items = items.filter((i) => i.skus.every((s) => s.quantity === 0));
    else if (filter !== "all" && filter !== "live") items = [];
    if (params.sku_seller_list) {
      let wanted: string[];
      try {
        wanted = (JSON.parse(params.sku_seller_list) as unknown[]).map((x) => String(x).normalize("NFC"));
      } catch {
        return fail("5", "E005: Invalid Request Format (sku_seller_list must be a JSON array)");
      }
      items = items.filter((i) => i.skus.some((s) => wanted.includes(s.sellerSku)));
    }
    const page = items.slice(offset, offset + limit);
    return ok({ total_products: items.length, products: page.map((i) => this.productJson(i)) });
  }

  private updatePriceQuantity(shop: ShopState, params: Params): Reply {
    const req = this.parsePayload(params);
    if ("status" in req) return req;
    const skus = asList((req.Product!.Skus as { Sku?: unknown } | undefined)?.Sku) as Array<
      Record<string, unknown>
    >;
    if (skus.length === 0) return fail("30", "E030: Empty Request");
    if (skus.length > LAZADA_CAPS.skusPerPriceQuantityCall)
      return fail("204", "E204: Too many SKU in one request");
    const noop = this.isWriteNoop();
    const detail: Array<{ field: string; seller_sku: string; message: string }> = [];
    for (const s of skus) {
      const sellerSku = String(s.SellerSku ?? "").normalize("NFC");
      const hit = s.SkuId
        ? this.findSku(shop, { skuId: String(s.SkuId) })
        : this.findSku(shop, { sellerSku });
      if (
        !hit ||
        (s.ItemId && hit.item.itemId !== String(s.ItemId)) ||
        (sellerSku && hit.sku.sellerSku !== sellerSku)
      ) {
        detail.push({ field: "SellerSku", seller_sku: sellerSku, message: "SELLER_SKU_NOT_FOUND" });
        continue;
      }
      const price = s.Price === undefined ? undefined : Number(s.Price);
      const quantity = s.Quantity === undefined ? undefined : Number(s.Quantity);
      const priceProblem = price === undefined ? null : this.priceProblem(price);
      if (priceProblem) {
        detail.push({ field: "Price", seller_sku: sellerSku, message: priceProblem });
        continue;
      }
      if (
        quantity !== undefined &&
        (!Number.isInteger(quantity) || quantity < 0 || quantity > LAZADA_CAPS.maxQuantity)
      ) {
        detail.push({ field: "Quantity", seller_sku: sellerSku, message: "BIZ_CHECK_QUANTITY_INVALID" });
        continue;
      }
      if (noop) continue;
      if (price !== undefined) hit.sku.price = price;
      if (quantity !== undefined) hit.sku.quantity = quantity;
      hit.item.updatedAt = this.now();
    }
    if (detail.length > 0) return fail("501", "E501: Update product failed", "ISV", { detail });
    return { status: 200, body: { code: "0", data: {}, request_id: requestId() } };
  }

  // ---------- orders ----------

  private orderStatuses(order: OrderState): string[] {
    return [...new Set(order.items.map((i) => i.status))];
  }

  private orderJson(order: OrderState) {
    const total = order.items.reduce((sum, i) => sum + i.price, 0);
    return {
      order_id: Number(order.orderId),
      order_number: Number(order.orderId),
      created_at: lazadaDateTime(order.createdAt),
      updated_at: lazadaDateTime(order.updatedAt),
      price: money(total),
      shipping_fee: "0.00",
      voucher: "0.00",
      items_count: order.items.length,
      statuses: this.orderStatuses(order),
      payment_method: "COD",
      customer_first_name: order.firstName,
      customer_last_name: order.lastName,
      address_shipping: {
        first_name: order.firstName,
        last_name: order.lastName,
        address1: "12 Lê Lợi",
        address3: "Hà Nội",
        address4: "Quận Hoàn Kiếm",
        address5: "Phường Hàng Bài",
        city: "Hà Nội",
        country: "Vietnam",
        post_code: "100000",
        phone: "84*****678",
      },
      warehouse_code: "dropshipping",
      remarks: "",
      gift_option: false,
      tax_code: "",
    };
  }

  private orderItemJson(order: OrderState, it: OrderItemState) {
    return {
      order_item_id: Number(it.orderItemId),
      order_id: Number(order.orderId),
      product_id: Number(it.itemId),
      sku_id: it.skuId,
      sku: it.sellerSku,
      shop_sku: it.shopSku,
      name: it.name,
      variation: it.variation,
      item_price: money(it.price),
      paid_price: money(it.price),
      currency: "VND",
      status: it.status,
      package_id: it.packageId ?? "",
      tracking_code: it.trackingCode ?? "",
      shipment_provider: it.packageId ? "LEX VN" : "",
      created_at: lazadaDateTime(order.createdAt),
      updated_at: lazadaDateTime(it.updatedAt),
    };
  }

  private getOrders(shop: ShopState, params: Params): Reply {
    const byUpdate = params.update_after !== undefined;
    const afterText = params.update_after ?? params.created_after;
    if (!afterText) return fail("MissingParameter", "Either created_after or update_after is mandatory");
    const beforeText = byUpdate ? params.update_before : params.created_before;
    for (const v of [afterText, beforeText]) {
      if (v !== undefined && (!ISO_WITH_OFFSET.test(v) || Number.isNaN(Date.parse(v))))
        return fail("17", `E017: "${v}" Invalid Date Format`);
    }
    const limit = params.limit === undefined ? 100 : Number(params.limit);
    const offset = params.offset === undefined ? 0 : Number(params.offset);
    if (!Number.isInteger(limit) || limit < 1 || limit > LAZADA_CAPS.ordersPageMax)
      return fail("19", `E019: "${params.limit}" Invalid Limit`);
    if (!Number.isInteger(offset) || offset < 0 || offset > this.maxOrderOffset)
      return fail("14", `E014: "${params.offset}" Invalid Offset`);
    const sortBy = params.sort_by ?? "created_at";
    if (sortBy !== "created_at" && sortBy !== "updated_at") return fail("75", "E075: Invalid sort filter.");
    const direction = (params.sort_direction ?? "DESC").toUpperCase();
    if (direction !== "ASC" && direction !== "DESC") return fail("74", "E074: Invalid sort direction.");
    const status = params.status;
    if (status !== undefined && !ORDER_STATUS_FILTERS.has(status))
      return fail("36", "E036: Invalid status filter");

    // Filters compare whole seconds, both bounds inclusive, as the ISO strings carry.
    const after = Math.floor(Date.parse(afterText) / 1000);
    const before = beforeText ? Math.floor(Date.parse(beforeText) / 1000) : Infinity;
    const field = (o: OrderState) => Math.floor((byUpdate ? o.updatedAt : o.createdAt) / 1000);
    const sortField = (o: OrderState) => (sortBy === "updated_at" ? o.updatedAt : o.createdAt);
    const rows = [...shop.orders.values()]
      .filter((o) => field(o) >= after && field(o) <= before)
      .filter((o) => !status || status === "all" || this.orderStatuses(o).includes(status))
      .sort(
        (a, b) =>
          (sortField(a) - sortField(b) || Number(a.orderId) - Number(b.orderId)) *
          (direction === "ASC" ? 1 : -1),
      );
    const page = rows.slice(offset, offset + limit);
    return ok({ count: page.length, countTotal: rows.length, orders: page.map((o) => this.orderJson(o)) });
  }

  private getOrderItems(shop: ShopState, params: Params): Reply {
    const order = shop.orders.get(params.order_id ?? "");
    if (!order) return fail("16", `E016: "${params.order_id ?? ""}" Invalid Order ID`);
    return ok(order.items.map((it) => this.orderItemJson(order, it)));
  }

  private getMultipleOrderItems(shop: ShopState, params: Params): Reply {
    let ids: string[];
    try {
      ids = (JSON.parse(params.order_ids ?? "") as unknown[]).map(String);
    } catch {
      return fail("MissingParameter", 'The input parameter "order_ids" must be a JSON array such as [1,2]');
    }
    if (ids.length === 0) return fail("MissingParameter", 'The input parameter "order_ids" is empty');
    if (ids.length > LAZADA_CAPS.orderItemsOrderIds)
      return fail("38", "E038: Too many orders were requested");
    const data = ids
      .map((id) => shop.orders.get(id))
      .filter((o): o is OrderState => !!o)
      .map((o) => ({
        order_id: Number(o.orderId),
        order_number: Number(o.orderId),
        order_items: o.items.map((it) => this.orderItemJson(o, it)),
      }));
    return ok(data);
  }

  private pack(shop: ShopState, params: Params): Reply {
    let req: {
      pack_order_list?: Array<{ order_id: string | number; order_item_list: Array<string | number> }>;
      delivery_type?: string;
    };
    try {
      req = JSON.parse(params.packReq ?? "");
    } catch {
      return fail(
        "MissingParameter",
        'The input parameter "packReq" that is mandatory for processing this request is not supplied.',
      );
    }
    const list = req.pack_order_list ?? [];
    if (list.length === 0) return fail("MissingParameter", "pack_order_list is empty");
    if (list.length > LAZADA_CAPS.fulfilPerCall) return fail("E0001", "pack_order_list exceeds 20 orders");
    const out = list.map((entry) => {
      const order = shop.orders.get(String(entry.order_id));
      const packageId = `FP${String(this.nextSeq()).padStart(10, "0")}`;
      const tracking = `LZDVN${String(this.nextSeq()).padStart(9, "0")}`;
      const items = entry.order_item_list.map((idRaw) => {
        const id = String(idRaw);
        const it = order?.items.find((x) => x.orderItemId === id);
        if (!order || !it)
          return {
            order_item_id: Number(id),
            item_err_code: "20",
            item_err_msg: `E020: "${id}" Invalid Order Item ID`,
          };
        if (it.status !== "pending")
          return {
            order_item_id: Number(id),
            item_err_code: "82",
            item_err_msg: "E082: All order items must have status Pending.",
          };
        it.packageId = packageId;
        it.trackingCode = tracking;
        return {
          order_item_id: Number(id),
          item_err_code: "0",
          item_err_msg: "",
          package_id: packageId,
          tracking_number: tracking,
          shipment_provider: "LEX VN",
        };
      });
      if (order) {
        const packed = order.items.filter((x) => x.packageId === packageId);
        if (packed.length > 0) this.moveItems(shop, order, packed, "packed");
      }
      return { order_id: Number(entry.order_id), order_item_list: items };
    });
    return {
      status: 200,
      body: { code: "0", result: { success: true, data: { pack_order_list: out } }, request_id: requestId() },
    };
  }

  private readyToShip(shop: ShopState, params: Params): Reply {
    let req: { packages?: Array<{ package_id: string }> };
    try {
      req = JSON.parse(params.readyToShipReq ?? "");
    } catch {
      return fail(
        "MissingParameter",
        'The input parameter "readyToShipReq" that is mandatory for processing this request is not supplied.',
      );
    }
    const packages = req.packages ?? [];
    if (packages.length === 0) return fail("MissingParameter", "packages is empty");
    if (packages.length > LAZADA_CAPS.fulfilPerCall) return fail("E0001", "packages exceeds 20");
    const out = packages.map(({ package_id }) => {
      for (const order of shop.orders.values()) {
        const items = order.items.filter((x) => x.packageId === package_id);
        if (items.length === 0) continue;
        if (items.some((x) => x.status !== "packed")) {
          return {
            package_id,
            item_err_code: "73",
            item_err_msg: "E073: All order items must have status Packed.",
          };
        }
        this.moveItems(shop, order, items, "ready_to_ship");
        return { package_id, item_err_code: "0", item_err_msg: "" };
      }
      return {
        package_id,
        item_err_code: "PACKAGE_NOT_FOUND",
        item_err_msg: `Package ${package_id} not found`,
      };
    });
    return {
      status: 200,
      body: { code: "0", result: { success: true, data: { packages: out } }, request_id: requestId() },
    };
  }
}
