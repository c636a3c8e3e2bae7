/**
 * Propagation: an order arriving by webhook on one marketplace → the new stock shown by all three
 * other marketplaces. Four sandboxes (50 ms added latency each), 1,000 SKUs linked on all of them,
 * buyer orders at R orders/s for S seconds on random marketplaces and SKUs. Everything runs the
 * real path: the sandbox POSTs a signed webhook to the hub's HTTP server, the order is queued on
 * pg-boss, imported by the worker (stock reserved in the same transaction), the trigger NOTIFYs the
 * worker, the outbox dispatcher pushes to the other marketplaces. An order's latency runs from just
 * before the sandbox creates it to the first moment all three others show its effect (stock only
 * falls, so "at or below the value after this order" is that moment).
 *
 * Baseline from the same run: the same path with the LISTEN/NOTIFY listener off, only the periodic
 * sweep for dirty listings (every 5 s), which is what a polling hub with a 5 s period would do.
 *
 * Run: npx tsc -p tsconfig.build.json && node dist/bench/propagation.js [seconds=60] [ordersPerSecond=20] [baselineSeconds=30]
 */
import "reflect-metadata";
import crypto from "node:crypto";
import { SecretBox } from "../src/common/crypto";
import { createLogger } from "../src/common/logger";
import { createServices } from "../src/app/services";
import { createServer } from "../src/app/server";
import type { MarketplaceCode } from "../src/channels/connectors/connector";
import { PgBossJobQueue } from "../src/sync/job-queue";
import { startWorker } from "../src/sync/worker";
import { webhookRoutes } from "../src/orders/webhook.routes";
import { createDataSource } from "../src/common/database";
import { machine, percentile, scratchDatabase } from "./support";
import { linkedWorld, type WorldShop } from "./linked-world";

const SKUS = 1_000;
const VARIANTS_PER_PRODUCT = 10;
const ON_HAND = 100_000;
const LATENCY_MS = 50;
const ORDER_TIMEOUT_MS = 60_000;
/** How often pending orders are checked against what the marketplaces show (measurement resolution). */
const TICK_MS = 10;

type Shop = WorldShop;

interface Pending {
  t0: number;
  sku: string;
  source: number;
  /** What the hub shows for the SKU once this order (and those before it) is reserved. */
  expected: number;
  /** ms until each marketplace confirmed (the source's own entry stays NaN). */
  at: number[];
  /** ms until the hub had reserved it (order imported), NaN before. */
  imported: number;
}

interface PhaseResult {
  label: string;
  orders: number;
  latencies: number[];
  /** Order placed → reserved in the hub (the import half of the latency). */
  importLatencies: number[];
  unconfirmed: number;
  pushCalls: number;
  dispatches: number;
  runs: number;
  /** SKU × marketplace pairs not showing the hub's stock at the end. */
  mismatched: number;
  perMarketplace: Array<{ code: MarketplaceCode; latencies: number[]; importLatencies: number[] }>;
}

