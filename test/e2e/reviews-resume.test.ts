/**
 * A transient marketplace failure in the middle of a REVIEWS run: the worker defers the run, the
 * next attempt resumes at the page that failed (pages already stored are not asked for again), and
 * every review ends up stored exactly once. The failure is injected around the real Lazada connector
 * (one listReviews page throws the error the HTTP client raises for a 503); all HTTP is real.
 */
import crypto from "node:crypto";
import type { MarketplaceConnector } from "../../src/channels/connectors/connector";
import { CONNECTORS } from "../../src/channels/connectors/registry";
import { ConnectorError } from "../../src/channels/connectors/http/types";
import { SANDBOXES } from "../../src/sandbox/registry";
import type { MarketplaceSandbox } from "../../src/sandbox/sandbox";
import { PgBossJobQueue } from "../../src/sync/job-queue";
import { createSyncRuntime } from "../../src/sync/runtime";
import { RunningWorker, startWorker } from "../../src/sync/worker";
import { createRun } from "../../src/sync/sync-run.service";
import { SyncKind, SyncTrigger } from "../../src/sync/entities/sync-run.entity";
import { startTestHub, TestHub } from "../support/test-hub";
import { connectSandbox, insertCatalogue } from "../support/order-fixture";

const N = 300;
const SKU = `RES-${crypto.randomBytes(3).toString("hex")}`;

let hub: TestHub;
let queue: PgBossJobQueue;
let worker: RunningWorker;
let sandbox: MarketplaceSandbox;
let channelId = "";
const cursors: Array<string | null> = [];
const failAt = 3;

beforeAll(async () => {
  hub = await startTestHub();
  queue = new PgBossJobQueue({ connectionString: hub.db.url, poolSize: 3, pollingIntervalSeconds: 0.5 });
  await queue.start();
  const real = CONNECTORS.lazada;
  const flaky: MarketplaceConnector = Object.create(real);
  flaky.listReviews = async (ctx, q, cursor) => {
    cursors.push(cursor);
    if (cursors.length === failAt)
      throw new ConnectorError(
        "lazada",
        "retry",
        "ServiceUnavailable",
        "injected 503",
        "review.seller.history.list",
      );
    return real.listReviews!(ctx, q, cursor);
  };
  const rt = createSyncRuntime({
    ds: hub.db.dataSource,
    box: hub.services.sync.box,
    log: hub.services.sync.log,
    connectors: { ...CONNECTORS, lazada: flaky },
  });
  worker = await startWorker(rt, queue, { listen: false, sweepMs: 0, deferBaseSeconds: 0.2 });

  sandbox = SANDBOXES.lazada();
  await sandbox.start(0);
  const cat = await insertCatalogue(hub.db.dataSource, { [SKU]: 5 });
  const c = await connectSandbox(hub.db.dataSource, hub.services.sync.box, cat.producerId, sandbox);
  channelId = c.channelId;
  sandbox.seedListing(c.shopId, {
    title: "Miến dong Bình Liêu",
    variants: [{ sku: SKU, priceVnd: 60_000, stock: 5 }],
  });
  const v = sandbox.skuView(c.shopId, SKU)!;
  await hub.db.dataSource.query(
    `INSERT INTO listing (channel_id, product_id, variant_id, listing_key, external_item_id, external_sku_id, state,
                          price_pushed_version, stock_pushed_version, content_pushed_version)
     VALUES ($1, $2, $3, $4, $5, $6, 'LIVE', 1, 1, 1)`,
    [channelId, cat.productId, cat.variants[SKU], SKU, v.externalItemId, v.externalSkuId],
  );
  const now = Date.now();
  for (let i = 0; i < N; i++)
    sandbox.seedReview!(c.shopId, {
      sku: SKU,
      rating: 1 + (i % 5),
      text: `#${i}`,
      at: now - i * 4 * 3600_000 - 1000,
    });
});

afterAll(async () => {
  await worker?.stop();
  await queue?.stop();
  await sandbox?.close();
  await hub?.close();
});

test("a run deferred by a transient failure resumes at the failed page and stores every review once", async () => {
  const run = await createRun(hub.db.dataSource, {
    channelId,
    kind: SyncKind.REVIEWS,
    trigger: SyncTrigger.MANUAL,
  });
  await queue.enqueueRun(run.id);
  let row:
    | {
        status: string;
        outcome: string;
        details: Record<string, unknown>;
        failed: number;
        total: number;
        applied: number;
      }
    | undefined;
  for (let i = 0; i < 600; i++) {
    [row] = await hub.db.dataSource.query(
      `SELECT status, outcome, details, failed, total, applied FROM sync_run WHERE id = $1`,
      [run.id],
    );
    if (row!.status === "FINISHED") break;
    await new Promise((r) => setTimeout(r, 50));
  }
  // The counts cover the whole pass, both attempts.
  expect(row).toMatchObject({ status: "FINISHED", outcome: "SUCCEEDED", failed: 0, total: N, applied: N });
  // Requeued once by the worker, with the marketplace's error kept.
  expect(row!.details).toMatchObject({ attempts: 1, lastError: { code: "ServiceUnavailable" } });

  // Pages asked for: every cursor once, except the one that failed, asked for again right after.
  expect(cursors.length).toBeGreaterThan(failAt);
  expect(cursors[failAt]).toBe(cursors[failAt - 1]);
  const repeated = cursors.filter((c, i) => cursors.indexOf(c) !== i);
  expect(repeated).toEqual([cursors[failAt - 1]]);

  // 300 reviews, 4 hours apart = 50 days: all inside the first 90-day pull, each stored once.
  const [{ n, distinct }] = await hub.db.dataSource.query(
    `SELECT count(*)::int AS n, count(DISTINCT external_review_id)::int AS distinct FROM review WHERE channel_id = $1`,
    [channelId],
  );
  expect({ n, distinct }).toEqual({ n: N, distinct: N });
  const [cur] = await hub.db.dataSource.query(
    `SELECT cursor FROM channel_cursor WHERE channel_id = $1 AND kind = 'REVIEWS'`,
    [channelId],
  );
  expect(cur.cursor.pass).toBeNull();
  expect(cur.cursor.doneUntil).toBeGreaterThan(Date.now() - 60_000);
});
