/**
 * The learning rate budget against a sandbox limited to R requests/s per shop: a 5,000-SKU stock
 * push must finish within 1.15 × (calls / R) and meet no 429 after its first second.
 * R defaults to 20/s, lowered to half the documented policy when that is smaller, so the budget
 * always has something to learn. Run:
 *   npx tsc -p tsconfig.build.json && node dist/bench/rate-budget.js [marketplace…] [--rate=R] [--skus=N]
 */
import "reflect-metadata";
import { minimumCalls, openShop, printTable, seedSkus, selectedCodes, totalCalls } from "./sandbox-shop";
import { rateBudgetFor, rateBudgetKey, resetRateBudgets } from "../src/channels/connectors/http/rate-budget";

function arg(name: string, fallback: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split("=")[1]) : fallback;
}

async function main(): Promise<void> {
  process.env.LOG_LEVEL ??= "silent";
  const skus = arg("skus", 5000);
  const rows: Array<Record<string, string | number>> = [];
  for (const code of selectedCodes(process.argv.slice(2))) {
    resetRateBudgets();
    const shop = await openShop(code);
    const c = shop.connector;
    if (!c.pushStock) continue;
    try {
      const refs = seedSkus(shop, skus);
      const r = arg("rate", Math.max(1, Math.min(20, Math.floor(c.ratePolicy.requestsPerSecond / 2))));
      const minCalls = minimumCalls(refs, c.limits.stockPerCall, c.limits.perItemCalls);
      // Quiet second so the limiter window starts empty after seeding and exchange.
      await new Promise((res) => setTimeout(res, 1100));
      shop.sandbox.setFaults({ rateLimitPerSecond: r });
      shop.sandbox.resetCounters();
      const before = totalCalls(shop.sandbox);
      const started = Date.now();
      // The sandbox counts rate-limit answers; a snapshot at 1 s splits learning from steady state.
      let limitedAtOneSecond: number | null = null;
      const snap = setTimeout(() => (limitedAtOneSecond = shop.sandbox.counters().rateLimited), 1000);
      const results = await c.pushStock(
        shop.ctx,
        refs.map((ref, i) => ({ ...ref, stock: 30 + (i % 40) })),
      );
      const elapsed = (Date.now() - started) / 1000;
      clearTimeout(snap);
      const limited = shop.sandbox.counters().rateLimited;
      const accepted = totalCalls(shop.sandbox) - before - limited;
      const ideal = accepted / r;
      const budget = rateBudgetFor(rateBudgetKey(code, shop.ctx.shopId ?? shop.ctx.channelId), c.ratePolicy);
      rows.push({
        marketplace: code,
        policy: `${c.ratePolicy.requestsPerSecond}/s b${c.ratePolicy.burst}`,
        R: r,
        calls: accepted,
        minCalls,
        "429s": limited,
        "429s>1s": limited - (limitedAtOneSecond ?? limited),
        "elapsed s": elapsed.toFixed(2),
        "calls/R s": ideal.toFixed(2),
        ratio: (elapsed / ideal).toFixed(3),
        learnt: `${budget.currentRate.toFixed(2)}/s`,
        applied: `${results.filter((x) => x.outcome === "applied").length}/${refs.length}`,
      });
    } finally {
      await shop.sandbox.close();
    }
  }
  printTable(rows);
  console.log("\ntarget: ratio ≤ 1.15 and 0 × 429 after the first second");
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
