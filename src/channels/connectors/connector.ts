/**
 * The one interface every marketplace implements. The sync engine only ever talks to this:
 * adding a marketplace = one connector folder + one sandbox folder + one registry line.
 *
 * Rules every implementation follows:
 * - write operations take a batch and return exactly ONE ItemResult per input item, in input order;
 *   one bad item never fails its batch (split the call or map the per-item errors);
 * - calls are split into the largest batches the marketplace allows (`limits`), no smaller;
 * - secrets never appear in errors, results or logs (see http/redact.ts);
 * - Vietnamese text is sent and read back NFC-normalised, unchanged.
 */
import type { MarketplaceCode } from "../channel.entity";

export type { MarketplaceCode };

export type Capability =
  | "listing.upsert"
  | "listing.list"
  | "price.push"
  | "stock.push"
  | "order.pull"
  | "order.detail"
  | "order.status"
  | "webhook"
  | "catalog.read"
  | "image.upload"
  | "readback"
  | "review.pull"
  | "review.reply"
  | "promotion"
  | "content.review";

export interface BatchLimits {
  /** Items (SKUs/models) per price-update call. Shopee: models of ONE item per call. */
  pricePerCall: number;
  /** Items (SKUs/models) per stock-update call. */
  stockPerCall: number;
  /** True when one call may only touch variants of a single parent item (Shopee). */
  perItemCalls: boolean;
  /** Variants (models/SKUs) one listing may have. */
  variantsPerListing: number;
  /** Order ids per order-detail call. */
  orderDetailPerCall: number;
  /** Page size of the order list. */
  orderPageSize: number;
  /** Longest time window the order list accepts, in seconds (Shopee: 15 days). */
  orderWindowSeconds: number;
  /** Listings per read-back call. */
  readbackPerCall: number;
}

export interface RatePolicy {
  /** Requests per second one shop may make, as documented (or our safe guess, said in the README). */
  requestsPerSecond: number;
  /** Burst the bucket allows. */
  burst: number;
}

/** App-level credentials (one per marketplace app) plus the shop's tokens. Never logged. */
export interface Credentials {
  appKey: string;
  appSecret: string;
  accessToken?: string | null;
  refreshToken?: string | null;
  /** ms since epoch */
  accessExpiresAt?: number | null;
  refreshExpiresAt?: number | null;
  /** Marketplace-specific extras (e.g. TikTok shop_cipher, Tiki token type). */
  extra?: Record<string, string>;
}

export interface TokenSet {
  accessToken: string;
  refreshToken: string | null;
  accessExpiresAt: number;
  refreshExpiresAt: number | null;
  /** Marketplace ids learnt during the exchange (shop id, seller id, shop cipher…). */
  shopId?: string;
  extra?: Record<string, string>;
}

/**
 * Durable home of a channel's credentials. `refreshExclusive` serialises refreshes across
 * processes and stores the new pair BEFORE it is used (Shopee refresh tokens are single-use).
 */
export interface CredentialStore {
  load(): Promise<Credentials>;
  /**
   * Runs `refresh` under a per-channel lock unless another process already refreshed since
   * `seenAccessToken` was loaded (then the stored tokens are returned without calling it).
   * The new tokens are committed before this resolves.
   */
  refreshExclusive(
    seenAccessToken: string | null | undefined,
    refresh: (current: Credentials) => Promise<TokenSet>,
  ): Promise<Credentials>;
  /** Marks the channel as needing a new authorization by the seller. */
  markNeedsReauth(reason: string): Promise<void>;
}

/** Everything a connector needs to talk to one shop. */
export interface ChannelContext {
  channelId: string;
  /** API base URL: the production host by default, a sandbox or staging host when overridden. */
  baseUrl: string;
  shopId: string | null;
  credentials: CredentialStore;
  /** Injected so tests can move time. Defaults to Date.now. */
  now?: () => number;
}

// ---------- results ----------

export type ItemOutcome = "applied" | "skipped" | "failed_retriable" | "failed_fatal";

