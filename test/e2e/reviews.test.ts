/**
 * Customer feedback back home, end to end: buyer reviews seeded in the Shopee and Lazada sandboxes
 * are pulled by REVIEWS sync runs (triggered over GraphQL, and from a scheduler tick) through a real
 * pg-boss queue and worker, stored once (a re-pull writes nothing), linked to the master product
 * (a review of an item the hub does not list is kept, unlinked), summarised per product, per channel
 * and per star, readable with filters and tenancy, counted as unread until marked read, and answered
 * on Shopee from the hub; replies are refused with clear errors where not possible.
 */
import crypto from "node:crypto";
import { ApiKeyRole } from "../../src/auth/api-key.entity";
import { SANDBOXES } from "../../src/sandbox/registry";
import type { MarketplaceSandbox } from "../../src/sandbox/sandbox";
import { PgBossJobQueue } from "../../src/sync/job-queue";
import { RunningWorker, startWorker } from "../../src/sync/worker";
import { SyncScheduler } from "../../src/sync/scheduler";
import { toGlobalId } from "../../src/common/graphql/global-id";
import { startTestHub, TestHub } from "../support/test-hub";
import { connectSandbox, insertCatalogue } from "../support/order-fixture";

const HOUR = 3_600_000;
const tag = crypto.randomBytes(3).toString("hex").toUpperCase();
const SKU_A = `MAT-ONG-${tag}`;
const SKU_B = `TRA-${tag}`;

let hub: TestHub;
let queue: PgBossJobQueue;
let worker: RunningWorker;
const sandboxes: Record<string, MarketplaceSandbox> = {};
const channels: Record<string, { id: string; gid: string; shopId: string }> = {};
let producerId = "";
let productGid = "";
let producerKey = "";
let strangerKey = "";
let catalogueOnlyKey = "";
const seeded: Record<string, string> = {};

async function listOn(
  code: "shopee" | "lazada" | "tiktok-shop",
  productId: string,
  variants: Record<string, string>,
) {
  const s = sandboxes[code];
  const ch = channels[code];
  s.seedListing(ch.shopId, {
    title: "Mật ong bạc hà Mèo Vạc",
    variants: [
      { sku: SKU_A, priceVnd: 180_000, stock: 40 },
      { sku: SKU_B, priceVnd: 95_000, stock: 40 },
    ],
  });
  for (const sku of [SKU_A, SKU_B]) {
    const view = s.skuView(ch.shopId, sku)!;
    await hub.db.dataSource.query(
      `INSERT INTO listing (channel_id, product_id, variant_id, listing_key, external_item_id, external_sku_id, state,
                            price_pushed_version, stock_pushed_version, content_pushed_version)
       VALUES ($1, $2, $3, $4, $5, $6, 'LIVE', 1, 1, 1)`,
      [ch.id, productId, variants[sku], SKU_A, view.externalItemId, view.externalSkuId],
    );
  }
}

