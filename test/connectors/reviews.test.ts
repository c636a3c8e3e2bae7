/**
 * Review capability of the connectors, over real HTTP against the sandboxes: every page of the
 * marketplace's review list is read exactly once (Shopee's shop-wide cursor; Lazada's item → 7-day
 * window → page walk plus 10-id detail calls), only reviews of the asked window come back, the calls
 * are signed as the sandbox checks, and replies are posted or refused per review. TikTok Shop and
 * Tiki publish no seller review API: they declare neither capability.
 */
import crypto from "node:crypto";
import { SecretBox } from "../../src/common/crypto";
import type {
  ChannelContext,
  MarketplaceConnector,
  RemoteReview,
  ReviewQuery,
} from "../../src/channels/connectors/connector";
import { CONNECTORS } from "../../src/channels/connectors/registry";
import { ConnectorError } from "../../src/channels/connectors/http/types";
import { resetRateBudgets } from "../../src/channels/connectors/http/rate-budget";
import { PgCredentialStore, saveCredentials } from "../../src/channels/credential-store";
import { SANDBOXES } from "../../src/sandbox/registry";
import type { MarketplaceSandbox, SandboxShop } from "../../src/sandbox/sandbox";
import { createTestDatabase, TestDatabase } from "../support/test-db";
import { insertChannel } from "../support/channel-fixture";

const box = new SecretBox([crypto.randomBytes(32)]);
const DAY = 86_400_000;
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 4 });
});
afterAll(async () => {
  await db?.drop();
});
beforeEach(() => resetRateBudgets());

async function connect(
  c: MarketplaceConnector,
  sandbox: MarketplaceSandbox,
): Promise<{ shop: SandboxShop; shopId: string; ctx: ChannelContext }> {
  const shop = sandbox.createShop();
  const app = { appKey: shop.appKey, appSecret: shop.appSecret };
  const tokens = await c.exchangeCode({
    app,
    baseUrl: sandbox.baseUrl,
    callbackParams: { code: sandbox.issueAuthCode(shop.shopId), shop_id: shop.shopId, state: "reviews" },
    redirectUri: "http://127.0.0.1/callback",
  });
  const shopId = tokens.shopId ?? shop.shopId;
  const channelId = await insertChannel(db.dataSource, {
    marketplace: c.code,
    baseUrl: sandbox.baseUrl,
    shopId,
  });
  await saveCredentials(db.dataSource, box, channelId, {
    ...app,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    accessExpiresAt: tokens.accessExpiresAt,
    refreshExpiresAt: tokens.refreshExpiresAt,
    extra: tokens.extra,
  });
  const credentials = new PgCredentialStore(db.dataSource, box, channelId);
  return { shop, shopId: shop.shopId, ctx: { channelId, baseUrl: sandbox.baseUrl, shopId, credentials } };
}

async function pullAll(
  c: MarketplaceConnector,
  ctx: ChannelContext,
  q: ReviewQuery,
): Promise<{ reviews: RemoteReview[]; pages: number }> {
  const reviews: RemoteReview[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await c.listReviews!(ctx, q, cursor);
    pages++;
    reviews.push(...page.items);
    cursor = page.nextCursor;
    if (pages > 500) throw new Error("review paging does not end");
  } while (cursor);
  return { reviews, pages };
}

const pathCalls = (s: MarketplaceSandbox, suffix: string): number =>
  Object.entries(s.counters().calls)
    .filter(([p]) => p.endsWith(suffix))
    .reduce((n, [, v]) => n + v, 0);