export interface ItemResult {
  /** The SKU (or listing key) the input item carried. */
  key: string;
  outcome: ItemOutcome;
  /** The marketplace's own error code and message, verbatim (secrets redacted). */
  remoteCode?: string;
  remoteMessage?: string;
  /** Ids the marketplace assigned (on create) or confirmed. */
  externalItemId?: string;
  externalSkuId?: string;
  /** Listing writes: the remote SKU id of every variant, so later price/stock pushes can address them. */
  variants?: Array<{ sku: string; externalSkuId: string }>;
  /** A content edit the marketplace reviews (Tiki): the request to follow with followContentReviews. */
  review?: { trackId: string; hidden: boolean };
}

export interface Page<T> {
  items: T[];
  /** Opaque; null when this was the last page. */
  nextCursor: string | null;
  /** HTTP calls this page cost, when more than one (Lazada reviews: list + details). */
  calls?: number;
}

// ---------- catalogue data ----------

export interface RemoteCategory {
  id: string;
  parentId: string | null;
  name: string;
  isLeaf: boolean;
}

export interface RemoteAttribute {
  id: string;
  name: string;
  required: boolean;
  inputType: "text" | "number" | "select" | "multiselect";
  options?: Array<{ id: string; name: string }>;
}

// ---------- listings ----------

export interface ListingVariantDraft {
  sku: string;
  /** Present when the listing already exists on the marketplace. */
  externalSkuId?: string | null;
  /** e.g. "gói 250g": becomes the model/variation name. */
  optionName: string;
  priceVnd: number;
  stock: number;
  barcode?: string | null;
  weightGrams?: number | null;
}

export interface ListingDraft {
  /** Our listing key: the parent SKU (first variant's SKU or product slug). */
  key: string;
  externalItemId?: string | null;
  title: string;
  description: string;
  categoryId: string;
  /** Remote attribute id → value(s). */
  attributes: Record<string, string | string[]>;
  /** Remote image ids or URLs as returned by uploadImage. */
  images: string[];
  brand?: string | null;
  weightGrams: number;
  dimensionsMm?: { length: number; width: number; height: number } | null;
  variants: ListingVariantDraft[];
  /** The OCOP star this content claims (null: none); undefined when the caller does not say. */
  ocopStar?: number | null;
  /** The product is hidden from buyers until an earlier reviewed edit ends (see ItemResult.review). */
  hiddenForReview?: boolean;
}

/** A reviewed content edit to follow (ItemResult.review), with the listing it belongs to. */
export interface ContentReview {
  trackId: string;
  /** The marketplace product was hidden (inactive) until the review ends. */
  hidden: boolean;
  refs: RemoteRef[];
}

export interface ContentReviewState {
  trackId: string;
  state: "in_review" | "approved" | "rejected";
  reason: string | null;
  /** Approved and hidden: the product was set active again. */
  reactivated: boolean;
}

/** Where a price or stock update goes: the remote ids plus our SKU. */
export interface RemoteRef {
  sku: string;
  externalItemId: string;
  externalSkuId?: string | null;
}

export interface PriceUpdate extends RemoteRef {
  priceVnd: number;
}

/** A promotion the marketplace itself applies from `startsAt` to `endsAt` (sale windows). */
export interface PromotionRequest {
  name: string;
  startsAt: Date;
  endsAt: Date;
  items: Array<RemoteRef & { promotionPriceVnd: number }>;
}

export interface ScheduledPromotion {
  /** The marketplace's id, to end or delete it later. */
  promotionId: string;
  /** One per item, in order (key = sku). */
  results: ItemResult[];
}

export interface StockUpdate extends RemoteRef {
  stock: number;
}

export interface RemoteListing {
  externalItemId: string;
  title: string;
  status: string;
  variants: Array<{ sku: string; externalSkuId: string | null; priceVnd: number; stock: number }>;
}

export interface RemoteState extends RemoteRef {
  priceVnd: number | null;
  stock: number | null;
  /** False when the marketplace no longer has this listing. */
  found: boolean;
}

