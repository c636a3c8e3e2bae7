/**
 * Soak (issue 8): SOAK_MINUTES (default 30) of steady buyer orders (signed webhooks from the four
 * sandboxes, which run in a process of their own) and price changes over GraphQL, against one hub
 * process running API + worker + scheduler, as `npm start` does. Every minute the hub process's RSS,
 * V8 heap and active handles/resources are sampled; the report gives the growth between minute 5
 * and the end (target: RSS ≤ 5%) and the least-squares trend over the same span. At the end the
 * fault suite's invariants are checked (every order once, ledger = stock, marketplaces show the rules).
 *
 * Run: npm run bench:soak   (SOAK_MINUTES, SOAK_ORDERS_PER_SECOND=2, SOAK_PRICE_CHANGES_PER_MINUTE=30)
 */
import "reflect-metadata";
import crypto from "node:crypto";
import { createLogger } from "../src/common/logger";
import { createServices } from "../src/app/services";
import { createServer } from "../src/app/server";
import { createDataSource } from "../src/common/database";
import { SecretBox } from "../src/common/crypto";
import { ApiKeyRole } from "../src/auth/api-key.entity";
import { PgBossJobQueue } from "../src/sync/job-queue";
import { startWorker } from "../src/sync/worker";
import { SyncScheduler } from "../src/sync/scheduler";
import { webhookRoutes } from "../src/orders/webhook.routes";
import { staticRoutes } from "../src/sync/publish.service";
import { Dice } from "../src/scripts/prng";
import { machine, scratchDatabase } from "./support";
import {
  buildWorld,
  checkInvariants,
  formatViolations,
  Ledger,
  LATER_STATUSES,
  placeOrder,
  publish,
  SandboxProcess,
  setPrice,
  sleep,
} from "../test/faults/kit";

interface Sample {
  minute: number;
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  handles: number;
  orders: number;
}