beforeAll(async () => {
  hub = await startTestHub();
  const ds = hub.db.dataSource;
  queue = new PgBossJobQueue({ connectionString: hub.db.url, poolSize: 3, pollingIntervalSeconds: 0.5 });
  await queue.start();
  hub.services.queue = queue;
  worker = await startWorker(hub.services.sync, queue, { listen: false, sweepMs: 0 });

  const cat = await insertCatalogue(ds, { [SKU_A]: 40, [SKU_B]: 40 });
  producerId = cat.producerId;
  productGid = toGlobalId("Product", cat.productId);
  for (const code of ["shopee", "lazada", "tiktok-shop"] as const) {
    const s = SANDBOXES[code]();
    await s.start(0);
    sandboxes[code] = s;
    const c = await connectSandbox(ds, hub.services.sync.box, producerId, s);
    channels[code] = { id: c.channelId, gid: toGlobalId("Channel", c.channelId), shopId: c.shopId };
    await listOn(code, cat.productId, cat.variants);
  }
  const now = Date.now();
  const shopee = (sku: string, rating: number, hoursAgo: number, extra = {}) =>
    sandboxes.shopee.seedReview!(channels.shopee.shopId, {
      sku,
      rating,
      text: `Mật ong thơm, ${rating} sao`,
      buyerName: "h***g",
      at: now - hoursAgo * HOUR,
      ...extra,
    }).externalReviewId;
  seeded.shopeeA5 = shopee(SKU_A, 5, 1);
  seeded.shopeeA4 = shopee(SKU_A, 4, 2);
  seeded.shopeeA5b = shopee(SKU_A, 5, 30);
  seeded.shopeeB3 = shopee(SKU_B, 3, 50);
  // An item on Shopee the hub does not list: its review is kept, unlinked.
  sandboxes.shopee.seedListing(channels.shopee.shopId, {
    title: "Hàng tự đăng trên Shopee",
    variants: [{ sku: `KHAC-${tag}`, priceVnd: 10_000, stock: 1 }],
  });
  seeded.shopeeUnknown = shopee(`KHAC-${tag}`, 1, 3);
  const lazada = (sku: string, rating: number, hoursAgo: number, extra = {}) =>
    sandboxes.lazada.seedReview!(channels.lazada.shopId, {
      sku,
      rating,
      text: `Giao nhanh, ${rating} sao`,
      at: now - hoursAgo * HOUR,
      ...extra,
    }).externalReviewId;
  seeded.lazadaA2 = lazada(SKU_A, 2, 5);
  seeded.lazadaB5 = lazada(SKU_B, 5, 24 * 10, { canReply: false });

  producerKey = await hub.issueKey(ApiKeyRole.PRODUCER, producerId);
  const other = await insertCatalogue(ds, { [`X-${tag}`]: 1 });
  strangerKey = await hub.issueKey(ApiKeyRole.PRODUCER, other.producerId);
  const k = await hub.gql(
    `mutation { createApiKey(input: { name: "catalogue only", scopes: [READ_CATALOGUE] }) { key } }`,
  );
  catalogueOnlyKey = k.data.createApiKey.key;
});

afterAll(async () => {
  await worker?.stop();
  await queue?.stop();
  for (const s of Object.values(sandboxes)) await s.close();
  await hub?.close();
});

const TRIGGER = `mutation($c: ID!) { triggerSync(channelId: $c, kind: REVIEWS, dryRun: false) {
  run { id } userErrors { field code message } } }`;

async function finished(id: string) {
  for (let i = 0; i < 300; i++) {
    const r = await hub.gql(
      `query($id: ID!) { syncRun(id: $id) { status outcome total applied skipped failed errorCode } }`,
      { id },
    );
    if (r.data?.syncRun?.status === "FINISHED") {
      const [d] = await hub.db.dataSource.query(`SELECT details FROM sync_run WHERE id = $1`, [id]);
      return { ...r.data.syncRun, details: d.details };
    }
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`run ${id} did not finish`);
}

async function pull(code: string) {
  const r = await hub.gql(TRIGGER, { c: channels[code].gid }, { key: producerKey });
  expect(r.data.triggerSync.userErrors).toEqual([]);
  return finished(r.data.triggerSync.run.id);
}

const rowsHash = async () => {
  const [r] = await hub.db.dataSource.query(
    `SELECT md5(string_agg(row_to_json(x)::text, '|' ORDER BY x.id)) AS h, count(*)::int AS n
       FROM (SELECT * FROM review WHERE producer_id = $1) x`,
    [producerId],
  );
  return r as { h: string; n: number };
};

const LIST = `query($f: ReviewFilter, $first: Int, $after: String) { reviews(filter: $f, first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  nodes { id externalReviewId rating text buyerName linked replyStatus replyText canReply
          channel { id marketplace } product { id name } variant { sku } } } }`;

test("a REVIEWS run stores every review once; a re-pull writes nothing", async () => {
  const shopee = await pull("shopee");
  expect(shopee).toMatchObject({ outcome: "SUCCEEDED", total: 5, applied: 5, skipped: 0, failed: 0 });
  expect(shopee.details).toMatchObject({ created: 5, unlinked: 1 });
  const lazada = await pull("lazada");
  expect(lazada).toMatchObject({ outcome: "SUCCEEDED", total: 2, applied: 2, failed: 0 });

  const before = await rowsHash();
  expect(before.n).toBe(7);
  const again = await pull("shopee");
  const againLazada = await pull("lazada");
  expect(again).toMatchObject({ total: 5, applied: 0, skipped: 5 });
  // The next pull re-reads the last 7 days only: the 10-day-old Lazada review is not asked for again.
  expect(againLazada).toMatchObject({ total: 1, applied: 0, skipped: 1 });
  expect(await rowsHash()).toEqual(before);
});

