/**
 * Batching efficiency: for each marketplace, N changed prices and stocks are pushed to its sandbox
 * and the calls the sandbox received are compared with the fewest its batch limits allow. A ratio
 * above 1.00 means the connector splits batches smaller than it must (or makes extra calls).
 * Run: npx tsc -p tsconfig.build.json && node dist/bench/connector-calls.js [marketplace…]
 */
import "reflect-metadata";
import { minimumCalls, openShop, printTable, seedSkus, selectedCodes, totalCalls } from "./sandbox-shop";

const SIZES = [1, 49, 50, 51, 5000];

async function main(): Promise<void> {
  process.env.LOG_LEVEL ??= "silent";
  const rows: Array<Record<string, string | number>> = [];
  let worst = 0;
  for (const code of selectedCodes(process.argv.slice(2))) {
    const shop = await openShop(code);
    const { connector: c } = shop;
    try {
      const refs = seedSkus(shop, Math.max(...SIZES));
      for (const n of SIZES) {
        const batch = refs.slice(0, n);
        for (const kind of ["price", "stock"] as const) {
          const push = kind === "price" ? c.pushPrices : c.pushStock;
          if (!push) continue;
          const before = totalCalls(shop.sandbox);
          const started = process.hrtime.bigint();
          const results =
            kind === "price"
              ? await c.pushPrices!(
                  shop.ctx,
                  batch.map((r, i) => ({ ...r, priceVnd: 120_000 + n + i })),
                )
              : await c.pushStock!(
                  shop.ctx,
                  batch.map((r, i) => ({ ...r, stock: 20 + ((n + i) % 50) })),
                );
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          const calls = totalCalls(shop.sandbox) - before;
          const perCall = kind === "price" ? c.limits.pricePerCall : c.limits.stockPerCall;
          const min = minimumCalls(batch, perCall, c.limits.perItemCalls);
          const applied = results.filter((r) => r.outcome === "applied").length;
          worst = Math.max(worst, calls / min);
          rows.push({
            marketplace: code,
            kind,
            N: n,
            perCall,
            calls,
            minimum: min,
            ratio: (calls / min).toFixed(2),
            applied: `${applied}/${n}`,
            ms: ms.toFixed(0),
          });
        }
      }
    } finally {
      await shop.sandbox.close();
    }
  }
  printTable(rows);
  console.log(`\nworst ratio: ${worst.toFixed(2)} (target 1.00)`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