function slopePerMinute(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

async function main(): Promise<void> {
  const minutes = Number(process.env.SOAK_MINUTES ?? 30);
  const ordersPerSecond = Number(process.env.SOAK_ORDERS_PER_SECOND ?? 2);
  const pricesPerMinute = Number(process.env.SOAK_PRICE_CHANGES_PER_MINUTE ?? 30);
  const seed = Number(process.env.SOAK_SEED ?? crypto.randomInt(1, 2 ** 31 - 1));
  const dice = new Dice(seed);
  console.log(
    `soak: ${minutes} min, ${ordersPerSecond} orders/s (webhooks from 4 sandboxes in their own process), ${pricesPerMinute} price changes/min over GraphQL; ` +
      `hub = this process (API + worker + scheduler); seed ${seed}; ${machine()}; started ${new Date().toISOString()}`,
  );
  const scratch = await scratchDatabase("soak");
  const ds = createDataSource({ url: scratch.url, poolSize: 10, applicationName: "ocop-hub:all" });
  await ds.initialize();
  const log = createLogger(process.env.LOG_LEVEL ?? "silent");
  const box = new SecretBox([crypto.randomBytes(32)]);
  const queue = await new PgBossJobQueue({ connectionString: scratch.url, log, instanceName: "all" }).start();
  const services = createServices(ds, { maxPageSize: 100, mode: "production" }, { box, log, queue });
  const { app } = await createServer({
    dataSource: ds,
    services,
    logger: log,
    routes: [webhookRoutes({ rt: services.sync, queue: () => queue }), staticRoutes],
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const worker = await startWorker(services.sync, queue, { connectionString: scratch.url });
  const scheduler = new SyncScheduler(services.sync, queue);
  const sandboxes = await SandboxProcess.start(seed);
  const ledger: Ledger = { orders: [], adjustments: [], revokedChannelIds: new Set(), reauthorized: [] };
  try {
    const { key } = await services.apiKeys.issue({ name: "soak", role: ApiKeyRole.ADMIN });
    const world = await buildWorld({
      ds,
      services,
      sandboxes,
      hubOrigin: origin,
      products: 20,
      variantsPerProduct: 2,
      initialStock: 100_000,
      schedules: { ORDERS: "*/30 * * * * *", RECONCILE: "0 */5 * * * *" },
    });
    await scheduler.start();
    const pub = await publish(origin, key, world, world.productIds);
    if (pub.errors) throw new Error(`publish failed: ${JSON.stringify(pub.errors)}`);
    const liveBy = Date.now() + 180_000;
    for (;;) {
      const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM listing WHERE state = 'LIVE'`);
      if (n >= world.variants.length * world.channels.length) break;
      if (Date.now() > liveBy) {
        const states = await ds.query(
          `SELECT c.marketplace, l.state, count(*)::int AS n, max(l.last_error::text) AS err FROM listing l JOIN channel c ON c.id = l.channel_id GROUP BY 1, 2`,
        );
        throw new Error(
          `publish did not finish in 180 s: ${JSON.stringify(states)} ${JSON.stringify(pub.data)}`,
        );
      }
      await sleep(500);
    }
    console.log(
      `  ${world.variants.length} SKUs live on ${world.channels.length} marketplaces; traffic starts`,
    );

    const end = Date.now() + minutes * 60_000;
    const samples: Sample[] = [];
    const t0 = Date.now();
    const sample = (minute: number) => {
      const m = process.memoryUsage();
      const s: Sample = {
        minute,
        rssMb: m.rss / 2 ** 20,
        heapUsedMb: m.heapUsed / 2 ** 20,
        heapTotalMb: m.heapTotal / 2 ** 20,
        externalMb: m.external / 2 ** 20,
        handles: process.getActiveResourcesInfo().length,
        orders: ledger.orders.length,
      };
      samples.push(s);
      console.log(
        `  min ${String(minute).padStart(2)}: rss ${s.rssMb.toFixed(1)} MB, heap used ${s.heapUsedMb.toFixed(1)} / total ${s.heapTotalMb.toFixed(1)} MB, ` +
          `external ${s.externalMb.toFixed(1)} MB, active resources ${s.handles}, orders so far ${s.orders}`,
      );
    };
    sample(0);
    let minute = 0;
    const sampler = setInterval(() => sample(++minute), 60_000);
    const orderLoop = (async () => {
      let placed = 0;
      while (Date.now() < end) {
        const due = Math.floor(((Date.now() - t0) / 1000) * ordersPerSecond);
        while (placed < due) {
          placed++;
          const p = await placeOrder(sandboxes, dice.pick(world.channels), dice);
          if (p) ledger.orders.push(p);
        }
        // Orders move on (completed, cancelled, shipped), as real ones do.
        if (dice.chance(0.3)) {
          const open = ledger.orders.filter((o) => o.status === null && Date.now() - o.at > 5_000);
          if (open.length) {
            const o = dice.pick(open);
            o.status = dice.pick(LATER_STATUSES);
            await sandboxes.call(o.code, "setOrderStatus", o.shopId, o.externalOrderId, o.status);
          }
        }
        await sleep(50);
      }
    })();
    const priceLoop = (async () => {
      while (Date.now() < end) {
        await sleep(60_000 / pricesPerMinute);
        const v = dice.pick(world.variants);
        await setPrice(() => origin, key, v.productId, v.sku, dice.between(160, 400) * 500, end);
      }
    })();
    await Promise.all([orderLoop, priceLoop]);
    clearInterval(sampler);
    if (samples[samples.length - 1].minute < minutes) sample(minutes);

    // Report.
    const from = samples.find((s) => s.minute >= Math.min(5, minutes)) ?? samples[0];
    const last = samples[samples.length - 1];
    const span = samples.filter((s) => s.minute >= from.minute);
    const pct = (a: number, b: number) => `${(((b - a) / a) * 100).toFixed(1)}%`;
    const trend = (pick: (s: Sample) => number) =>
      slopePerMinute(
        span.map((s) => s.minute),
        span.map(pick),
      );
    console.log(`\nsoak result (${ledger.orders.length} orders, ${minutes} min):`);
    console.log(
      `  RSS: ${from.rssMb.toFixed(1)} MB at minute ${from.minute} → ${last.rssMb.toFixed(1)} MB at minute ${last.minute} (${pct(from.rssMb, last.rssMb)}; target ≤ 5%), ` +
        `trend ${(trend((s) => s.rssMb) * 10).toFixed(2)} MB per 10 min`,
    );
    console.log(
      `  heap used: ${from.heapUsedMb.toFixed(1)} → ${last.heapUsedMb.toFixed(1)} MB (${pct(from.heapUsedMb, last.heapUsedMb)}), trend ${(trend((s) => s.heapUsedMb) * 10).toFixed(2)} MB per 10 min`,
    );
    console.log(
      `  active resources (handles, requests, timers): ${from.handles} → ${last.handles}, trend ${(trend((s) => s.handles) * 10).toFixed(2)} per 10 min`,
    );
    // Let the last orders and pushes land, then check the same invariants as the fault suite.
    const settleBy = Date.now() + 120_000;
    let violations = await checkInvariants(ds, sandboxes, world, ledger);
    while (violations.length && Date.now() < settleBy) {
      await sleep(5_000);
      violations = await checkInvariants(ds, sandboxes, world, ledger);
    }
    console.log(
      violations.length
        ? `  invariants VIOLATED after the soak:\n${formatViolations(violations)}`
        : `  invariants after the soak: all hold (every order once, ledger = stock level, marketplaces show what the rules give)`,
    );
  } finally {
    await scheduler.stop();
    await worker.stop();
    await app.close();
    await sandboxes.close();
    await ds.destroy();
    await scratch.drop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
