/**
 * The transactional outbox end to end: triggers mark listings dirty in the changing transaction,
 * the dispatcher pushes to real sandbox marketplaces over HTTP, reads back, and records by
 * compare-and-set; failures are retried or explained; reconciliation finds and repairs drift.
 */
import crypto from "node:crypto";
import { SecretBox } from "../../src/common/crypto";
import { createLogger } from "../../src/common/logger";
import type {
  MarketplaceCode,
  MarketplaceConnector,
  StockUpdate,
  ChannelContext,
} from "../../src/channels/connectors/connector";
import { CONNECTORS } from "../../src/channels/connectors/registry";
import { ConnectorError } from "../../src/channels/connectors/http/types";
import { resetRateBudgets } from "../../src/channels/connectors/http/rate-budget";
import { PgCredentialStore, saveCredentials } from "../../src/channels/credential-store";
import { SANDBOXES } from "../../src/sandbox/registry";
import type { MarketplaceSandbox, SandboxShop } from "../../src/sandbox/sandbox";
import { createSyncRuntime, type SyncRuntime } from "../../src/sync/runtime";
import { OutboxDispatcher, type OutboxDispatcherOptions } from "../../src/sync/outbox.dispatcher";
import { reconcile } from "../../src/sync/reconcile.service";
import { ContentReviewFollower } from "../../src/ocop-claims/content-reviews";
import { createRun } from "../../src/sync/sync-run.service";
import { SyncKind, SyncTrigger } from "../../src/sync/entities/sync-run.entity";
import { createTestDatabase, TestDatabase } from "../support/test-db";
import { propagationSeconds } from "../../src/observability/registry";

/** How many stock propagations the /metrics histogram has seen for a marketplace. */
async function propagations(marketplace: string): Promise<number> {
  const m = await propagationSeconds.get();
  return (
    m.values.find((v) => v.metricName?.endsWith("_count") && v.labels.marketplace === marketplace)?.value ?? 0
  );
}

const box = new SecretBox([crypto.randomBytes(32)]);
const CODES = Object.keys(CONNECTORS) as MarketplaceCode[];
let db: TestDatabase;
let producerId: string;
const sandboxes = {} as Record<MarketplaceCode, MarketplaceSandbox>;
const shops = {} as Record<MarketplaceCode, { shop: SandboxShop; channelId: string; shopId: string }>;

/** Counts pushStock calls in flight, to prove two dispatchers never push the same channel at once. */
const inFlight = { now: 0, max: 0, total: 0 };
const inFlightCalls = () => inFlight.total;
/**
 * Around the real connector: counts pushStock calls in flight and, while `transient.left > 0`,
 * fails them as the HTTP client does once its own retries are spent (a 503 that outlasted them).
 */
const transient = { left: 0 };
function counting(c: MarketplaceConnector): MarketplaceConnector {
  const wrapped = Object.create(c) as MarketplaceConnector;
  wrapped.pushStock = async (ctx: ChannelContext, u: StockUpdate[]) => {
    if (transient.left > 0) {
      transient.left--;
      throw new ConnectorError(c.code, "retry", "HTTP_503", "Service Unavailable", "stock.update", 503);
    }
    inFlight.now++;
    inFlight.total++;
    inFlight.max = Math.max(inFlight.max, inFlight.now);
    try {
      return await c.pushStock!(ctx, u);
    } finally {
      inFlight.now--;
    }
  };
  return wrapped;
}

let rt: SyncRuntime;
const fast: OutboxDispatcherOptions = { minCycleMs: 0, backoffMs: 20, maxRetryWaitMs: 2_000 };

type Shop = { shop: SandboxShop; channelId: string; shopId: string };

async function connect(code: MarketplaceCode): Promise<Shop> {
  const c = CONNECTORS[code];
  const sandbox = sandboxes[code];
  const shop = sandbox.createShop();
  const app = { appKey: shop.appKey, appSecret: shop.appSecret };
  const tokens = await c.exchangeCode({
    app,
    baseUrl: sandbox.baseUrl,
    callbackParams: { code: sandbox.issueAuthCode(shop.shopId), shop_id: shop.shopId, state: "outbox-test" },
    redirectUri: "http://127.0.0.1/callback",
  });
  const shopId = tokens.shopId ?? shop.shopId;
  const [ch] = await db.dataSource.query(
    `INSERT INTO channel (producer_id, marketplace, name, shop_id, base_url, status)
     VALUES ($1, $2, $3, $4, $5, 'ACTIVE') RETURNING id`,
    [producerId, code, `${code} outbox`, shopId, sandbox.baseUrl],
  );
  await saveCredentials(db.dataSource, box, ch.id, {
    ...app,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    accessExpiresAt: tokens.accessExpiresAt,
    refreshExpiresAt: tokens.refreshExpiresAt,
    extra: tokens.extra,
  });
  return { shop, channelId: ch.id, shopId };
}

