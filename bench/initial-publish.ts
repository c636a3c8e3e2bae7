/**
 * Initial publish: N SKUs (default 10,000, V variants per product) to the four sandboxes, each
 * limited to R requests/s per shop (sandbox setFaults rateLimitPerSecond), through the real path
 * (PublishService → listing rows → runPublish: link walk, image upload, upserts). Target per
 * marketplace: elapsed ≤ 1.2 × (minimum calls / R). "Minimum calls" is what the protocol needed:
 * the calls the sandbox accepted (every call it counted minus its rate-limit answers), so a client
 * that wastes calls on 429s or waits idle is measured against the same floor.
 * R defaults to the connector's documented rate (never above it: the rate budget starts there).
 * The four marketplaces are published one after the other (--parallel: all at once): the sandboxes
 * live in this process, and at ~200 calls/s in all, hub and sandboxes would share one event loop and
 * measure this process's CPU rather than the client's pacing. Real marketplaces run elsewhere.
 * Run:
 *   npx tsc -p tsconfig.build.json && node dist/bench/initial-publish.js [--skus=N] [--variants=V] [--rate=R] [--parallel]
 */
import "reflect-metadata";
import crypto from "node:crypto";
import { scratchDatabase, machine } from "./support";
import { SANDBOXES } from "../src/sandbox/registry";
import type { MarketplaceSandbox } from "../src/sandbox/sandbox";
import type { MarketplaceCode } from "../src/channels/connectors/connector";
import { createSyncRuntime } from "../src/sync/runtime";
import { SecretBox } from "../src/common/crypto";
import { createLogger } from "../src/common/logger";
import { connectDemoChannels } from "../src/sync/demo-channels";
import { runPublish } from "../src/sync/publish.service";
import { resetRateBudgets } from "../src/channels/connectors/http/rate-budget";
import type { JobQueue } from "../src/sync/jobs";

function arg(name: string, fallback: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split("=")[1]) : fallback;
}

function totalCalls(s: MarketplaceSandbox): number {
  return Object.values(s.counters().calls).reduce((a, b) => a + b, 0);
}

async function main(): Promise<void> {
  const skus = arg("skus", 10_000);
  const perProduct = arg("variants", 10);
  const products = Math.ceil(skus / perProduct);
  const db = await scratchDatabase("publish");
  const log = createLogger(process.env.LOG_LEVEL ?? "silent");
  const rt = createSyncRuntime({ ds: db.ds, box: new SecretBox([crypto.randomBytes(32)]), log });
  const sandboxes = {} as Record<MarketplaceCode, MarketplaceSandbox>;
  try {
    for (const code of Object.keys(SANDBOXES) as MarketplaceCode[]) {
      sandboxes[code] = SANDBOXES[code]();
      await sandboxes[code].start(0);
    }
    // The catalogue: one producer, `products` products of `perProduct` variants each, in bulk.
    const [p] = await db.ds.query(
      `INSERT INTO producer (legal_name, name_key, type) VALUES ('HTX Bench', 'htx bench', 'COOPERATIVE') RETURNING id`,
    );
    await db.ds.query(
      `INSERT INTO product (producer_id, name, search_key, slug, category, description, story)
       SELECT $1, 'Trà Shan tuyết cổ thụ Hà Giang lô ' || g, 'tra ' || g, 'tra-' || g, 'BEVERAGE',
              'Trà Shan tuyết từ cây chè cổ thụ trên 100 năm tuổi, hái một tôm hai lá, sao thủ công bằng chảo gang.',
              'Vùng chè cổ thụ Hà Giang.'
         FROM generate_series(1, $2) g`,
      [p.id, products],
    );
    await db.ds.query(
      `INSERT INTO variant (product_id, producer_id, sku, pack_spec, weight_grams, price_vnd, position)
       SELECT pr.id, pr.producer_id, 'B' || substr(pr.slug, 5) || '-' || v, 'gói ' || (v * 50) || 'g', v * 50 + 20, 50000 + v * 10000, v
         FROM product pr, generate_series(1, $1) v`,
      [perProduct],
    );
    await db.ds.query(`INSERT INTO stock_level (variant_id, on_hand) SELECT id, 100 FROM variant`);
    const [{ n }] = await db.ds.query(`SELECT count(*)::int AS n FROM variant`);

    // Connect, map and queue through the same path as npm start, holding the runs to time them.
    const held: string[] = [];
    const queue: JobQueue = {
      enqueueRun: async (id) => void held.push(id),
      enqueueOrderImport: async () => undefined,
    };
    const demo = await connectDemoChannels(rt, sandboxes, queue, { hubUrl: "http://127.0.0.1:1" });
    const runs: Array<{ id: string; channel_id: string; marketplace: MarketplaceCode }> = await db.ds.query(
      `SELECT r.id, r.channel_id, c.marketplace FROM sync_run r JOIN channel c ON c.id = r.channel_id WHERE r.id = ANY($1)`,
      [demo.runIds],
    );
    resetRateBudgets();
    await new Promise((r) => setTimeout(r, 1100));
    const publishOne = async (run: (typeof runs)[number]) => {
      const sb = sandboxes[run.marketplace];
      const c = rt.connectors[run.marketplace];
      const r = arg("rate", c.ratePolicy.requestsPerSecond);
      sb.setFaults({ rateLimitPerSecond: r });
      sb.resetCounters();
      const started = Date.now();
      await runPublish(rt, run.id);
      const elapsed = (Date.now() - started) / 1000;
      const k = sb.counters();
      const accepted = totalCalls(sb) - k.rateLimited;
      const [res] = await db.ds.query(`SELECT applied, failed FROM sync_run WHERE id = $1`, [run.id]);
      const bound = (1.2 * accepted) / r;
      return {
        marketplace: run.marketplace,
        R: r,
        skus: n,
        minCalls: accepted,
        "429s": k.rateLimited,
        "elapsed s": elapsed.toFixed(2),
        "1.2×min/R s": bound.toFixed(2),
        ratio: (elapsed / (accepted / r)).toFixed(3),
        ok: elapsed <= bound ? "yes" : "NO",
        applied: `${res.applied}/${n}`,
        failed: res.failed,
      };
    };
    const parallel = process.argv.includes("--parallel");
    const rows: Array<Awaited<ReturnType<typeof publishOne>>> = [];
    if (parallel) rows.push(...(await Promise.all(runs.map(publishOne))));
    else for (const run of runs) rows.push(await publishOne(run));
    console.log(
      `initial publish: ${n} SKUs (${products} products × ${perProduct}), ${parallel ? "all four at once" : "one marketplace at a time"}, ${machine()}`,
    );
    console.table(rows);
  } finally {
    for (const s of Object.values(sandboxes)) await s.close();
    await db.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