test("reviews are linked to the product and variant, filterable, paged, newest first", async () => {
  const all = await hub.gql(LIST, { first: 4 }, { key: producerKey });
  expect(all.errors).toBeUndefined();
  expect(all.data.reviews.totalCount).toBe(7);
  expect(all.data.reviews.pageInfo.hasNextPage).toBe(true);
  expect(all.data.reviews.nodes.map((n: any) => n.externalReviewId)).toEqual([
    seeded.shopeeA5,
    seeded.shopeeA4,
    seeded.shopeeUnknown,
    seeded.lazadaA2,
  ]);
  const first = all.data.reviews.nodes[0];
  expect(first).toMatchObject({
    rating: 5,
    text: "Mật ong thơm, 5 sao",
    buyerName: "h***g",
    linked: true,
    replyStatus: "NONE",
    channel: { marketplace: "SHOPEE" },
    product: { id: productGid },
    variant: { sku: SKU_A },
  });
  const unlinked = await hub.gql(LIST, { f: { linked: false } }, { key: producerKey });
  expect(unlinked.data.reviews.nodes).toEqual([
    expect.objectContaining({ externalReviewId: seeded.shopeeUnknown, linked: false, product: null }),
  ]);
  const ofProduct = await hub.gql(LIST, { f: { productId: productGid } }, { key: producerKey });
  expect(ofProduct.data.reviews.totalCount).toBe(6);
  const fives = await hub.gql(LIST, { f: { rating: [5] } }, { key: producerKey });
  expect(fives.data.reviews.totalCount).toBe(3);
  const onLazada = await hub.gql(LIST, { f: { channelId: channels.lazada.gid } }, { key: producerKey });
  expect(onLazada.data.reviews.nodes.map((n: any) => n.buyerName)).toEqual([null, null]);
  const recent = await hub.gql(
    LIST,
    { f: { since: new Date(Date.now() - 4 * HOUR).toISOString() } },
    { key: producerKey },
  );
  expect(recent.data.reviews.totalCount).toBe(3);
});

test("product reviewSummary: average, per channel and per star", async () => {
  const r = await hub.gql(
    `query($id: ID!) { product(id: $id) { reviewSummary { average count
        byChannel { channel { id } average count } byRating { rating count } } } }`,
    { id: productGid },
    { key: producerKey },
  );
  expect(r.errors).toBeUndefined();
  const s = r.data.product.reviewSummary;
  // Shopee 5, 4, 5, 3; Lazada 2, 5 (the unlinked 1-star review is not this product's).
  expect(s.count).toBe(6);
  expect(s.average).toBe(4);
  expect(s.byRating).toEqual([
    { rating: 1, count: 0 },
    { rating: 2, count: 1 },
    { rating: 3, count: 1 },
    { rating: 4, count: 1 },
    { rating: 5, count: 3 },
  ]);
  expect(s.byChannel).toHaveLength(2);
  expect(s.byChannel).toEqual(
    expect.arrayContaining([
      { channel: { id: channels.shopee.gid }, average: 4.25, count: 4 },
      { channel: { id: channels.lazada.gid }, average: 3.5, count: 2 },
    ]),
  );
});

test("tenancy: other producers see nothing; buyer names need READ_ORDERS", async () => {
  const stranger = await hub.gql(LIST, {}, { key: strangerKey });
  expect(stranger.data.reviews.totalCount).toBe(0);
  const [victim] = await hub.db.dataSource.query(
    `SELECT id FROM review WHERE channel_id = $1 AND external_review_id = $2`,
    [channels.shopee.id, seeded.shopeeA4],
  );
  const reply = await hub.gql(
    `mutation($id: ID!) { replyToReview(reviewId: $id, text: "chen ngang") { review { id } userErrors { code } } }`,
    { id: toGlobalId("Review", victim.id) },
    { key: strangerKey },
  );
  expect(reply.data.replyToReview.userErrors).toEqual([{ code: "NOT_FOUND" }]);
  expect(sandboxes.shopee.reviewView!(channels.shopee.shopId, seeded.shopeeA4)!.reply).toBeNull();
  const names = await hub.gql(LIST, { f: { channelId: channels.shopee.gid } }, { key: catalogueOnlyKey });
  expect(names.data.reviews.totalCount).toBe(5);
  expect(names.data.reviews.nodes.every((n: any) => n.buyerName === null)).toBe(true);
});