interface Seeded {
  variantId: string;
  skus: string[];
  listings: Record<MarketplaceCode, string[]>;
}

/**
 * One product with `n` variants (price 100,000 đ, stock 20), listed LIVE and in sync on the given
 * marketplaces: seeded in the sandbox as existing listings, linked by their remote ids.
 */
async function seedProduct(
  codes: MarketplaceCode[],
  n = 1,
  on: Partial<Record<MarketplaceCode, Shop>> = shops,
): Promise<Seeded & { variantIds: string[] }> {
  const tag = crypto.randomBytes(3).toString("hex").toUpperCase();
  const [p] = await db.dataSource.query(
    `INSERT INTO product (producer_id, name, search_key, slug, category) VALUES ($1, $2, $3, $4, 'FOOD') RETURNING id`,
    [
      producerId,
      `Mật ong rừng U Minh ${tag}`,
      `mat ong rung u minh ${tag}`.toLowerCase(),
      `mat-ong-${tag}`.toLowerCase(),
    ],
  );
  const skus = Array.from({ length: n }, (_, i) => `MO-${tag}-${i}`);
  const variantIds: string[] = [];
  for (const sku of skus) {
    const [v] = await db.dataSource.query(
      `INSERT INTO variant (product_id, producer_id, sku, pack_spec, price_vnd) VALUES ($1, $2, $3, 'hũ 500ml', 100000) RETURNING id`,
      [p.id, producerId, sku],
    );
    await db.dataSource.query(`INSERT INTO stock_level (variant_id, on_hand) VALUES ($1, $2)`, [v.id, 20]);
    variantIds.push(v.id);
  }
  const listings = {} as Record<MarketplaceCode, string[]>;
  for (const code of codes) {
    const { shopId, channelId } = on[code]!;
    sandboxes[code].seedListing(shopId, {
      title: `Mật ong rừng U Minh ${tag}`,
      variants: skus.map((sku) => ({ sku, priceVnd: 100_000, stock: 20 })),
    });
    listings[code] = [];
    for (let i = 0; i < skus.length; i++) {
      const view = sandboxes[code].skuView(shopId, skus[i])!;
      const [l] = await db.dataSource.query(
        `INSERT INTO listing (channel_id, product_id, variant_id, listing_key, external_item_id, external_sku_id, state,
                              price_pushed_version, price_dirty_since, stock_pushed_version, stock_dirty_since,
                              content_pushed_version, content_dirty_since, pushed_price_vnd, pushed_stock)
         VALUES ($1, $2, $3, $4, $5, $6, 'LIVE', 1, NULL, 1, NULL, 1, NULL, 100000, 20) RETURNING id`,
        [channelId, p.id, variantIds[i], skus[0], view.externalItemId, view.externalSkuId],
      );
      listings[code].push(l.id);
    }
  }
  return { variantId: variantIds[0], variantIds, skus, listings };
}

async function listing(id: string) {
  const [l] = await db.dataSource.query(`SELECT * FROM listing WHERE id = $1`, [id]);
  return l;
}

async function setOnHand(variantId: string, onHand: number): Promise<void> {
  await db.dataSource.query(`UPDATE stock_level SET on_hand = $2 WHERE variant_id = $1`, [variantId, onHand]);
}

async function items(runId: string) {
  return db.dataSource.query(`SELECT * FROM sync_item WHERE run_id = $1 ORDER BY id`, [runId]);
}

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 12 });
  const [p] = await db.dataSource.query(
    `INSERT INTO producer (legal_name, name_key, type) VALUES ('HTX Ong mật U Minh', 'htx ong mat u minh', 'COOPERATIVE') RETURNING id`,
  );
  producerId = p.id;
  for (const code of CODES) {
    sandboxes[code] = SANDBOXES[code]();
    await sandboxes[code].start(0);
    shops[code] = await connect(code);
  }
  rt = createSyncRuntime({
    ds: db.dataSource,
    box,
    log: createLogger("silent"),
    connectors: {
      ...CONNECTORS,
      shopee: counting(CONNECTORS.shopee),
      "tiktok-shop": counting(CONNECTORS["tiktok-shop"]),
    },
  });
}, 30_000);

afterAll(async () => {
  for (const s of Object.values(sandboxes)) await s?.close();
  await db?.drop();
});

beforeEach(async () => {
  resetRateBudgets();
  await db.dataSource.query(`UPDATE channel SET settings = '{}'`);
  for (const s of Object.values(sandboxes))
    s.setFaults({ latencyMs: 0, errorRate: 0, burst429: 0, silentNoopRate: 0, timeoutRate: 0 });
});