// ---------- orders ----------

export type NormalizedOrderStatus =
  | "UNPAID"
  | "PENDING"
  | "READY_TO_SHIP"
  | "SHIPPED"
  | "DELIVERED"
  | "COMPLETED"
  | "CANCELLED"
  | "RETURNED";

export interface OrderSummary {
  externalOrderId: string;
  status: NormalizedOrderStatus;
  /** The marketplace's own status text. */
  remoteStatus: string;
  /** ms since epoch */
  updatedAt: number;
}

export interface OrderLine {
  externalLineId: string;
  sku: string | null;
  externalItemId: string | null;
  externalSkuId: string | null;
  title: string;
  quantity: number;
  unitPriceVnd: number;
}

export interface Order extends OrderSummary {
  createdAt: number;
  currency: "VND";
  totalVnd: number;
  buyerName: string | null;
  lines: OrderLine[];
}

export interface OrderWindow {
  /** ms since epoch, inclusive */
  from: number;
  /** ms since epoch, exclusive */
  to: number;
}

// ---------- reviews ----------

/** A buyer's review as the marketplace shows it to the seller. */
export interface RemoteReview {
  externalReviewId: string;
  /** The marketplace item (listing) reviewed; null when the marketplace does not say. */
  externalItemId: string | null;
  /** The model/SKU id bought, when the marketplace says. */
  externalSkuId: string | null;
  externalOrderId: string | null;
  /** 1–5 stars. */
  rating: number;
  /** NFC-normalised; "" for a rating without text. */
  text: string;
  /** Only the display name the marketplace itself shows (often masked); null when none is shown. */
  buyerName: string | null;
  /** ms since epoch */
  createdAt: number;
  /** The seller's reply as the marketplace shows it; null when none. */
  replyText: string | null;
  /** ms since epoch */
  repliedAt: number | null;
  /** False when the marketplace no longer accepts a reply (already replied, too old, hidden). */
  canReply: boolean;
}

export interface ReviewQuery {
  /** ms since epoch, inclusive: reviews created at or after. */
  since: number;
  /** ms since epoch, exclusive. */
  until: number;
  /** The shop's items we list (marketplaces whose review list is per item need them, e.g. Lazada). */
  externalItemIds: string[];
}

// ---------- webhooks ----------

export interface WebhookRequest {
  /** Exactly the bytes received; signatures are computed over them. */
  rawBody: Buffer;
  headers: Record<string, string | undefined>;
  /** Full URL the marketplace called (Shopee signs it). */
  url: string;
}

export type WebhookEventKind =
  | "order.status"
  | "order.created"
  | "product.changed"
  | "auth.revoked"
  | "other";

export interface WebhookEvent {
  /** Stable key for durable dedupe, e.g. "order:2601…:READY_TO_SHIP:1732…". */
  eventKey: string;
  kind: WebhookEventKind;
  shopId: string | null;
  externalOrderId?: string;
  status?: NormalizedOrderStatus;
  /** ms since epoch, from the payload when present */
  occurredAt: number | null;
  raw: unknown;
}

// ---------- auth ----------

export interface AppCredentials {
  appKey: string;
  appSecret: string;
}

export interface AuthorizationRequest {
  app: AppCredentials;
  baseUrl: string;
  redirectUri: string;
  state: string;
  now?: () => number;
}

export interface CodeExchange {
  app: AppCredentials;
  baseUrl: string;
  /** Query parameters the marketplace appended to the redirect (code, shop_id, …). */
  callbackParams: Record<string, string>;
  redirectUri?: string;
  now?: () => number;
}

// ---------- the interface ----------

export interface MarketplaceConnector {
  readonly code: MarketplaceCode;
  readonly displayName: string;
  /** Production API host; a channel may override it. */
  readonly defaultBaseUrl: string;
  readonly capabilities: ReadonlySet<Capability>;
  readonly limits: BatchLimits;
  readonly ratePolicy: RatePolicy;