test("replying on Shopee posts on the marketplace and records it; refusals are clear", async () => {
  const ids: Array<{ id: string; external_review_id: string; channel_id: string }> =
    await hub.db.dataSource.query(
      `SELECT id, external_review_id, channel_id FROM review WHERE producer_id = $1`,
      [producerId],
    );
  const idOf = (ext: string) => toGlobalId("Review", ids.find((r) => r.external_review_id === ext)!.id);
  const REPLY = `mutation($id: ID!, $t: String!) { replyToReview(reviewId: $id, text: $t) {
    review { replyStatus replyText canReply } userErrors { field code message } } }`;
  const text = "Cảm ơn anh/chị đã tin dùng mật ong của hợp tác xã!";
  const ok = await hub.gql(REPLY, { id: idOf(seeded.shopeeA5), t: text }, { key: producerKey });
  expect(ok.data.replyToReview).toEqual({
    review: { replyStatus: "REPLIED", replyText: text, canReply: false },
    userErrors: [],
  });
  expect(sandboxes.shopee.reviewView!(channels.shopee.shopId, seeded.shopeeA5)!.reply).toBe(text);

  const twice = await hub.gql(
    REPLY,
    { id: idOf(seeded.shopeeA5), t: "lần hai" },
    { key: producerKey, lang: "en" },
  );
  expect(twice.data.replyToReview.userErrors).toEqual([
    {
      field: "reviewId",
      code: "REVIEW_ALREADY_REPLIED",
      message: expect.stringContaining("already has a reply"),
    },
  ]);
  const closed = await hub.gql(
    REPLY,
    { id: idOf(seeded.lazadaB5), t: "Cảm ơn" },
    { key: producerKey, lang: "en" },
  );
  expect(closed.data.replyToReview.userErrors[0]).toMatchObject({ code: "REVIEW_REPLY_CLOSED" });
  const empty = await hub.gql(REPLY, { id: idOf(seeded.lazadaA2), t: "   " }, { key: producerKey });
  expect(empty.data.replyToReview.userErrors[0]).toMatchObject({ field: "text", code: "REQUIRED" });
  const long = await hub.gql(REPLY, { id: idOf(seeded.lazadaA2), t: "x".repeat(501) }, { key: producerKey });
  expect(long.data.replyToReview.userErrors[0]).toMatchObject({ field: "text", code: "TOO_LONG" });
  const nul = await hub.gql(REPLY, { id: idOf(seeded.lazadaA2), t: "Cảm ơn\u0007" }, { key: producerKey });
  expect(nul.data.replyToReview.userErrors[0]).toMatchObject({ field: "text", code: "INVALID_FORMAT" });
  // Lazada's reply API works as well.
  const laz = await hub.gql(
    REPLY,
    { id: idOf(seeded.lazadaA2), t: "Shop xin lỗi, sẽ đổi hàng ạ." },
    { key: producerKey },
  );
  expect(laz.data.replyToReview.userErrors).toEqual([]);
  expect(sandboxes.lazada.reviewView!(channels.lazada.shopId, seeded.lazadaA2)!.reply).toBe(
    "Shop xin lỗi, sẽ đổi hàng ạ.",
  );

  // The next pull sees the marketplace's reply and changes nothing.
  const before = await rowsHash();
  const again = await pull("shopee");
  expect(again).toMatchObject({ applied: 0, skipped: 5 });
  expect(await rowsHash()).toEqual(before);

  // A reply the seller made in Seller Center is picked up by the next pull.
  const fresh = sandboxes.shopee.seedReview!(channels.shopee.shopId, {
    sku: SKU_B,
    rating: 4,
    text: "Trà ngon",
    reply: "Cảm ơn bạn (trả lời trên Shopee)",
  }).externalReviewId;
  const third = await pull("shopee");
  expect(third).toMatchObject({ total: 6, applied: 1, skipped: 5 });
  const [row] = await hub.db.dataSource.query(
    `SELECT reply_status, reply_text, can_reply FROM review WHERE channel_id = $1 AND external_review_id = $2`,
    [channels.shopee.id, fresh],
  );
  expect(row).toEqual({
    reply_status: "REPLIED",
    reply_text: "Cảm ơn bạn (trả lời trên Shopee)",
    can_reply: false,
  });
});