describe("outbox marking", () => {
  it("marks listings dirty in the transaction that changes stock; a rolled-back change marks nothing", async () => {
    const s = await seedProduct(["shopee", "lazada"]);
    const before = await listing(s.listings.shopee[0]);
    expect(before.stock_version).toBe(before.stock_pushed_version);

    const q = db.dataSource.createQueryRunner();
    await q.connect();
    await q.startTransaction();
    await q.query(`UPDATE stock_level SET on_hand = 7 WHERE variant_id = $1`, [s.variantId]);
    // Inside the transaction the listing is already dirty…
    const [inside] = await q.query(`SELECT stock_version FROM listing WHERE id = $1`, [s.listings.shopee[0]]);
    expect(Number(inside.stock_version)).toBe(Number(before.stock_version) + 1);
    await q.rollbackTransaction();
    await q.release();
    // …and rolling back leaves nothing dirty.
    for (const id of [s.listings.shopee[0], s.listings.lazada[0]]) {
      const l = await listing(id);
      expect(l.stock_version).toBe(before.stock_version);
      expect(l.stock_dirty_since).toBeNull();
    }

    await setOnHand(s.variantId, 7);
    for (const id of [s.listings.shopee[0], s.listings.lazada[0]]) {
      const l = await listing(id);
      expect(Number(l.stock_version)).toBe(Number(l.stock_pushed_version) + 1);
      expect(l.stock_dirty_since).not.toBeNull();
    }
    // Pushed, so the next tests start from channels with nothing dirty.
    const d = new OutboxDispatcher(rt, fast);
    expect(await d.dispatch(shops.shopee.channelId, "stock", SyncTrigger.EVENT)).toMatchObject({ pushed: 1 });
    expect(await d.dispatch(shops.lazada.channelId, "stock", SyncTrigger.EVENT)).toMatchObject({ pushed: 1 });
    expect(sandboxes.lazada.skuView(shops.lazada.shopId, s.skus[0])!.stock).toBe(7);
  });
});

describe.each(CODES)("dispatch on %s", (code) => {
  it("pushes stock and price (after the channel's rules), reads them back and records the run", async () => {
    const s = await seedProduct([code], 2);
    const { channelId, shopId } = shops[code];
    await db.dataSource.query(`UPDATE channel SET settings = $2 WHERE id = $1`, [
      channelId,
      JSON.stringify({
        priceRule: { markupBasisPoints: 1000, roundingStepVnd: 1000, rounding: "NEAREST" },
        stockRule: { bufferUnits: 2 },
      }),
    ]);
    await setOnHand(s.variantIds[0], 15);
    await setOnHand(s.variantIds[1], 9);
    await db.dataSource.query(`UPDATE variant SET price_vnd = 123456 WHERE id = ANY($1::uuid[])`, [
      s.variantIds,
    ]);

    const d = new OutboxDispatcher(rt, fast);
    const seen = await propagations(code);
    const stock = await d.dispatch(channelId, "stock", SyncTrigger.EVENT);
    const price = await d.dispatch(channelId, "price", SyncTrigger.EVENT);
    expect(stock).toMatchObject({ pushed: 2, failed: 0, remaining: 0 });
    // Each applied stock value is one observation of change → accepted (the propagation histogram).
    expect(await propagations(code)).toBe(seen + 2);
    expect(price).toMatchObject({ pushed: 2, failed: 0, remaining: 0 });

    expect(sandboxes[code].skuView(shopId, s.skus[0])).toMatchObject({ stock: 13, priceVnd: 136_000 });
    expect(sandboxes[code].skuView(shopId, s.skus[1])).toMatchObject({ stock: 7, priceVnd: 136_000 });
    const l = await listing(s.listings[code][0]);
    expect(l.stock_pushed_version).toBe(l.stock_version);
    expect(l.price_pushed_version).toBe(l.price_version);
    // Two listings: reading back costs at most two calls everywhere, so every marketplace confirms at once.
    const confirmedNow = true;
    expect(l).toMatchObject({
      stock_dirty_since: null,
      pushed_stock: 13,
      confirmed_stock: confirmedNow ? 13 : null,
      pushed_price_vnd: 136_000,
      confirmed_price_vnd: confirmedNow ? 136_000 : null,
    });

    const [run] = await db.dataSource.query(`SELECT * FROM sync_run WHERE id = $1`, [stock.runId]);
    expect(run).toMatchObject({
      kind: "STOCK",
      trigger: "EVENT",
      status: "FINISHED",
      outcome: "SUCCEEDED",
      total: 2,
      applied: 2,
    });
    const recorded = await items(stock.runId!);
    expect(recorded.map((i: { status: string; value: unknown }) => [i.status, i.value])).toEqual([
      ["APPLIED", { stock: 13 }],
      ["APPLIED", { stock: 7 }],
    ]);
    // Nothing dirty: a second dispatch pushes nothing and records no run.
    expect(await d.dispatch(channelId, "stock", SyncTrigger.EVENT)).toEqual({
      runId: null,
      pushed: 0,
      failed: 0,
      remaining: 0,
    });
  });
});