  // auth
  authorizationUrl(req: AuthorizationRequest): string;
  exchangeCode(req: CodeExchange): Promise<TokenSet>;
  /** Refreshes through ctx.credentials.refreshExclusive; throws NeedsReauthError when refused. */
  refreshToken(ctx: ChannelContext): Promise<void>;

  // catalogue data
  getCategories?(ctx: ChannelContext): Promise<RemoteCategory[]>;
  getCategoryAttributes?(ctx: ChannelContext, categoryId: string): Promise<RemoteAttribute[]>;
  uploadImage?(
    ctx: ChannelContext,
    image: { bytes: Buffer; filename: string; contentType: string },
  ): Promise<string>;

  // listings
  upsertListings?(ctx: ChannelContext, drafts: ListingDraft[]): Promise<ItemResult[]>;
  listListings?(ctx: ChannelContext, cursor: string | null): Promise<Page<RemoteListing>>;
  pushPrices?(ctx: ChannelContext, updates: PriceUpdate[]): Promise<ItemResult[]>;
  pushStock?(ctx: ChannelContext, updates: StockUpdate[]): Promise<ItemResult[]>;
  readBack?(ctx: ChannelContext, refs: RemoteRef[]): Promise<RemoteState[]>;
  /** Calls a readBack of these refs costs, when it is not simply ⌈refs / readbackPerCall⌉. */
  readBackCalls?(refs: RemoteRef[]): number;
  /** Where content edits are reviewed: the state of each request; approved hidden products are shown again. */
  followContentReviews?(ctx: ChannelContext, reviews: ContentReview[]): Promise<ContentReviewState[]>;

  // orders
  listOrders?(ctx: ChannelContext, window: OrderWindow, cursor: string | null): Promise<Page<OrderSummary>>;
  getOrders?(ctx: ChannelContext, externalOrderIds: string[]): Promise<Order[]>;
  /** Status write-back, e.g. mark ready to ship. */
  setOrderStatus?(
    ctx: ChannelContext,
    externalOrderId: string,
    status: NormalizedOrderStatus,
  ): Promise<ItemResult>;

  // reviews
  /** Reviews created in [since, until), one page per call; the cursor is opaque. */
  listReviews?(ctx: ChannelContext, query: ReviewQuery, cursor: string | null): Promise<Page<RemoteReview>>;
  /** Posts the seller's reply to one review; key = the external review id. */
  replyToReview?(ctx: ChannelContext, externalReviewId: string, text: string): Promise<ItemResult>;

  // promotions (sale windows run by the marketplace)
  /** Schedules a promotion; the marketplace applies and ends it on time. */
  schedulePromotion?(ctx: ChannelContext, req: PromotionRequest): Promise<ScheduledPromotion>;
  /** Ends a running promotion now, or deletes one that has not started. */
  endPromotion?(ctx: ChannelContext, promotionId: string, started: boolean): Promise<void>;

  // webhooks
  verifyWebhook?(req: WebhookRequest, app: AppCredentials): boolean;
  parseWebhook?(req: WebhookRequest): WebhookEvent[];
  /** When the marketplace says it sent this push (ms), for marketplaces whose envelope carries it. */
  webhookSentAt?(req: WebhookRequest): number | null;
}

/** Capability → method that must exist; the contract suite checks both directions. */
export const CAPABILITY_METHODS: Record<Capability, Array<keyof MarketplaceConnector>> = {
  "listing.upsert": ["upsertListings"],
  "listing.list": ["listListings"],
  "price.push": ["pushPrices"],
  "stock.push": ["pushStock"],
  "order.pull": ["listOrders"],
  "order.detail": ["getOrders"],
  "order.status": ["setOrderStatus"],
  webhook: ["verifyWebhook", "parseWebhook"],
  "catalog.read": ["getCategories", "getCategoryAttributes"],
  "image.upload": ["uploadImage"],
  readback: ["readBack"],
  "review.pull": ["listReviews"],
  "review.reply": ["replyToReview"],
  promotion: ["schedulePromotion", "endPromotion"],
  "content.review": ["followContentReviews"],
};
