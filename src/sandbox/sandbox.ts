/**
 * What every marketplace sandbox offers besides its marketplace protocol: a real HTTP server,
 * state a test can inspect, and fault knobs. Tests, benchmarks and `npm start` use the same servers.
 */
import type { MarketplaceCode, NormalizedOrderStatus } from "../channels/connectors/connector";

export interface SandboxFaults {
  /** Share of calls (0–1) answered with a transient error (5xx or the marketplace's busy code). */
  errorRate: number;
  /** Extra latency added to every call, ms. */
  latencyMs: number;
  /** Requests per second per shop before the marketplace's 429 / rate-limit error; 0 = unlimited. */
  rateLimitPerSecond: number;
  /** The next N calls answer with the rate-limit error regardless of rate (a burst of 429s). */
  burst429: number;
  /** Share of write calls (0–1) that answer success but change nothing ("OK but not applied"). */
  silentNoopRate: number;
  /** Share of calls (0–1) that hang past the client's timeout. */
  timeoutRate: number;
  /** Each webhook is sent this many times (≥ 1). */
  webhookDuplicates: number;
  /** Webhooks of one batch are sent in shuffled order. */
  webhookShuffle: boolean;
  /** Tiki: how long a content update request stays in review before it is approved or rejected, ms. */
  contentReviewMs?: number;
  /** Tiki: how long a new product's creation request stays in review before it is approved, ms (default 0). */
  createReviewMs?: number;
}

export const NO_FAULTS: SandboxFaults = {
  errorRate: 0,
  latencyMs: 0,
  rateLimitPerSecond: 0,
  burst429: 0,
  silentNoopRate: 0,
  timeoutRate: 0,
  webhookDuplicates: 1,
  webhookShuffle: false,
};

/** What the marketplace shows for one SKU right now. */
export interface SandboxSkuView {
  sku: string;
  externalItemId: string;
  externalSkuId: string;
  title: string;
  priceVnd: number;
  stock: number;
  attributes: Record<string, string | string[]>;
  images: string[];
  description: string;
  /** False when the product is hidden from buyers (Tiki's active flag); absent where not modelled. */
  active?: boolean;
}

export interface SandboxOrderLineSpec {
  sku: string;
  quantity: number;
  unitPriceVnd?: number;
}

export interface SandboxShop {
  shopId: string;
  appKey: string;
  appSecret: string;
  accessToken: string;
  refreshToken: string;
  /** ms since epoch */
  accessExpiresAt: number;
}

/** A buyer review to seed (the marketplace's buyers are not simulated; tests and demos seed them). */
export interface SandboxReviewSpec {
  /** The SKU reviewed; it must be listed in the shop. */
  sku: string;
  /** 1–5 stars. */
  rating: number;
  text?: string;
  /** The display name the marketplace shows (marketplaces that show none ignore it). */
  buyerName?: string;
  /** ms since epoch; default now. */
  at?: number;
  /** A reply the seller already posted on the marketplace itself. */
  reply?: string;
  /** False: the marketplace refuses replies to this review (e.g. too old). Default true. */
  canReply?: boolean;
}

/** What the marketplace shows for one review right now. */
export interface SandboxReviewView {
  externalReviewId: string;
  externalItemId: string;
  rating: number;
  text: string;
  reply: string | null;
}

export interface SandboxCounters {
  /** Requests received by endpoint path. */
  calls: Record<string, number>;
  /** Requests answered with the rate-limit error. */
  rateLimited: number;
  /** Requests rejected for a bad signature or timestamp. */
  badSignature: number;
}

export interface MarketplaceSandbox {
  readonly code: MarketplaceCode;
  /** http://127.0.0.1:<port> once started. */
  readonly baseUrl: string;
  start(port?: number): Promise<string>;
  close(): Promise<void>;

  /** Registers an app + authorized shop and returns its credentials and live tokens. */
  createShop(opts?: { shopId?: string; appKey?: string; appSecret?: string }): SandboxShop;
  /** Auth-code flow: a code the connector can exchange (as if the seller clicked "authorize"). */
  issueAuthCode(shopId: string): string;
  /** Makes the shop's access token expire now (the refresh token stays valid). */
  expireAccessToken(shopId: string): void;
  /** Revokes the shop's authorization: access and refresh tokens both stop working. */
  revokeAuthorization(shopId: string): void;

  setFaults(faults: Partial<SandboxFaults>): void;
  counters(): SandboxCounters;
  resetCounters(): void;

  /** Seeds an existing listing (for link-by-SKU tests). */
  seedListing(
    shopId: string,
    listing: {
      title: string;
      categoryId?: string;
      variants: Array<{ sku: string; priceVnd: number; stock: number }>;
    },
  ): { externalItemId: string };
  /** What the marketplace shows for a SKU of a shop, or null. */
  skuView(shopId: string, sku: string): SandboxSkuView | null;
  allSkus(shopId: string): SandboxSkuView[];

  /** Creates a buyer order (decrements the marketplace's stock as the real one does). */
  createOrder(
    shopId: string,
    lines: SandboxOrderLineSpec[],
    opts?: { at?: number },
  ): { externalOrderId: string };
  setOrderStatus(shopId: string, externalOrderId: string, status: NormalizedOrderStatus): void;
  /** Seeds a buyer review (marketplaces with a review API only). */
  seedReview?(shopId: string, review: SandboxReviewSpec): { externalReviewId: string };
  reviewView?(shopId: string, externalReviewId: string): SandboxReviewView | null;
  /** Where signed webhooks are POSTed; null stops sending. */
  setWebhookTarget(url: string | null): void;
  /** Resolves when every webhook sent so far has been answered. */
  flushWebhooks(): Promise<void>;
}