describe("pacing", () => {
  it("holds a listing pushed within minCycleMs while another listing of the channel goes out at once", async () => {
    const s = await seedProduct(["lazada"], 2);
    const { channelId, shopId } = shops.lazada;
    const view = (i: number) => sandboxes.lazada.skuView(shopId, s.skus[i])!.stock;
    // A long hold, so the test says the same on a loaded machine: the other SKU must not wait for it.
    const d = new OutboxDispatcher(rt, { backoffMs: 20, minCycleMs: 3_000 });
    await setOnHand(s.variantIds[0], 19);
    const t0 = Date.now();
    await d.dispatch(channelId, "stock", SyncTrigger.EVENT);
    expect(view(0)).toBe(19);

    // The hot SKU changes again and a sale lands on the other SKU.
    await setOnHand(s.variantIds[0], 18);
    await setOnHand(s.variantIds[1], 17);
    const running = d.dispatch(channelId, "stock", SyncTrigger.EVENT);
    let otherAt = NaN;
    while (Number.isNaN(otherAt)) {
      if (view(1) === 17) otherAt = Date.now() - t0;
      else await new Promise((r) => setTimeout(r, 5));
    }
    expect(view(0)).toBe(19); // still held…
    expect(otherAt).toBeLessThan(2_500); // …while the other SKU did not wait for it
    await running;
    expect(view(0)).toBe(18);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3_000);
  });

  it("holds a hot listing (a burst of changes) twice as long after its second push", async () => {
    const s = await seedProduct(["lazada"]);
    const { channelId, shopId } = shops.lazada;
    const view = () => sandboxes.lazada.skuView(shopId, s.skus[0])!.stock;
    const d = new OutboxDispatcher(rt, { backoffMs: 20, minCycleMs: 1_000 });
    await setOnHand(s.variantId, 19);
    const t0 = Date.now();
    await d.dispatch(channelId, "stock", SyncTrigger.EVENT); // pushed at once
    for (const n of [18, 17, 16, 15]) await setOnHand(s.variantId, n); // a burst during the hold
    await d.dispatch(channelId, "stock", SyncTrigger.EVENT); // waits out the 1 s hold
    expect(view()).toBe(15);
    const second = Date.now() - t0;
    expect(second).toBeGreaterThanOrEqual(1_000);
    await setOnHand(s.variantId, 14);
    await d.dispatch(channelId, "stock", SyncTrigger.EVENT);
    expect(view()).toBe(14);
    // Hot: held 2 s after the second push, not 1 s.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(second + 2_000 - 50);
  });

  it("coalesces a stream of 1,000 changes to one SKU into one push per 700 ms at most, ending on the last value", async () => {
    const s = await seedProduct(["tiktok-shop"]);
    const { channelId, shopId } = shops["tiktok-shop"];
    const d = new OutboxDispatcher(rt, { backoffMs: 20 });
    const counted = { before: inFlightCalls() };
    const started = Date.now();
    const dispatches: Promise<unknown>[] = [];
    for (let i = 1; i <= 1_000; i++) {
      await setOnHand(s.variantId, 1_000 + i);
      // What the listener does on each NOTIFY: ask for a dispatch (one runs at a time per key).
      if (i % 50 === 1) dispatches.push(d.dispatch(channelId, "stock", SyncTrigger.EVENT));
    }
    await Promise.all(dispatches);
    await d.dispatch(channelId, "stock", SyncTrigger.EVENT);
    expect(sandboxes["tiktok-shop"].skuView(shopId, s.skus[0])!.stock).toBe(2_000);
    const pushes = inFlightCalls() - counted.before;
    const seconds = Math.max(1, (Date.now() - started) / 1000);
    // One push at once, then at most one per 700 ms while it keeps changing, and the final one.
    expect(pushes).toBeLessThanOrEqual(Math.ceil(seconds / 0.7) + 1);
  });
});

describe("a dispatch that throws", () => {
  it("finishes the run it created instead of leaving it RUNNING, and leaves the listing dirty", async () => {
    const s = await seedProduct(["lazada"]);
    const { channelId } = shops.lazada;
    const broken = Object.create(CONNECTORS.lazada) as MarketplaceConnector;
    broken.readBackCalls = () => {
      throw new Error("boom");
    };
    const brokenRt = createSyncRuntime({
      ds: db.dataSource,
      box,
      log: createLogger("silent"),
      connectors: { ...CONNECTORS, lazada: broken },
    });
    await setOnHand(s.variantId, 3);
    await expect(
      new OutboxDispatcher(brokenRt, fast).dispatch(channelId, "stock", SyncTrigger.EVENT),
    ).rejects.toThrow("boom");
    const [run] = await db.dataSource.query(
      `SELECT status, error_code, error_message FROM sync_run WHERE channel_id = $1 ORDER BY queued_at DESC LIMIT 1`,
      [channelId],
    );
    expect(run).toEqual({ status: "FINISHED", error_code: "INTERNAL_ERROR", error_message: "boom" });
    const l = await listing(s.listings.lazada[0]);
    expect(Number(l.stock_version)).toBeGreaterThan(Number(l.stock_pushed_version));
    // The next dispatch (a working connector) pushes it.
    await new OutboxDispatcher(rt, fast).dispatch(channelId, "stock", SyncTrigger.EVENT);
    expect((await listing(s.listings.lazada[0])).pushed_stock).toBe(3);
  });
});