async function phase(label: string, listen: boolean, seconds: number, rate: number): Promise<PhaseResult> {
  const scratch = await scratchDatabase("propagation");
  // The hub's own pool: each running dispatcher holds a connection (its advisory lock) while it pushes.
  const ds = createDataSource({ url: scratch.url, poolSize: 20, applicationName: "bench-propagation" });
  await ds.initialize();
  const log = createLogger(process.env.LOG_LEVEL ?? "silent");
  const box = new SecretBox([crypto.randomBytes(32)]);
  const queue = await new PgBossJobQueue({ connectionString: scratch.url, log }).start();
  const services = createServices(ds, { maxPageSize: 100, mode: "test" }, { box, log, queue });
  const rt = services.sync;
  const { app } = await createServer({
    dataSource: ds,
    services,
    logger: log,
    routes: [webhookRoutes({ rt, queue: () => queue })],
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const worker = await startWorker(rt, queue, { concurrency: 8, listen, sweepMs: 5_000 });
  const shops: Shop[] = [];
  try {
    const { skus } = await linkedWorld(
      ds,
      box,
      {
        skus: SKUS,
        perProduct: VARIANTS_PER_PRODUCT,
        priceVnd: 120_000,
        onHand: ON_HAND,
        latencyMs: LATENCY_MS,
      },
      shops,
    );
    for (const s of shops) {
      s.sb.setWebhookTarget(`${origin}/webhooks/${s.code}/${s.channelId}`);
      s.sb.resetCounters();
    }

    const ordered = new Map<string, number>();
    const pending = new Set<Pending>();
    const latencies: number[] = [];
    const importLatencies: number[] = [];
    const importBySource: number[][] = [[], [], [], []];
    const perMarketplace: number[][] = [[], [], [], []];
    let unconfirmed = 0;
    const total = seconds * rate;
    const started = performance.now();
    let placed = 0;

    const debug = process.env.BENCH_DEBUG
      ? setInterval(async () => {
          const [o] = await ds.query(
            `SELECT (SELECT count(*) FROM marketplace_order)::int AS orders,
                    (SELECT count(*) FROM webhook_event)::int AS events,
                    (SELECT json_object_agg(marketplace, n) FROM (SELECT c.marketplace, count(*) n FROM listing l JOIN channel c ON c.id = l.channel_id WHERE stock_version > stock_pushed_version GROUP BY 1) x) AS dirty,
                    (SELECT json_object_agg(status, n) FROM (SELECT status, count(*) n FROM sync_item GROUP BY 1) x) AS itemstates,
                    (SELECT count(*) FROM sync_run WHERE kind = 'STOCK' AND status = 'RUNNING')::int AS running,
                    (SELECT count(*) FROM sync_item)::int AS items,
                    (SELECT json_object_agg(state, n) FROM (SELECT state, count(*) n FROM pgboss.job WHERE name = 'order-import' GROUP BY state) x) AS imports,
                    (SELECT string_agg(DISTINCT left(output::text, 200), ' | ') FROM pgboss.job WHERE name = 'order-import' AND state IN ('retry','failed')) AS errs`,
          );
          console.log(
            JSON.stringify({ ...o, pending: pending.size, dispatches: worker.listener.dispatches }),
          );
        }, 1000)
      : null;
    // Orders are placed on their own timer, so a slow check never delays the order schedule.
    const placer = setInterval(() => {
      const now = performance.now();
      while (placed < total && now - started >= (placed * 1000) / rate) {
        const sku = skus[crypto.randomInt(SKUS)];
        const source = crypto.randomInt(shops.length);
        const n = (ordered.get(sku) ?? 0) + 1;
        ordered.set(sku, n);
        const t0 = performance.now();
        shops[source].sb.createOrder(shops[source].shopId, [{ sku, quantity: 1 }]);
        pending.add({ t0, sku, source, expected: ON_HAND - n, at: [NaN, NaN, NaN, NaN], imported: NaN });
        placed++;
      }
    }, 5);
    // Confirmation is read from the hub's records: the dispatcher writes pushed_stock only after the
    // marketplace accepted the value (and, where it can, a read-back showed it). Reading the
    // sandboxes' own views each tick would cost more CPU than the hub itself on a 2-core machine.
    const channelIndex = new Map(shops.map((s, i) => [s.channelId, i]));
    while (placed < total || pending.size > 0) {
      await new Promise((r) => setTimeout(r, TICK_MS));
      if (pending.size === 0) continue;
      const rows: Array<{ sku: string; channel_id: string; pushed_stock: number | null; available: number }> =
        await ds.query(
          `SELECT v.sku, l.channel_id, l.pushed_stock, s.on_hand - s.reserved AS available
             FROM listing l JOIN variant v ON v.id = l.variant_id JOIN stock_level s ON s.variant_id = v.id
            WHERE v.sku = ANY($1::text[])`,
          [[...new Set([...pending].map((p) => p.sku))]],
        );
      const at = performance.now();
      const pushed = new Map<string, number[]>();
      const available = new Map<string, number>();
      for (const r of rows) {
        available.set(r.sku, r.available);
        const list = pushed.get(r.sku) ?? [Infinity, Infinity, Infinity, Infinity];
        list[channelIndex.get(r.channel_id)!] = r.pushed_stock ?? Infinity;
        pushed.set(r.sku, list);
      }
      for (const p of pending) {
        if (Number.isNaN(p.imported) && (available.get(p.sku) ?? Infinity) <= p.expected) {
          p.imported = at - p.t0;
          importLatencies.push(p.imported);
          importBySource[p.source].push(p.imported);
        }
        const shown = pushed.get(p.sku);
        shown?.forEach((v, i) => {
          if (i !== p.source && v <= p.expected && Number.isNaN(p.at[i])) p.at[i] = at - p.t0;
        });
        if (p.at.every((v, i) => i === p.source || !Number.isNaN(v))) {
          latencies.push(at - p.t0);
          p.at.forEach((v, i) => i !== p.source && perMarketplace[i].push(v));
          pending.delete(p);
        } else if (at - p.t0 > ORDER_TIMEOUT_MS) {
          unconfirmed++;
          pending.delete(p);
        }
      }
    }
    clearInterval(placer);
    // Cross-check against what the marketplaces really show, once everything has settled.
    await worker.listener.idle();
    const [hubStock] = await ds.query(
      `SELECT json_object_agg(v.sku, s.on_hand - s.reserved) AS m FROM variant v JOIN stock_level s ON s.variant_id = v.id`,
    );
    let mismatched = 0;
    for (const s of shops)
      for (const v of s.sb.allSkus(s.shopId)) if (v.stock !== hubStock.m[v.sku]) mismatched++;

    if (debug) clearInterval(debug);
    const pushCalls = shops.reduce(
      (sum, s) =>
        sum +
        Object.entries(s.sb.counters().calls)
          .filter(([path]) => /stock|inventory|quantity/i.test(path))
          .reduce((a, [, n]) => a + n, 0),
      0,
    );
    const [{ runs }] = await ds.query(`SELECT count(*)::int AS runs FROM sync_run WHERE kind = 'STOCK'`);
    return {
      label,
      orders: total,
      latencies: latencies.sort((a, b) => a - b),
      importLatencies: importLatencies.sort((a, b) => a - b),
      unconfirmed,
      pushCalls,
      dispatches: worker.listener.dispatches,
      runs,
      mismatched,
      perMarketplace: shops.map((sh, i) => ({
        code: sh.code,
        latencies: perMarketplace[i].sort((a, b) => a - b),
        importLatencies: importBySource[i].sort((a, b) => a - b),
      })),
    };
  } finally {
    for (const s of shops) {
      s.sb.setWebhookTarget(null);
      await s.sb.close();
    }
    await worker.stop();
    await app.close();
    await ds.destroy();
    await scratch.drop();
  }
}

function report(r: PhaseResult): string {
  const l = r.latencies;
  const f = (ms: number) => (Number.isFinite(ms) ? `${Math.round(ms)} ms` : "—");
  return [
    `${r.label}: ${r.orders} orders, ${l.length} confirmed on the 3 other marketplaces, ${r.unconfirmed} not within ${ORDER_TIMEOUT_MS / 1000} s`,
    `  latency p50 ${f(percentile(l, 50))}, p90 ${f(percentile(l, 90))}, p99 ${f(percentile(l, 99))}, max ${f(l[l.length - 1])}`,
    `  of which order placed → reserved in the hub: p50 ${f(percentile(r.importLatencies, 50))}, p99 ${f(percentile(r.importLatencies, 99))}`,
    `  dispatches ${r.dispatches}, STOCK sync runs ${r.runs}, stock-update calls received by the sandboxes ${r.pushCalls}`,
    ...r.perMarketplace.map(
      (m) =>
        `    ${m.code.padEnd(11)} as a destination p50 ${f(percentile(m.latencies, 50))}, p99 ${f(percentile(m.latencies, 99))}; as a source, reserved p50 ${f(percentile(m.importLatencies, 50))}, p99 ${f(percentile(m.importLatencies, 99))}`,
    ),
    `  at the end: ${r.mismatched} of ${SKUS * 4} SKU × marketplace pairs differ from the hub's available stock`,
  ].join("\n");
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 60);
  const rate = Number(process.argv[3] ?? 20);
  const baselineSeconds = Number(process.argv[4] ?? 30);
  console.log(
    `propagation bench: ${SKUS} SKUs on 4 sandboxes (${LATENCY_MS} ms added latency), ${rate} orders/s on random marketplaces and SKUs; ${machine()}`,
  );
  const notify = await phase("LISTEN/NOTIFY + 5 s sweep", true, seconds, rate);
  console.log(report(notify));
  console.log(`  target: p50 ≤ 1000 ms, p99 ≤ 2000 ms`);
  const baseline = await phase("baseline: sweep every 5 s only (listener off)", false, baselineSeconds, rate);
  console.log(report(baseline));
  console.log(`  (a hub polling every 5 minutes would average about 150 s)`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