describe.each(["shopee", "lazada"] as const)("%s reviews", (code) => {
  const c = CONNECTORS[code];
  let sandbox: MarketplaceSandbox;
  let conn: Awaited<ReturnType<typeof connect>>;
  const now = Date.now();
  // Expected ids of the window [now − 30 days, now + 1 min), and ids outside it.
  const inWindow = new Map<string, { rating: number; text: string; item: string }>();
  const outside: string[] = [];
  let repliedOnMarketplace = "";
  let closed = "";
  let itemA = "";
  let itemB = "";

  beforeAll(async () => {
    sandbox = SANDBOXES[code]();
    await sandbox.start(0);
    conn = await connect(c, sandbox);
    itemA = sandbox.seedListing(conn.shopId, {
      title: "Mật ong bạc hà Hà Giang",
      variants: [
        { sku: "MO-250", priceVnd: 150_000, stock: 50 },
        { sku: "MO-500", priceVnd: 280_000, stock: 50 },
      ],
    }).externalItemId;
    itemB = sandbox.seedListing(conn.shopId, {
      title: "Trà shan tuyết",
      variants: [{ sku: "TRA-1", priceVnd: 90_000, stock: 20 }],
    }).externalItemId;
    const seed = (sku: string, rating: number, at: number, extra: Record<string, unknown> = {}) => {
      const text = `Hàng tốt, đóng gói cẩn thận ${sku} ${at}`.normalize("NFD");
      const { externalReviewId } = sandbox.seedReview!(conn.shopId, {
        sku,
        rating,
        text,
        buyerName: "t***h",
        at,
        ...extra,
      });
      return { id: externalReviewId, text: text.normalize("NFC") };
    };
    // 130 recent reviews on item A (more than one page everywhere), spread over 20 days so Lazada
    // needs several 7-day windows; 3 on item B; 2 older than the window; 1 already replied; 1 closed.
    for (let i = 0; i < 130; i++) {
      const at = now - (i % 20) * DAY - i * 1000;
      const r = seed(i % 2 ? "MO-250" : "MO-500", (i % 5) + 1, at);
      inWindow.set(r.id, { rating: (i % 5) + 1, text: r.text, item: itemA });
    }
    for (let i = 0; i < 3; i++) {
      const r = seed("TRA-1", 5, now - i * 3600_000);
      inWindow.set(r.id, { rating: 5, text: r.text, item: itemB });
    }
    for (const days of [40, 60]) outside.push(seed("TRA-1", 1, now - days * DAY).id);
    const replied = seed("MO-250", 4, now - 2 * DAY, { reply: "Cảm ơn bạn đã ủng hộ!" });
    repliedOnMarketplace = replied.id;
    inWindow.set(replied.id, { rating: 4, text: replied.text, item: itemA });
    const shut = seed("MO-500", 2, now - 3 * DAY, { canReply: false });
    closed = shut.id;
    inWindow.set(shut.id, { rating: 2, text: shut.text, item: itemA });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it("declares review.pull and review.reply", () => {
    expect(c.capabilities.has("review.pull")).toBe(true);
    expect(c.capabilities.has("review.reply")).toBe(true);
  });

  it("reads every review of the window once, over all pages, signed as the sandbox checks", async () => {
    sandbox.resetCounters();
    const q: ReviewQuery = { since: now - 30 * DAY, until: now + 60_000, externalItemIds: [itemA, itemB] };
    const { reviews, pages } = await pullAll(c, conn.ctx, q);
    const ids = reviews.map((r) => r.externalReviewId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(inWindow.keys()));
    for (const o of outside) expect(ids).not.toContain(o);
    for (const r of reviews) {
      const want = inWindow.get(r.externalReviewId)!;
      expect({ rating: r.rating, text: r.text, item: r.externalItemId }).toEqual({
        rating: want.rating,
        text: want.text,
        item: want.item,
      });
      expect(r.createdAt).toBeGreaterThanOrEqual(q.since);
    }
    const replied = reviews.find((r) => r.externalReviewId === repliedOnMarketplace)!;
    expect(replied).toMatchObject({ replyText: "Cảm ơn bạn đã ủng hộ!", canReply: false });
    expect(reviews.find((r) => r.externalReviewId === closed)!.canReply).toBe(false);
    expect(reviews.filter((r) => r.canReply)).toHaveLength(inWindow.size - 2);
    expect(pages).toBeGreaterThan(1);
    expect(sandbox.counters().badSignature).toBe(0);
    if (code === "shopee") {
      // 137 comments in the shop: two pages of 100; the buyer's display name is Shopee's.
      expect(pathCalls(sandbox, "/product/get_comment")).toBe(2);
      expect(replied.buyerName).toBe("t***h");
      expect(replied.externalOrderId).toBeTruthy();
    } else {
      // Item A: 132 reviews over 20 days = 5 windows (30 days / 7), item B: 5 windows; every
      // detail call carries at most 10 ids, so 132 + 3 ids need at least 14 calls.
      expect(pathCalls(sandbox, "/review/seller/history/list")).toBeGreaterThanOrEqual(10);
      expect(pathCalls(sandbox, "/review/seller/list/v2")).toBeGreaterThanOrEqual(14);
      expect(replied.buyerName).toBeNull();
    }
  });

  it("returns nothing for a window with no reviews, and resumes from any cursor it gave", async () => {
    const empty = await pullAll(c, conn.ctx, {
      since: now + DAY,
      until: now + 2 * DAY,
      externalItemIds: [itemA, itemB],
    });
    expect(empty.reviews).toEqual([]);
    const q: ReviewQuery = { since: now - 30 * DAY, until: now + 60_000, externalItemIds: [itemA, itemB] };
    const first = await c.listReviews!(conn.ctx, q, null);
    expect(first.nextCursor).not.toBeNull();
    const again = await c.listReviews!(conn.ctx, q, first.nextCursor);
    const rest = await c.listReviews!(conn.ctx, q, first.nextCursor);
    expect(rest.items.map((r) => r.externalReviewId)).toEqual(again.items.map((r) => r.externalReviewId));
  });

  it("rides out a burst of rate-limit answers and still reads every review once", async () => {
    const before = sandbox.counters().rateLimited;
    sandbox.setFaults({ burst429: 2 });
    try {
      const q: ReviewQuery = { since: now - 30 * DAY, until: now + 60_000, externalItemIds: [itemA, itemB] };
      const { reviews } = await pullAll(c, conn.ctx, q);
      const ids = reviews.map((r) => r.externalReviewId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(new Set(ids)).toEqual(new Set(inWindow.keys()));
      expect(sandbox.counters().rateLimited - before).toBe(2);
    } finally {
      sandbox.setFaults({ burst429: 0 });
    }
  });

  it("refuses a call signed with a wrong secret", async () => {
    const before = sandbox.counters().badSignature;
    const real = conn.ctx.credentials;
    const tampered: ChannelContext = {
      ...conn.ctx,
      credentials: {
        load: async () => ({ ...(await real.load()), appSecret: "not-the-secret" }),
        refreshExclusive: async () => ({ ...(await real.load()), appSecret: "not-the-secret" }),
        markNeedsReauth: async () => undefined,
      },
    };
    await expect(
      c.listReviews!(tampered, { since: now - DAY, until: now, externalItemIds: [itemA] }, null),
    ).rejects.toBeInstanceOf(ConnectorError);
    expect(sandbox.counters().badSignature).toBeGreaterThan(before);
  });

  it("posts a reply once; a second reply and a closed review are refused per review", async () => {
    const target = [...inWindow.keys()].find((id) => id !== repliedOnMarketplace && id !== closed)!;
    const ok = await c.replyToReview!(conn.ctx, target, "Cảm ơn anh/chị, lần sau shop gửi thêm quà nhé!");
    expect(ok).toEqual({ key: target, outcome: "applied" });
    expect(sandbox.reviewView!(conn.shopId, target)!.reply).toBe(
      "Cảm ơn anh/chị, lần sau shop gửi thêm quà nhé!",
    );
    const twice = await c.replyToReview!(conn.ctx, target, "Lần hai");
    expect(twice).toMatchObject({ key: target, outcome: "failed_fatal" });
    expect(twice.remoteCode).toBeTruthy();
    const shut = await c.replyToReview!(conn.ctx, closed, "Muộn rồi");
    expect(shut).toMatchObject({ key: closed, outcome: "failed_fatal" });
    expect(sandbox.reviewView!(conn.shopId, closed)!.reply).toBeNull();
    const tooLong = await c.replyToReview!(conn.ctx, closed, "x".repeat(501));
    expect(tooLong.outcome).toBe("failed_fatal");
  });
});

describe.each(["tiktok-shop", "tiki"] as const)("%s reviews", (code) => {
  it("declares no review capability: the marketplace publishes no seller review API", () => {
    const c = CONNECTORS[code];
    expect(c.capabilities.has("review.pull")).toBe(false);
    expect(c.capabilities.has("review.reply")).toBe(false);
    expect(c.listReviews).toBeUndefined();
    expect(c.replyToReview).toBeUndefined();
    expect(SANDBOXES[code]().seedReview).toBeUndefined();
  });
});
