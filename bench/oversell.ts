/**
 * Zero-oversell benchmark through the real path: 100 units of one SKU in the hub, the SKU live on
 * four marketplace sandboxes that still show a stale 150 (50 ms added latency, every webhook sent
 * twice, shuffled); 400 buyer orders placed at once (100 per marketplace). Webhooks hit the hub's
 * HTTP server, are queued on pg-boss, imported by the worker, and the outbox dispatcher pushes the new
 * stock. Reports reserved and oversold lines, whether stock ever went below zero (from the ledger),
 * each marketplace's final stock (must be 0), and how long until all of it settled.
 * Run: npx tsc -p tsconfig.build.json && node dist/bench/oversell.js   (DATABASE_URL optional)
 */
import "reflect-metadata";
import crypto from "node:crypto";
import { SecretBox } from "../src/common/crypto";
import { createLogger } from "../src/common/logger";
import { createServices } from "../src/app/services";
import { createServer } from "../src/app/server";
import type { MarketplaceCode } from "../src/channels/connectors/connector";
import { CONNECTORS } from "../src/channels/connectors/registry";
import { saveCredentials } from "../src/channels/credential-store";
import { SANDBOXES } from "../src/sandbox/registry";
import type { MarketplaceSandbox } from "../src/sandbox/sandbox";
import { PgBossJobQueue } from "../src/sync/job-queue";
import { startWorker } from "../src/sync/worker";
import { webhookCounters, webhookRoutes } from "../src/orders/webhook.routes";
import { processOrderImportJob } from "../src/orders/order-import.service";
import { percentile, scratchDatabase } from "./support";

const UNITS = 100;
const ORDERS_PER_MARKETPLACE = 100;
const STALE_REMOTE_STOCK = 150;
const SKU = "HOT-1";

