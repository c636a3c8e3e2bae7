/**
 * Load (issue 8): mixed integrator traffic on loopback at rising rates while syncs and webhooks run.
 *
 * The hub runs as deployed: one API process and one worker process (`dist/src/main.js --role api|worker`,
 * NODE_ENV=production) on a scratch database with 10,000 imported products; the four sandboxes run in
 * a process of their own, connected and published, sending buyer-order webhooks (LOAD_ORDERS_PER_SECOND,
 * default 5) while prices change over GraphQL (1/s), so imports, reservations and outbox pushes run
 * during every stage.
 *
 * The driver is open-loop: request i of a stage is sent at t0 + i/R whether or not earlier ones have
 * answered, and its latency counts from that scheduled time, so a slow server cannot hide latency by
 * slowing the driver down. Mix (real API keys, 100 integrator keys for the catalogue and 20 producer
 * keys for orders, as many integrators would be): 35% product page (20 with variants and stock),
 * 25% accent-insensitive search, 15% one product by id, 15% the producer's orders page, 10% variant by SKU.
 * An error is a transport failure, a non-200, or a GraphQL error (throttling counted apart).
 * Saturation: the first rate where p99 > 100 ms, any error, or throughput < 95% of the offered rate.
 *
 * Run: npm run bench:load   (LOAD_RATES=50,100,200,300,400  LOAD_STAGE_SECONDS=20)
 */
import "reflect-metadata";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createServices } from "../src/app/services";
import { createLogger } from "../src/common/logger";
import { loadSecretBox } from "../src/common/crypto";
import { ApiKeyRole } from "../src/auth/api-key.entity";
import { importCsv } from "../src/catalogue/import/product-import.service";
import { toGlobalId } from "../src/common/graphql/global-id";
import { Dice } from "../src/scripts/prng";
import { generateCsv } from "./import";
import { machine, percentile, scratchDatabase } from "./support";
import {
  buildWorld,
  HubProcess,
  placeOrder,
  publish,
  SandboxProcess,
  setPrice,
  sleep,
  waitReady,
} from "../test/faults/kit";

const RATES = (process.env.LOAD_RATES ?? "50,100,200,300,400").split(",").map(Number);
const STAGE_SECONDS = Number(process.env.LOAD_STAGE_SECONDS ?? 20);
const ORDERS_PER_SECOND = Number(process.env.LOAD_ORDERS_PER_SECOND ?? 5);
const PRODUCTS = Number(process.env.LOAD_PRODUCTS ?? 10_000);
const SEARCH_TERMS = [
  "tra",
  "mat ong",
  "ca phe",
  "nuoc mam",
  "gao",
  "che shan tuyet",
  "ruou",
  "mien",
  "banh",
  "nam",
];

interface Stage {
  rate: number;
  sent: number;
  ok: number;
  errors: number;
  throttled: number;
  latencies: number[];
  byKind: Record<string, number[]>;
  apiRssMb: number;
  workerRssMb: number;
  errorSamples: string[];
  /** Worst delay between a request's scheduled time and its actual send: the driver's own lag. */
  maxLagMs: number;
}