describe("a content review in progress", () => {
  const review = {
    state: "IN_REVIEW",
    trackId: "trk-1",
    hidden: true,
    contentVersion: "3",
    requestedAt: "2026-01-05T08:00:00.000Z",
  };

  it("is never touched by a stock or price push, failed or applied; last_error holds only the last error", async () => {
    const s = await seedProduct(["lazada"]);
    const { channelId } = shops.lazada;
    const id = s.listings.lazada[0];
    await db.dataSource.query(`UPDATE listing SET content_review = $2, last_error = $3 WHERE id = $1`, [
      id,
      JSON.stringify(review),
      JSON.stringify({ code: "HIDDEN_PENDING_REVIEW", remoteCode: "HIDDEN_PENDING_REVIEW" }),
    ]);
    await setOnHand(s.variantId, 6);
    sandboxes.lazada.setFaults({ errorRate: 1 });
    const d = new OutboxDispatcher(rt, { ...fast, maxRetryWaitMs: 0 });
    await d.dispatch(channelId, "stock", SyncTrigger.EVENT);
    const failed = await listing(id);
    expect(failed.last_error).toMatchObject({ kind: "stock" });
    for (const key of ["trackId", "hidden", "contentVersion"])
      expect(failed.last_error).not.toHaveProperty(key);
    expect(failed.content_review).toEqual(review);

    sandboxes.lazada.setFaults({ errorRate: 0 });
    await db.dataSource.query(`UPDATE listing SET stock_retry_at = NULL WHERE id = $1`, [id]);
    await d.dispatch(channelId, "stock", SyncTrigger.EVENT);
    const applied = await listing(id);
    expect(applied.pushed_stock).toBe(6);
    expect(applied.last_error).toBeNull();
    expect(applied.content_review).toEqual(review);

    await db.dataSource.query(`UPDATE variant SET price_vnd = 120000 WHERE id = $1`, [s.variantId]);
    await d.dispatch(channelId, "price", SyncTrigger.EVENT);
    const priced = await listing(id);
    expect(priced.pushed_price_vnd).toBe(120000);
    expect(priced.content_review).toEqual(review);
  });

  it("is found by the follow-up through content_review (Tiki), not through tracking keys in last_error", async () => {
    const followed = (await seedProduct(["tiki"])).listings.tiki[0];
    const legacy = (await seedProduct(["tiki"])).listings.tiki[0];
    // A track id Tiki does not know (they expire after 30 days) counts as rejected.
    await db.dataSource.query(`UPDATE listing SET content_review = $2, last_error = $3 WHERE id = $1`, [
      followed,
      JSON.stringify({ ...review, trackId: "0".repeat(32) }),
      JSON.stringify({ code: "HIDDEN_PENDING_REVIEW" }),
    ]);
    const oldShape = {
      code: "CONTENT_IN_REVIEW",
      trackId: "f".repeat(32),
      hidden: false,
      contentVersion: "2",
    };
    await db.dataSource.query(`UPDATE listing SET last_error = $2 WHERE id = $1`, [
      legacy,
      JSON.stringify(oldShape),
    ]);
    const follower = new ContentReviewFollower(rt);
    expect(await follower.followAll()).toEqual({ checked: 1, approved: 0, rejected: 1, inReview: 0 });
    const rejected = await listing(followed);
    expect(rejected.last_error).toMatchObject({
      code: "CONTENT_REVIEW_REJECTED",
      remoteCode: "REQUEST_REJECTED",
      remoteMessage: "tracking id not found",
    });
    expect(rejected.last_error).not.toHaveProperty("hidden");
    // Hidden for the refused request: stays hidden (and says so) until a later one is approved.
    expect(rejected.content_review).toMatchObject({
      state: "REJECTED",
      hidden: true,
      trackId: "0".repeat(32),
      reason: "tracking id not found",
    });
    expect((await listing(legacy)).last_error).toEqual(oldShape);
    // A refused request is not polled again.
    expect(await follower.followAll()).toEqual({ checked: 0, approved: 0, rejected: 0, inReview: 0 });
  });
});

