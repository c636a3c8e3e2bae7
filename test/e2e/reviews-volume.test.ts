/**
 * A shop's review history at volume: 1,000 reviews over 60 days on each of Shopee and Lazada, pulled
 * by one REVIEWS run each through the real queue and worker. Every review is stored once, with the
 * fewest calls each marketplace's paging allows (Shopee: 100 per page; Lazada: per item and 7-day
 * window, 20 ids per page, 10 per detail call), and the next run re-reads only its overlap and
 * writes nothing. Prints the calls and the time each run took.
 */
import crypto from "node:crypto";
import { ApiKeyRole } from "../../src/auth/api-key.entity";
import { SANDBOXES } from "../../src/sandbox/registry";
import type { MarketplaceSandbox } from "../../src/sandbox/sandbox";
import { PgBossJobQueue } from "../../src/sync/job-queue";
import { RunningWorker, startWorker } from "../../src/sync/worker";
import { toGlobalId } from "../../src/common/graphql/global-id";
import { startTestHub, TestHub } from "../support/test-hub";
import { connectSandbox, insertCatalogue } from "../support/order-fixture";

const DAY = 86_400_000;
const N = 1000;
const tag = crypto.randomBytes(3).toString("hex").toUpperCase();
const SKUS = [`VOL-A-${tag}`, `VOL-B-${tag}`];

let hub: TestHub;
let queue: PgBossJobQueue;
let worker: RunningWorker;
let key = "";
let producerId = "";
let productId = "";
let variants: Record<string, string> = {};

beforeAll(async () => {
  hub = await startTestHub();
  queue = new PgBossJobQueue({ connectionString: hub.db.url, poolSize: 3, pollingIntervalSeconds: 0.5 });
  await queue.start();
  hub.services.queue = queue;
  worker = await startWorker(hub.services.sync, queue, { listen: false, sweepMs: 0 });
  const cat = await insertCatalogue(hub.db.dataSource, { [SKUS[0]]: 10, [SKUS[1]]: 10 });
  producerId = cat.producerId;
  productId = cat.productId;
  variants = cat.variants;
  key = await hub.issueKey(ApiKeyRole.PRODUCER, producerId);
});

afterAll(async () => {
  await worker?.stop();
  await queue?.stop();
  await hub?.close();
});

async function runReviews(channelId: string) {
  const t0 = performance.now();
  const r = await hub.gql(
    `mutation($c: ID!) { triggerSync(channelId: $c, kind: REVIEWS, dryRun: false) { run { id } userErrors { code } } }`,
    { c: toGlobalId("Channel", channelId) },
    { key },
  );
  expect(r.data.triggerSync.userErrors).toEqual([]);
  for (let i = 0; i < 1200; i++) {
    const s = await hub.gql(
      `query($id: ID!) { syncRun(id: $id) { status outcome total applied skipped failed calls } }`,
      {
        id: r.data.triggerSync.run.id,
      },
    );
    if (s.data.syncRun.status === "FINISHED")
      return { ...s.data.syncRun, ms: Math.round(performance.now() - t0) };
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error("REVIEWS run did not finish");
}

const calls = (s: MarketplaceSandbox, suffix: string) =>
  Object.entries(s.counters().calls)
    .filter(([p]) => p.endsWith(suffix))
    .reduce((n, [, v]) => n + v, 0);

describe.each([
  ["shopee", ["/product/get_comment"]],
  ["lazada", ["/review/seller/history/list", "/review/seller/list/v2"]],
] as const)("%s: 1,000 reviews over 60 days", (code, paths) => {
  let sandbox: MarketplaceSandbox;
  let channelId = "";

  beforeAll(async () => {
    sandbox = SANDBOXES[code]();
    await sandbox.start(0);
    const c = await connectSandbox(hub.db.dataSource, hub.services.sync.box, producerId, sandbox);
    channelId = c.channelId;
    // One listing per SKU (two marketplace items), as the hub would have published them.
    for (const sku of SKUS) {
      sandbox.seedListing(c.shopId, {
        title: `Đặc sản ${sku}`,
        variants: [{ sku, priceVnd: 50_000, stock: 10 }],
      });
      const v = sandbox.skuView(c.shopId, sku)!;
      await hub.db.dataSource.query(
        `INSERT INTO listing (channel_id, product_id, variant_id, listing_key, external_item_id, external_sku_id, state,
                              price_pushed_version, stock_pushed_version, content_pushed_version)
         VALUES ($1, $2, $3, $4, $5, $6, 'LIVE', 1, 1, 1)`,
        [channelId, productId, variants[sku], sku, v.externalItemId, v.externalSkuId],
      );
    }
    const now = Date.now();
    for (let i = 0; i < N; i++) {
      sandbox.seedReview!(c.shopId, {
        sku: SKUS[i % 2],
        rating: (i % 5) + 1,
        text: `Đánh giá số ${i}: hàng ổn`,
        at: now - Math.floor((i * 60 * DAY) / N) - 1000,
      });
    }
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it("stores all of them in one run, then re-reads only the overlap and writes nothing", async () => {
    sandbox.resetCounters();
    const first = await runReviews(channelId);
    const firstCalls = paths.map((p) => calls(sandbox, p));
    expect(first).toMatchObject({ outcome: "SUCCEEDED", total: N, applied: N, skipped: 0, failed: 0 });
    // The run records the marketplace calls it made: exactly what the sandbox counted.
    expect(first.calls).toBe(firstCalls.reduce((a, b) => a + b, 0));
    const [{ n }] = await hub.db.dataSource.query(
      `SELECT count(*)::int AS n FROM review WHERE channel_id = $1`,
      [channelId],
    );
    expect(n).toBe(N);
    if (code === "shopee") expect(firstCalls).toEqual([N / 100]);
    else {
      // At least one history call per item and 7-day window of the 90-day first pull, and ⌈N / 10⌉ detail calls.
      expect(firstCalls[0]).toBeGreaterThanOrEqual(2 * Math.ceil(90 / 7));
      expect(firstCalls[1]).toBeGreaterThanOrEqual(N / 10);
    }

    sandbox.resetCounters();
    const second = await runReviews(channelId);
    const secondCalls = paths.map((p) => calls(sandbox, p));
    expect(second).toMatchObject({ outcome: "SUCCEEDED", applied: 0, failed: 0 });
    expect(second.skipped).toBe(second.total);
    // Both return only the 7-day overlap; Shopee has no time filter, so it reads every page again.
    expect(second.total).toBeLessThan(N / 5);
    if (code === "shopee") expect(secondCalls).toEqual([N / 100]);
    console.log(
      `${code}: first run ${first.ms} ms, ${firstCalls.join(" + ")} calls (${paths.join(" + ")}); ` +
        `second run ${second.ms} ms, ${secondCalls.join(" + ")} calls, ${second.total} re-read, 0 written`,
    );
  });
});