function rssMb(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function main(): Promise<void> {
  const seed = Number(process.env.LOAD_SEED ?? crypto.randomInt(1, 2 ** 31 - 1));
  const dice = new Dice(seed);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ocop-load-"));
  console.log(
    `load bench: rates ${RATES.join(", ")} req/s × ${STAGE_SECONDS} s, open loop on loopback; ${ORDERS_PER_SECOND} buyer orders/s (webhooks) + 1 price change/s during every stage; ` +
      `seed ${seed}; ${machine()}; ${new Date().toISOString()}; load average before start ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(" ")}`,
  );
  const scratch = await scratchDatabase("load");
  const secretKey = crypto.randomBytes(32).toString("hex");
  const box = loadSecretBox({ secretKey, dataDir: dir });
  const services = createServices(
    scratch.ds,
    { maxPageSize: 100, mode: "test" },
    { box, log: createLogger("silent") },
  );
  const imported = await importCsv(scratch.ds, generateCsv(PRODUCTS), { actor: "bench" });
  await scratch.ds.query(`UPDATE stock_level SET on_hand = 20 + (abs(hashtext(variant_id::text)) % 180)`);
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const env = {
    DATABASE_URL: scratch.url,
    HUB_SECRET_KEY: secretKey,
    HUB_SEED: "false",
    HUB_DATA_DIR: dir,
    LOG_LEVEL: "warn",
    NODE_ENV: "production",
  };
  const api = new HubProcess({
    name: "api",
    role: "api",
    env: { ...env, PORT: String(port) },
    logFile: path.join(dir, "api.log"),
  });
  const worker = new HubProcess({
    name: "worker",
    role: "worker",
    env,
    logFile: path.join(dir, "worker.log"),
  });
  const sandboxes = await SandboxProcess.start(seed);
  let stopTraffic = false;
  try {
    api.start();
    await waitReady(origin);
    const world = await buildWorld({
      ds: scratch.ds,
      services,
      sandboxes,
      hubOrigin: origin,
      products: 10,
      variantsPerProduct: 2,
      initialStock: 50_000,
      schedules: { ORDERS: "*/30 * * * * *", RECONCILE: "0 * * * * *" },
    });
    const { key: adminKey } = await services.apiKeys.issue({ name: "load admin", role: ApiKeyRole.ADMIN });
    worker.start();
    const pub = await publish(origin, adminKey, world, world.productIds);
    if (pub.errors) throw new Error(`publish failed: ${JSON.stringify(pub.errors)}`);
    for (;;) {
      const [{ n }] = await scratch.ds.query(`SELECT count(*)::int AS n FROM listing WHERE state = 'LIVE'`);
      if (n >= world.variants.length * world.channels.length) break;
      await sleep(500);
    }
    const integratorKeys: string[] = [];
    for (let i = 0; i < 100; i++)
      integratorKeys.push(
        (await services.apiKeys.issue({ name: `integrator ${i}`, role: ApiKeyRole.INTEGRATOR_READ })).key,
      );
    const producerKeys: string[] = [];
    for (let i = 0; i < 20; i++)
      producerKeys.push(
        (
          await services.apiKeys.issue({
            name: `producer erp ${i}`,
            role: ApiKeyRole.PRODUCER,
            producerId: world.producerId,
          })
        ).key,
      );
    const productIds: string[] = (
      await scratch.ds.query(`SELECT id FROM product ORDER BY random() LIMIT 500`)
    ).map((r: { id: string }) => toGlobalId("Product", r.id));
    const skus: Array<{ sku: string; producer: string }> = (
      await scratch.ds.query(`SELECT sku, producer_id FROM variant ORDER BY random() LIMIT 500`)
    ).map((r: { sku: string; producer_id: string }) => ({
      sku: r.sku,
      producer: toGlobalId("Producer", r.producer_id),
    }));

    // Background: buyer orders by webhook and price changes, for the whole run.
    const background = (async () => {
      let placed = 0;
      const t0 = Date.now();
      let lastPrice = Date.now();
      while (!stopTraffic) {
        const due = Math.floor(((Date.now() - t0) / 1000) * ORDERS_PER_SECOND);
        while (placed < due) {
          placed++;
          await placeOrder(sandboxes, dice.pick(world.channels), dice);
        }
        if (Date.now() - lastPrice >= 1000) {
          lastPrice = Date.now();
          const v = dice.pick(world.variants);
          void setPrice(
            () => origin,
            adminKey,
            v.productId,
            v.sku,
            dice.between(160, 400) * 500,
            Date.now() + 10_000,
          );
        }
        await sleep(20);
      }
    })();
    await sleep(3_000);

    const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
    type Req = { kind: string; key: string; body: string };
    const next = (): Req => {
      const r = dice.next();
      if (r < 0.35)
        return {
          kind: "productPage",
          key: dice.pick(integratorKeys),
          body: JSON.stringify({
            query: `query($after: String) { products(first: 20, after: $after) { nodes { id name variants { sku priceVnd stock { available } } } pageInfo { endCursor hasNextPage } } }`,
            variables: {},
          }),
        };
      if (r < 0.6)
        return {
          kind: "search",
          key: dice.pick(integratorKeys),
          body: JSON.stringify({
            query: `query($s: String!) { products(first: 10, filter: { search: $s }) { totalCount nodes { id name } } }`,
            variables: { s: dice.pick(SEARCH_TERMS) },
          }),
        };
      if (r < 0.75)
        return {
          kind: "product",
          key: dice.pick(integratorKeys),
          body: JSON.stringify({
            query: `query($id: ID!) { product(id: $id) { id name description producer { legalName } variants { sku priceVnd stock { onHand available } } } }`,
            variables: { id: dice.pick(productIds) },
          }),
        };
      if (r < 0.9)
        return {
          kind: "orders",
          key: dice.pick(producerKeys),
          body: JSON.stringify({
            query: `{ orders(first: 20) { nodes { id externalOrderId status totalVnd lines { sku quantity state } } } }`,
            variables: {},
          }),
        };
      const v = dice.pick(skus);
      return {
        kind: "variantBySku",
        key: dice.pick(integratorKeys),
        body: JSON.stringify({
          query: `query($sku: String!, $p: ID!) { variant(sku: $sku, producerId: $p) { sku priceVnd stock { available } } }`,
          variables: { sku: v.sku, p: v.producer },
        }),
      };
    };
    const send = (req: Req, scheduledAt: number, stage: Stage): Promise<void> =>
      new Promise((resolve) => {
        const done = (ok: boolean, throttled: boolean, what?: string) => {
          const ms = performance.now() - scheduledAt;
          if (throttled) stage.throttled++;
          else if (ok) {
            stage.ok++;
            stage.latencies.push(ms);
            (stage.byKind[req.kind] ??= []).push(ms);
          } else {
            stage.errors++;
            if (what && stage.errorSamples.length < 5) stage.errorSamples.push(`${req.kind}: ${what}`);
          }
          resolve();
        };
        const r = http.request(
          `${origin}/graphql`,
          {
            method: "POST",
            agent,
            headers: {
              "content-type": "application/json",
              "content-length": Buffer.byteLength(req.body),
              authorization: `Bearer ${req.key}`,
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
              const text = Buffer.concat(chunks).toString("utf8");
              if (res.statusCode === 429 || /THROTTLED|RATE_LIMIT/.test(text.slice(0, 300)))
                return done(false, true);
              if (res.statusCode !== 200)
                return done(false, false, `HTTP ${res.statusCode} ${text.slice(0, 120)}`);
              if (text.includes('"errors"')) return done(false, false, text.slice(0, 160));
              done(true, false);
            });
            res.on("error", (e) => done(false, false, e.message));
          },
        );
        r.setTimeout(10_000, () => r.destroy(new Error("timeout 10 s")));
        r.on("error", (e) => done(false, false, e.message));
        r.end(req.body);
      });

    // Warm-up (JIT, pools), not reported.
    {
      const warm: Stage = mkStage(50);
      const ps: Promise<void>[] = [];
      for (let i = 0; i < 150; i++) {
        ps.push(send(next(), performance.now(), warm));
        await sleep(20);
      }
      await Promise.all(ps);
    }

    const stages: Stage[] = [];
    for (const rate of RATES) {
      const stage = mkStage(rate);
      const total = rate * STAGE_SECONDS;
      const inflight: Promise<void>[] = [];
      const t0 = performance.now();
      const rssSampler = setInterval(() => {
        stage.apiRssMb = Math.max(stage.apiRssMb, rssMb(api.pid));
        stage.workerRssMb = Math.max(stage.workerRssMb, rssMb(worker.pid));
      }, 500);
      while (stage.sent < total) {
        const now = performance.now();
        while (stage.sent < total && t0 + (stage.sent * 1000) / rate <= now) {
          const scheduledAt = t0 + (stage.sent * 1000) / rate;
          stage.maxLagMs = Math.max(stage.maxLagMs, now - scheduledAt);
          stage.sent++;
          inflight.push(send(next(), scheduledAt, stage));
        }
        await new Promise((r) => setImmediate(r));
        if (performance.now() - now < 1) await sleep(1);
      }
      await Promise.all(inflight);
      clearInterval(rssSampler);
      const elapsed = (performance.now() - t0) / 1000;
      stage.latencies.sort((a, b) => a - b);
      stages.push(stage);
      const l = stage.latencies;
      console.log(
        `  ${String(rate).padStart(4)} req/s offered: ${(stage.ok / elapsed).toFixed(0)} ok/s, p50 ${percentile(l, 50).toFixed(1)} ms, ` +
          `p90 ${percentile(l, 90).toFixed(1)} ms, p99 ${percentile(l, 99).toFixed(1)} ms, max ${l[l.length - 1]?.toFixed(0)} ms, ` +
          `errors ${stage.errors}, throttled ${stage.throttled}; driver lag ≤ ${stage.maxLagMs.toFixed(0)} ms; RSS api ${stage.apiRssMb.toFixed(0)} MB, worker ${stage.workerRssMb.toFixed(0)} MB; ` +
          `by kind p99: ${Object.entries(stage.byKind)
            .map(
              ([k, v]) =>
                `${k} ${percentile(
                  v.sort((a, b) => a - b),
                  99,
                ).toFixed(0)}`,
            )
            .join(", ")}` +
          (stage.errorSamples.length ? `\n      errors e.g.: ${stage.errorSamples.join(" | ")}` : ""),
      );
    }
    stopTraffic = true;
    await background;
    const [{ orders }] = await scratch.ds.query(`SELECT count(*)::int AS orders FROM marketplace_order`);
    const [{ runs }] = await scratch.ds.query(
      `SELECT count(*)::int AS runs FROM sync_run WHERE kind IN ('PRICE','STOCK') AND started_at IS NOT NULL`,
    );
    console.log(
      `  during the stages: ${orders} orders imported from webhooks, ${runs} price/stock sync runs executed`,
    );
    const saturated = stages.find((s) => {
      const p99 = percentile(s.latencies, 99);
      return p99 > 100 || s.errors > 0 || s.ok < s.rate * STAGE_SECONDS * 0.95;
    });
    console.log(
      saturated
        ? `saturation: first at ${saturated.rate} req/s (p99 > 100 ms, errors, or < 95% of the offered rate answered)`
        : `saturation: not reached up to ${RATES[RATES.length - 1]} req/s`,
    );
    const at200 = stages.find((s) => s.rate === 200);
    if (at200)
      console.log(
        `target at 200 req/s: p99 ${percentile(at200.latencies, 99).toFixed(1)} ms (≤ 100), errors ${at200.errors} (0) → ${
          percentile(at200.latencies, 99) <= 100 && at200.errors === 0 ? "PASS" : "FAIL"
        }`,
      );
    console.log(
      `  (${imported.created} catalogue products; load average at the end ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(" ")})`,
    );
    agent.destroy();
  } finally {
    stopTraffic = true;
    await api.stop("SIGTERM");
    await worker.stop("SIGTERM");
    await sandboxes.close();
    await scratch.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function mkStage(rate: number): Stage {
  return {
    rate,
    sent: 0,
    ok: 0,
    errors: 0,
    throttled: 0,
    latencies: [],
    byKind: {},
    apiRssMb: 0,
    workerRssMb: 0,
    errorSamples: [],
    maxLagMs: 0,
  };
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