describe("compare-and-set and retries", () => {
  it("pushes again a change made while a push is in flight; the final value wins", async () => {
    const s = await seedProduct(["lazada"]);
    const { channelId, shopId } = shops.lazada;
    sandboxes.lazada.setFaults({ latencyMs: 300 });
    await setOnHand(s.variantId, 11);
    const d = new OutboxDispatcher(rt, fast);
    const running = d.dispatch(channelId, "stock", SyncTrigger.EVENT);
    await new Promise((r) => setTimeout(r, 120)); // the first push is on the wire
    await setOnHand(s.variantId, 4);
    const res = await running;
    expect(sandboxes.lazada.skuView(shopId, s.skus[0])!.stock).toBe(4);
    const l = await listing(s.listings.lazada[0]);
    expect(l.stock_pushed_version).toBe(l.stock_version);
    expect(l.pushed_stock).toBe(4);
    const pushed = (await items(res.runId!)).map((i: { value: { stock: number }; version: string }) => [
      i.value.stock,
      Number(i.version),
    ]);
    expect(pushed).toEqual([
      [11, Number(l.stock_version) - 1],
      [4, Number(l.stock_version)],
    ]);
  });

  it("retries transient failures with backoff until applied, and rides out 429 bursts", async () => {
    const started = Date.now();
    const s = await seedProduct(["tiktok-shop"]);
    const { channelId, shopId } = shops["tiktok-shop"];
    transient.left = 1;
    await setOnHand(s.variantId, 5);
    const d = new OutboxDispatcher(rt, { ...fast, maxRetryWaitMs: 0 });
    const first = await d.dispatch(channelId, "stock", SyncTrigger.EVENT);
    expect(first).toMatchObject({ pushed: 0, failed: 0, remaining: 1 });
    const [retrying] = await items(first.runId!);
    expect(retrying).toMatchObject({ status: "RETRYING", code: "REMOTE_UNAVAILABLE" });
    expect(retrying.message_vi).toMatch(/TikTok Shop/);
    expect((await listing(s.listings["tiktok-shop"][0])).stock_attempts).toBe(1);

    sandboxes["tiktok-shop"].setFaults({ burst429: 3 });
    await new Promise((r) => setTimeout(r, 60)); // past the backoff
    const second = await new OutboxDispatcher(rt, fast).dispatch(channelId, "stock", SyncTrigger.RETRY);
    expect(second).toMatchObject({ pushed: 1, remaining: 0 });
    expect(sandboxes["tiktok-shop"].skuView(shopId, s.skus[0])!.stock).toBe(5);
    expect((await listing(s.listings["tiktok-shop"][0])).stock_attempts).toBe(0);
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it("detects silent no-op writes by read-back, pushes again, and explains them when they persist", async () => {
    const s = await seedProduct(["lazada"], 2);
    const { channelId, shopId } = shops.lazada;
    sandboxes.lazada.setFaults({ silentNoopRate: 1 });
    await setOnHand(s.variantIds[0], 3);
    const once = await new OutboxDispatcher(rt, { ...fast, maxRetryWaitMs: 0 }).dispatch(
      channelId,
      "stock",
      SyncTrigger.EVENT,
    );
    expect(once).toMatchObject({ pushed: 0, remaining: 1 });
    expect((await items(once.runId!))[0]).toMatchObject({ status: "RETRYING", code: "REMOTE_NOT_APPLIED" });
    expect(sandboxes.lazada.skuView(shopId, s.skus[0])!.stock).toBe(20);

    sandboxes.lazada.setFaults({ silentNoopRate: 0 });
    await new Promise((r) => setTimeout(r, 60));
    const repaired = await new OutboxDispatcher(rt, fast).dispatch(channelId, "stock", SyncTrigger.RETRY);
    expect(repaired).toMatchObject({ pushed: 1, remaining: 0 });
    expect(sandboxes.lazada.skuView(shopId, s.skus[0])!.stock).toBe(3);
    expect((await listing(s.listings.lazada[0])).confirmed_stock).toBe(3);

    // A marketplace that never applies: after maxAttempts the failure is explained, not retried forever.
    sandboxes.lazada.setFaults({ silentNoopRate: 1 });
    await setOnHand(s.variantIds[1], 2);
    const stuck = await new OutboxDispatcher(rt, { ...fast, maxAttempts: 3 }).dispatch(
      channelId,
      "stock",
      SyncTrigger.EVENT,
    );
    expect(stuck).toMatchObject({ pushed: 0, failed: 1, remaining: 0 });
    const recorded = await items(stuck.runId!);
    expect(recorded.map((i: { status: string }) => i.status)).toEqual(["RETRYING", "RETRYING", "FAILED"]);
    expect(recorded[2]).toMatchObject({ code: "REMOTE_NOT_APPLIED", attempts: 3 });
    expect(recorded[2].hint_en).toBeTruthy();
    const l = await listing(s.listings.lazada[1]);
    expect(l.stock_failed_version).toBe(l.stock_version);
    expect(l.last_error).toMatchObject({ kind: "stock", code: "REMOTE_NOT_APPLIED" });
  });

  it("records a fatal per-item failure with an explanation without blocking the others", async () => {
    const s = await seedProduct(["shopee"], 2);
    const { channelId, shopId } = shops.shopee;
    // The second variant's model was deleted on Shopee.
    await db.dataSource.query(`UPDATE listing SET external_sku_id = '987654321' WHERE id = $1`, [
      s.listings.shopee[1],
    ]);
    await setOnHand(s.variantIds[0], 8);
    await setOnHand(s.variantIds[1], 8);
    const d = new OutboxDispatcher(rt, fast);
    const res = await d.dispatch(channelId, "stock", SyncTrigger.EVENT);
    expect(res).toMatchObject({ pushed: 1, failed: 1, remaining: 0 });
    expect(sandboxes.shopee.skuView(shopId, s.skus[0])!.stock).toBe(8);
    const bad = (await items(res.runId!)).find(
      (i: { listing_id: string }) => i.listing_id === s.listings.shopee[1],
    );
    expect(bad).toMatchObject({
      status: "FAILED",
      code: "SKU_NOT_FOUND_REMOTE",
      remote_code: "failure_list",
    });
    expect(bad.message_vi).toMatch(/Shopee/);
    expect(bad.message_en).toMatch(/Shopee/);
    const [run] = await db.dataSource.query(`SELECT outcome FROM sync_run WHERE id = $1`, [res.runId]);
    expect(run.outcome).toBe("PARTIALLY_FAILED");

    // Not retried while its version stands…
    expect((await d.dispatch(channelId, "stock", SyncTrigger.EVENT)).runId).toBeNull();
    // …and tried again once it changes.
    await setOnHand(s.variantIds[1], 6);
    const again = await d.dispatch(channelId, "stock", SyncTrigger.EVENT);
    expect(again).toMatchObject({ failed: 1 });
  });

  it("never runs two dispatchers of one channel and kind at once", async () => {
    const s = await seedProduct(["shopee"], 3);
    const { channelId, shopId } = shops.shopee;
    sandboxes.shopee.setFaults({ latencyMs: 150 });
    for (const v of s.variantIds) await setOnHand(v, 12);
    inFlight.max = 0;
    const opts = { ...fast, callConcurrency: 1 };
    // Two dispatchers as two processes would have them: separate instances, separate connections.
    const [a, b] = await Promise.all([
      new OutboxDispatcher(rt, opts).dispatch(channelId, "stock", SyncTrigger.EVENT),
      new OutboxDispatcher(rt, opts).dispatch(channelId, "stock", SyncTrigger.EVENT),
    ]);
    expect(inFlight.max).toBe(1);
    expect([a.runId === null, b.runId === null].sort()).toEqual([false, true]);
    expect(a.pushed + b.pushed).toBe(3);
    for (const sku of s.skus) expect(sandboxes.shopee.skuView(shopId, sku)!.stock).toBe(12);
  });
});

describe("reconciliation", () => {
  /** Runs one reconciliation of the channel and returns its finished sync_run row. */
  async function reconcileNow(channelId: string, queue?: Parameters<typeof reconcile>[2]) {
    const run = await createRun(db.dataSource, {
      channelId,
      kind: SyncKind.RECONCILE,
      trigger: SyncTrigger.SCHEDULE,
    });
    await reconcile(rt, run.id, queue);
    const [done] = await db.dataSource.query(`SELECT * FROM sync_run WHERE id = $1`, [run.id]);
    return done;
  }

  it("puts a listing the marketplace does not have back to PENDING and queues its product's publish", async () => {
    const own = await connect("tiktok-shop");
    const s = await seedProduct([]);
    // A create the marketplace acknowledged without applying: LIVE here, missing there.
    const [ghost] = await db.dataSource.query(
      `INSERT INTO listing (channel_id, product_id, variant_id, listing_key, external_item_id, external_sku_id, state,
                            price_pushed_version, stock_pushed_version, content_pushed_version)
       SELECT $1, product_id, id, sku, '1729999999999999999', '1729999999999999998', 'LIVE', 1, 1, 1
         FROM variant WHERE id = $2 RETURNING id`,
      [own.channelId, s.variantId],
    );
    const queued: string[] = [];
    const queue = {
      enqueueRun: async (id: string) => void queued.push(id),
      enqueueOrderImport: async () => {},
    };
    const done = await reconcileNow(own.channelId, queue);
    expect(done.details).toMatchObject({ notFound: 1, republishRuns: queued });
    expect(queued).toHaveLength(1);
    const [republish] = await db.dataSource.query(
      `SELECT kind, status, details FROM sync_run WHERE id = $1`,
      [queued[0]],
    );
    const [{ product_id }] = await db.dataSource.query(`SELECT product_id FROM variant WHERE id = $1`, [
      s.variantId,
    ]);
    expect(republish).toMatchObject({
      kind: "PUBLISH",
      status: "QUEUED",
      details: { productIds: [product_id] },
    });
    const l = await listing(ghost.id);
    expect(l).toMatchObject({ state: "PENDING", external_item_id: null, external_sku_id: null });
  });

  it("pushes again a change whose retries were used up while the marketplace still shows the old value", async () => {
    // Found by the fault suite (seed 1093658468): a stock push failed five times in a row under 30 %
    // injected errors, the listing was parked as failed, and reconciliation skipped it as "in flight",
    // so the marketplace kept the old stock for good.
    const own = await connect("lazada");
    const s = await seedProduct(["lazada"], 1, { lazada: own });
    const { channelId, shopId } = own;
    sandboxes.lazada.setFaults({ silentNoopRate: 1 });
    await setOnHand(s.variantIds[0], 4);
    const parked = await new OutboxDispatcher(rt, { ...fast, maxAttempts: 2 }).dispatch(
      channelId,
      "stock",
      SyncTrigger.EVENT,
    );
    sandboxes.lazada.setFaults({ silentNoopRate: 0 });
    expect(parked).toMatchObject({ pushed: 0, failed: 1, remaining: 0 });
    const before = await listing(s.listings.lazada[0]);
    expect(before.stock_failed_version).toBe(before.stock_version);
    expect(sandboxes.lazada.skuView(shopId, s.skus[0])!.stock).toBe(20);

    const done = await reconcileNow(channelId);
    expect(done.details).toMatchObject({ stockDrift: 1 });
    const after = await listing(s.listings.lazada[0]);
    expect(after.stock_failed_version).toBeNull();
    expect(Number(after.stock_version)).toBeGreaterThan(Number(before.stock_version));
    expect(
      await new OutboxDispatcher(rt, fast).dispatch(channelId, "stock", SyncTrigger.EVENT),
    ).toMatchObject({ pushed: 1, remaining: 0 });
    expect(sandboxes.lazada.skuView(shopId, s.skus[0])!.stock).toBe(4);
  });

  it("finds drift made on the marketplace, records it and repairs it through the outbox", async () => {
    // A channel of its own, so listings of the other tests are not part of its walk.
    const own = await connect("lazada");
    const s = await seedProduct(["lazada"], 2, { lazada: own });
    const { channelId, shopId } = own;
    // A buyer order on Lazada itself lowers its stock; someone edits a price in the seller centre.
    sandboxes.lazada.createOrder(shopId, [{ sku: s.skus[0], quantity: 3 }]);
    const { ctx } = {
      ctx: {
        channelId,
        baseUrl: sandboxes.lazada.baseUrl,
        shopId,
        credentials: new PgCredentialStore(db.dataSource, box, channelId),
      },
    };
    await CONNECTORS.lazada.pushPrices!(ctx, [
      {
        sku: s.skus[1],
        externalItemId: sandboxes.lazada.skuView(shopId, s.skus[1])!.externalItemId,
        externalSkuId: sandboxes.lazada.skuView(shopId, s.skus[1])!.externalSkuId,
        priceVnd: 99_000,
      },
    ]);
    expect(sandboxes.lazada.skuView(shopId, s.skus[0])!.stock).toBe(17);

    const done = await reconcileNow(channelId);
    expect(done).toMatchObject({ status: "FINISHED", outcome: "SUCCEEDED", total: 2 });
    expect(done.details).toMatchObject({ drift: 2, stockDrift: 1, priceDrift: 1, notFound: 0 });
    const drift = await items(done.id);
    expect(
      drift.map((i: { code: string; value: unknown; listing_id: string }) => [i.code, i.listing_id, i.value]),
    ).toEqual(
      [
        ["STOCK_DRIFT", s.listings.lazada[0], { remote: 17, pushed: 20, desired: 20 }],
        ["PRICE_DRIFT", s.listings.lazada[1], { remote: 99_000, pushed: 100_000, desired: 100_000 }],
      ].sort((x, y) => (x[1] as string).localeCompare(y[1] as string)),
    );

    const d = new OutboxDispatcher(rt, fast);
    expect(await d.dispatch(channelId, "stock", SyncTrigger.EVENT)).toMatchObject({
      pushed: 1,
      remaining: 0,
    });
    expect(await d.dispatch(channelId, "price", SyncTrigger.EVENT)).toMatchObject({
      pushed: 1,
      remaining: 0,
    });
    expect(sandboxes.lazada.skuView(shopId, s.skus[0])!.stock).toBe(20);
    expect(sandboxes.lazada.skuView(shopId, s.skus[1])!.priceVnd).toBe(100_000);

    // A second pass finds nothing.
    const clean = await reconcileNow(channelId);
    expect(clean.details).toMatchObject({ drift: 0, checked: 2 });
  });
});
