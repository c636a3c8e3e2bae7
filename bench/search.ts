/**
 * `products(filter: { search })` on 100,000 products: p50/p95/p99 over HTTP through the hub, and in
 * the same run the same search as a naive query (ILIKE over an unaccented name, no index) as the
 * baseline. Target: hub p95 ≤ 50 ms.
 * Run: npm run bench:search   (BENCH_ROWS, BENCH_QUERIES to change the defaults)
 */
import path from "node:path";
import { importCsv } from "../src/catalogue/import/product-import.service";
import { ApiKeyService } from "../src/auth/api-key.service";
import { ApiKeyRole } from "../src/auth/api-key.entity";
import { generateCsv } from "./import";
import { machine, percentile, scratchDatabase, startChild, stopChild } from "./support";

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 300);
const TERMS = [
  "buoi",
  "BƯỞI DA XANH",
  "ca phe",
  "Cà phê bột",
  "dong trung ha thao",
  "macca",
  "mắc ca",
  "tra",
  "mật ong",
  "nuoc mam",
  "sấy dẻo",
  "ruou",
  "nam linh chi",
  "chanh day",
  "tinh dau",
  "Đà Lạt",
  "atiso",
  "hat dieu rang muoi",
];
const QUERY = `query($q: String) { products(first: 20, filter: { search: $q }) { totalCount nodes { id name currentStar } } }`;

async function main(): Promise<void> {
  const db = await scratchDatabase("search");
  try {
    const t = Date.now();
    for (let start = 0; start < ROWS; start += 20_000) {
      const part = generateCsv(Math.min(20_000, ROWS - start), start);
      await importCsv(db.ds, part, { actor: "bench" });
    }
    // As autovacuum would have done on a live catalogue (visibility map lets counts skip the heap).
    await db.ds.query("VACUUM ANALYZE");
    const [{ n }] = await db.ds.query(`SELECT count(*)::int AS n FROM product`);
    console.log(`catalogue: ${n} products in ${((Date.now() - t) / 1000).toFixed(0)} s`);
    const key = (await new ApiKeyService(db.ds).issue({ name: "bench", role: ApiKeyRole.INTEGRATOR_READ }))
      .key;
    const { port, child } = await startChild(
      path.join(__dirname, "catalogue-read-server.js"),
      ["hub", db.url],
      { NODE_ENV: "production" },
    );

    const hub: number[] = [];
    const hits: number[] = [];
    try {
      for (let i = 0; i < QUERIES + 20; i++) {
        const q = TERMS[i % TERMS.length];
        const t0 = performance.now();
        const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
          body: JSON.stringify({ query: QUERY, variables: { q } }),
        });
        const body = (await res.json()) as { data?: { products: { totalCount: number } }; errors?: unknown };
        if (!body.data) throw new Error(`search failed: ${JSON.stringify(body.errors)}`);
        if (i >= 20) {
          hub.push(performance.now() - t0); // the first 20 warm up caches and JIT
          hits.push(body.data.products.totalCount);
        }
      }
    } finally {
      await stopChild(child);
    }

    // Baseline: what a plain "name ILIKE '%…%'" search over unaccented text costs without our index.
    const naive: number[] = [];
    await db.ds.query(`CREATE EXTENSION IF NOT EXISTS unaccent`);
    for (let i = 0; i < Math.min(QUERIES, 60); i++) {
      const q = TERMS[i % TERMS.length];
      const t0 = performance.now();
      await db.ds.query(
        `SELECT id, name, count(*) OVER () FROM product WHERE unaccent(lower(name)) ILIKE '%' || unaccent(lower($1)) || '%' ORDER BY name LIMIT 20`,
        [q],
      );
      naive.push(performance.now() - t0);
    }

    const stats = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return {
        p50: +percentile(s, 50).toFixed(1),
        p95: +percentile(s, 95).toFixed(1),
        p99: +percentile(s, 99).toFixed(1),
      };
    };
    console.log(
      `machine: ${machine()}; ${QUERIES} searches (${TERMS.length} terms), first: 20 with totalCount`,
    );
    console.table({
      "hub (GraphQL over HTTP)": stats(hub),
      "baseline (naive ILIKE, SQL only)": stats(naive),
    });
    console.log(
      `median hits per search: ${percentile(
        [...hits].sort((a, b) => a - b),
        50,
      )}`,
    );
    const p95 = stats(hub).p95;
    console.log(`hub p95 = ${p95} ms (target ≤ 50 ms) ${p95 <= 50 ? "PASS" : "FAIL"}`);
  } finally {
    await db.drop();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
