/**
 * `products(first: 50)` with producer, variants, stock and certifications on 10,000 products,
 * measured with autocannon at 32 connections against the hub and, in the same run, against a bare
 * node:http + pg server returning the same JSON from one hand-written SQL query.
 * Target: hub throughput ≥ 50% of the baseline.
 * Run: npm run bench:catalogue-read   (BENCH_SECONDS, BENCH_ROWS to change the defaults)
 */
import path from "node:path";
import { importCsv } from "../src/catalogue/import/product-import.service";
import { ApiKeyService } from "../src/auth/api-key.service";
import { ApiKeyRole } from "../src/auth/api-key.entity";
import { generateCsv } from "./import";
import { machine, scratchDatabase, startChild, stopChild } from "./support";

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
/** Servers are measured alternately, this many times each, so drift on a shared machine hits both. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const START_FLAGS = ["--max-semi-space-size=64"];
const QUERY = `{ products(first: 50) { nodes { id name producer { id legalName } variants { id sku priceVnd stock { onHand reserved available } } certifications { star validUntil status } } } }`;

async function load(port: number, key: string, seconds: number) {
  const autocannon = require("autocannon");
  return autocannon({
    url: `http://127.0.0.1:${port}/graphql`,
    connections: 32,
    duration: seconds,
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: QUERY }),
  });
}

async function main(): Promise<void> {
  const db = await scratchDatabase("read");
  try {
    const t = Date.now();
    const imported = await importCsv(db.ds, generateCsv(ROWS), { actor: "bench" });
    await db.ds.query(`UPDATE stock_level SET on_hand = 20 + (abs(hashtext(variant_id::text)) % 180)`);
    console.log(
      `catalogue: ${imported.created} products imported in ${((Date.now() - t) / 1000).toFixed(1)} s`,
    );
    const key = (await new ApiKeyService(db.ds).issue({ name: "bench", role: ApiKeyRole.INTEGRATOR_READ }))
      .key;
    const serverJs = path.join(__dirname, "catalogue-read-server.js");

    type Sample = { rps: number; p50: number; p99: number; errors: number; bytes: number };
    const samples: Record<"baseline" | "hub", Sample[]> = { baseline: [], hub: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of ["baseline", "hub"] as const) {
        // Both servers run as `npm start` runs the hub: production mode (graphql-js skips its
        // development-only checks) and a 64 MB young generation (fewer scavenges under load).
        const { port, child } = await startChild(
          serverJs,
          [kind, db.url],
          { NODE_ENV: "production" },
          START_FLAGS,
        );
        try {
          await load(port, key, 2); // warm-up: JIT, pools, caches
          const r = await load(port, key, SECONDS);
          samples[kind].push({
            rps: r.requests.average,
            p50: r.latency.p50,
            p99: r.latency.p99,
            errors: r.errors + r.non2xx,
            bytes: Math.round(r.throughput.average / Math.max(1, r.requests.average)),
          });
        } finally {
          await stopChild(child);
        }
      }
    }
    const mean = (xs: Sample[], k: keyof Sample) => Math.round(xs.reduce((a, x) => a + x[k], 0) / xs.length);
    const results = Object.fromEntries(
      (["baseline", "hub"] as const).map((kind) => [
        kind,
        {
          rps: mean(samples[kind], "rps"),
          "rps by round": samples[kind].map((x) => Math.round(x.rps)).join(" / "),
          p50: mean(samples[kind], "p50"),
          p99: mean(samples[kind], "p99"),
          errors: samples[kind].reduce((a, x) => a + x.errors, 0),
          bytes: mean(samples[kind], "bytes"),
        },
      ]),
    );
    const ratio = results.hub.rps / results.baseline.rps;
    console.log(
      `machine: ${machine()}; ${ROUNDS} × ${SECONDS} s per server, 32 connections, page of 50 products`,
    );
    console.table(results);
    console.log(
      `hub / baseline throughput = ${(ratio * 100).toFixed(1)}% (target ≥ 50%) ${ratio >= 0.5 ? "PASS" : "FAIL"}`,
    );
  } finally {
    await db.drop();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