async function main(): Promise<void> {
  const scratch = await scratchDatabase("oversell");
  const ds = scratch.ds;
  const log = createLogger(process.env.LOG_LEVEL ?? "silent");
  const box = new SecretBox([crypto.randomBytes(32)]);
  const queue = await new PgBossJobQueue({ connectionString: scratch.url, log }).start();
  const services = createServices(ds, { maxPageSize: 100, mode: "test" }, { box, log, queue });
  const rt = services.sync;
  const sandboxes: Array<{
    code: MarketplaceCode;
    sb: MarketplaceSandbox;
    shopId: string;
    channelId: string;
  }> = [];
  const answerMs: number[] = [];
  const lastPushAt = new Map<string, number>();
  const { app } = await createServer({
    dataSource: ds,
    services,
    logger: log,
    routes: [
      (a) =>
        void a.addHook("onResponse", async (req, reply) => {
          if (!req.url.startsWith("/webhooks/")) return;
          answerMs.push(reply.elapsedTime);
          lastPushAt.set(req.url.split("/")[2], performance.now());
        }),
      webhookRoutes({ rt, queue: () => queue }),
    ],
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const trace = process.env.BENCH_TRACE === "1";
  const names = new Map<string, string>();
  const worker = await startWorker(rt, queue, {
    concurrency: 8,
    importOrders: async (r, job) => {
      const t = performance.now();
      try {
        await processOrderImportJob(r, job);
        if (trace)
          console.log(
            `job ${performance.now().toFixed(0)} ${names.get(job.channelId)} ${job.externalOrderIds.length} ids ok ${(performance.now() - t).toFixed(0)} ms`,
          );
      } catch (e) {
        if (trace)
          console.log(
            `job ${performance.now().toFixed(0)} ${names.get(job.channelId)} ${job.externalOrderIds.length} ids: ${(e as Error).name}`,
          );
        throw e;
      }
    },
  });
  try {
    const [producer] = await ds.query(
      `INSERT INTO producer (legal_name, name_key, type) VALUES ('HTX Bench', 'htx bench', 'COOPERATIVE') RETURNING id`,
    );
    const [product] = await ds.query(
      `INSERT INTO product (producer_id, name, search_key, slug, category) VALUES ($1, 'Mật ong', 'mat ong', 'mat-ong', 'FOOD') RETURNING id`,
      [producer.id],
    );
    const [variant] = await ds.query(
      `INSERT INTO variant (product_id, producer_id, sku, price_vnd) VALUES ($1, $2, $3, 150000) RETURNING id`,
      [product.id, producer.id, SKU],
    );
    await ds.query(`INSERT INTO stock_level (variant_id, on_hand, reserved) VALUES ($1, $2, 0)`, [
      variant.id,
      UNITS,
    ]);
    await ds.query(
      `INSERT INTO stock_movement (variant_id, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reason, actor)
       VALUES ($1, 'INITIAL', $2, 0, $2, 0, 'initial stock', 'bench')`,
      [variant.id, UNITS],
    );

    for (const code of Object.keys(SANDBOXES) as MarketplaceCode[]) {
      const sb = SANDBOXES[code]();
      await sb.start(0);
      const shop = sb.createShop();
      const app = { appKey: shop.appKey, appSecret: shop.appSecret };
      const tokens = await CONNECTORS[code].exchangeCode({
        app,
        baseUrl: sb.baseUrl,
        callbackParams: { code: sb.issueAuthCode(shop.shopId), shop_id: shop.shopId, state: "bench" },
        redirectUri: "http://127.0.0.1/callback",
      });
      const [ch] = await ds.query(
        `INSERT INTO channel (producer_id, marketplace, name, shop_id, base_url, status)
         VALUES ($1, $2, $3, $4, $5, 'ACTIVE') RETURNING id`,
        [producer.id, code, `${code} bench`, tokens.shopId ?? shop.shopId, sb.baseUrl],
      );
      await saveCredentials(ds, box, ch.id, { ...app, ...tokens });
      sb.seedListing(shop.shopId, {
        title: "Mật ong rừng",
        variants: [{ sku: SKU, priceVnd: 150000, stock: STALE_REMOTE_STOCK }],
      });
      const view = sb.skuView(shop.shopId, SKU)!;
      await ds.query(
        `INSERT INTO listing (channel_id, product_id, variant_id, listing_key, external_item_id, external_sku_id, state,
                              stock_version, stock_pushed_version, price_version, price_pushed_version,
                              content_version, content_pushed_version, pushed_stock)
         VALUES ($1, $2, $3, $4, $5, $6, 'LIVE', 1, 1, 1, 1, 1, 1, $7)`,
        [ch.id, product.id, variant.id, SKU, view.externalItemId, view.externalSkuId, STALE_REMOTE_STOCK],
      );
      sb.setWebhookTarget(`${origin}/webhooks/${code}/${ch.id}`);
      sb.setFaults({ latencyMs: 50, webhookDuplicates: 2, webhookShuffle: true });
      sandboxes.push({ code, sb, shopId: shop.shopId, channelId: ch.id });
      names.set(ch.id, code);
    }

    const t0 = performance.now();
    if (trace) console.log(`start ${t0.toFixed(0)}`);
    for (let i = 0; i < ORDERS_PER_MARKETPLACE; i++)
      for (const s of sandboxes) s.sb.createOrder(s.shopId, [{ sku: SKU, quantity: 1 }]);
    const total = ORDERS_PER_MARKETPLACE * sandboxes.length;

    let importedAt = 0;
    let settledAt = 0;
    const channelDoneAt = new Map<string, number>();
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      const perChannel: Array<{ channel_id: string; n: number }> = await ds.query(
        `SELECT channel_id, count(*)::int AS n FROM marketplace_order GROUP BY channel_id`,
      );
      for (const c of perChannel)
        if (c.n === ORDERS_PER_MARKETPLACE && !channelDoneAt.has(c.channel_id))
          channelDoneAt.set(c.channel_id, performance.now());
      const n = perChannel.reduce((x, c) => x + c.n, 0);
      if (n === total && !importedAt) importedAt = performance.now();
      const remote = sandboxes.map((s) => s.sb.skuView(s.shopId, SKU)!.stock);
      const [{ dirty }] = await ds.query(
        `SELECT count(*)::int AS dirty FROM listing WHERE stock_version > stock_pushed_version`,
      );
      if (importedAt && dirty === 0 && remote.every((x) => x === 0)) {
        settledAt = performance.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }

    const [stock] = await ds.query(`SELECT on_hand, reserved FROM stock_level WHERE variant_id = $1`, [
      variant.id,
    ]);
    const states = await ds.query(
      `SELECT state, count(*)::int AS n FROM order_line GROUP BY state ORDER BY state`,
    );
    const [ledger] = await ds.query(
      `SELECT min(on_hand_after - reserved_after)::int AS min_available, min(on_hand_after)::int AS min_on_hand,
              sum(on_hand_delta)::int AS on_hand, sum(reserved_delta)::int AS reserved
         FROM stock_movement WHERE variant_id = $1`,
      [variant.id],
    );
    const [events] = await ds.query(
      `SELECT count(*)::int AS n, count(processed_at)::int AS processed FROM webhook_event`,
    );
    const counters = webhookCounters();
    console.log(
      `oversell bench: ${UNITS} units, ${total} concurrent orders (${ORDERS_PER_MARKETPLACE} per marketplace), 4 sandboxes, 50 ms latency, webhooks x2 shuffled`,
    );
    console.log(
      `  lines by state: ${states.map((s: { state: string; n: number }) => `${s.state} ${s.n}`).join(", ")}`,
    );
    console.log(
      `  hub stock: on_hand ${stock.on_hand}, reserved ${stock.reserved}; ledger sums on_hand ${ledger.on_hand}, reserved ${ledger.reserved}`,
    );
    console.log(
      `  never below zero: min available after any movement ${ledger.min_available}, min on_hand ${ledger.min_on_hand}`,
    );
    console.log(
      `  marketplaces now show: ${sandboxes.map((s) => `${s.code} ${s.sb.skuView(s.shopId, SKU)!.stock}`).join(", ")}`,
    );
    console.log(
      `  webhooks: ${Object.entries(counters)
        .map(([k, c]) => `${k} ${c.received} received / ${c.duplicates} duplicates / ${c.rejected} rejected`)
        .join("; ")}`,
    );
    console.log(
      `  all orders of a marketplace imported after: ${sandboxes.map((s) => `${s.code} ${channelDoneAt.has(s.channelId) ? (channelDoneAt.get(s.channelId)! - t0).toFixed(0) : "—"} ms`).join(", ")}`,
    );
    console.log(
      `  last push answered after: ${[...lastPushAt].map(([k, v]) => `${k} ${(v - t0).toFixed(0)} ms`).join(", ")}`,
    );
    const sorted = [...answerMs].sort((a, b) => a - b);
    console.log(
      `  webhook answer time: p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms`,
    );
    console.log(`  webhook events stored ${events.n}, processed ${events.processed}`);
    console.log(
      `  all ${total} orders imported after ${importedAt ? (importedAt - t0).toFixed(0) : "—"} ms; every marketplace at 0 after ${settledAt ? (settledAt - t0).toFixed(0) : "— (not settled within 180 s)"} ms`,
    );
  } finally {
    for (const s of sandboxes) await s.sb.close();
    await worker.stop();
    await app.close();
    await scratch.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