test("marketplaces without a review API: pulling and replying are refused with clear errors", async () => {
  const r = await hub.gql(TRIGGER, { c: channels["tiktok-shop"].gid }, { key: producerKey, lang: "en" });
  expect(r.data.triggerSync.userErrors).toEqual([
    { field: "kind", code: "REVIEWS_UNSUPPORTED", message: expect.stringContaining("TikTok Shop") },
  ]);
  const caps = await hub.gql(`{ marketplaces { code capabilities } }`);
  const byCode = Object.fromEntries(caps.data.marketplaces.map((m: any) => [m.code, m.capabilities]));
  expect(byCode.SHOPEE).toEqual(expect.arrayContaining(["review.pull", "review.reply"]));
  expect(byCode.LAZADA).toEqual(expect.arrayContaining(["review.pull", "review.reply"]));
  expect(byCode.TIKTOK_SHOP).not.toContain("review.pull");
  expect(byCode.TIKI).not.toContain("review.pull");
  // A TikTok Shop review cannot reach the hub through any API; a row typed in by an operator (as
  // here) still gets a clear refusal instead of a failed call.
  const [row] = await hub.db.dataSource.query(
    `INSERT INTO review (channel_id, producer_id, external_review_id, rating, text, remote_created_at)
     VALUES ($1, $2, 'TT-1', 4, 'Ngon', now()) RETURNING id`,
    [channels["tiktok-shop"].id, producerId],
  );
  const reply = await hub.gql(
    `mutation($id: ID!) { replyToReview(reviewId: $id, text: "Cảm ơn") { review { id } userErrors { code message } } }`,
    { id: toGlobalId("Review", row.id) },
    { key: producerKey, lang: "en" },
  );
  expect(reply.data.replyToReview.userErrors).toEqual([
    { code: "REVIEW_REPLY_UNSUPPORTED", message: expect.stringContaining("TikTok Shop") },
  ]);
  await hub.db.dataSource.query(`DELETE FROM review WHERE id = $1`, [row.id]);
});

test("unread count, mark read, and 'new reviews since' for alerts; the scheduler pulls REVIEWS", async () => {
  const UNREAD = `query($id: ID!) { producer(id: $id) { unreadReviewCount } }`;
  const pid = toGlobalId("Producer", producerId);
  const u1 = await hub.gql(UNREAD, { id: pid }, { key: producerKey });
  expect(u1.data.producer.unreadReviewCount).toBe(8);
  const mark = await hub.gql(
    `mutation($id: ID!) { markReviewsRead(producerId: $id) { marked userErrors { code } } }`,
    { id: pid },
    { key: producerKey },
  );
  expect(mark.data.markReviewsRead).toEqual({ marked: 8, userErrors: [] });
  expect((await hub.gql(UNREAD, { id: pid }, { key: producerKey })).data.producer.unreadReviewCount).toBe(0);

  const mark0 = new Date();
  const fresh = sandboxes.lazada.seedReview!(channels.lazada.shopId, {
    sku: SKU_B,
    rating: 1,
    text: "Vỡ hũ",
  }).externalReviewId;
  const scheduler = new SyncScheduler(hub.services.sync, queue);
  await scheduler.reload();
  try {
    expect(scheduler.scheduled()).toContain(`${channels.lazada.id}:REVIEWS`);
    expect(scheduler.scheduled()).toContain(`${channels["tiktok-shop"].id}:ORDERS`);
    expect(scheduler.scheduled()).not.toContain(`${channels["tiktok-shop"].id}:REVIEWS`);
    const runId = await scheduler.tick(channels.lazada.id, "REVIEWS", "41 * * * *", new Date());
    expect(runId).not.toBeNull();
    expect(await finished(runId!)).toMatchObject({ outcome: "SUCCEEDED", applied: 1 });
  } finally {
    await scheduler.stop();
  }
  expect((await hub.gql(UNREAD, { id: pid }, { key: producerKey })).data.producer.unreadReviewCount).toBe(1);
  const news = await hub.gql(LIST, { f: { firstSeenSince: mark0.toISOString() } }, { key: producerKey });
  expect(news.data.reviews.nodes.map((n: any) => n.externalReviewId)).toEqual([fresh]);
  // What an alert rule runs ("new reviews since T") has an index on first_seen_at.
  const [idx] = await hub.db.dataSource.query(
    `SELECT indexdef FROM pg_indexes WHERE tablename = 'review' AND indexname = 'review_first_seen_idx'`,
  );
  expect(idx.indexdef).toContain("(first_seen_at, id)");
});
