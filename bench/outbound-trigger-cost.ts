/**
 * What the outbound-webhook triggers cost the write paths: one statement updating the stock of
 * 10,000 variants (10,000 trigger calls), timed with the event triggers disabled (baseline), enabled
 * with no subscriber, enabled with a subscriber of another producer, and enabled with a subscriber
 * of this producer (10,000 events and deliveries written). Median of BENCH_REPEAT runs (default 5).
 *
 * Run: npm run build && node dist/bench/outbound-trigger-cost.js
 */
import { machine, percentile, scratchDatabase } from "./support";

const VARIANTS = Number(process.env.BENCH_VARIANTS ?? 10_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const TRIGGERS = ["outbound_stock_update"];

async function main(): Promise<void> {
  const db = await scratchDatabase("trigger_cost");
  const ds = db.ds;
  try {
    const [a] = await ds.query(
      `INSERT INTO producer (legal_name, name_key, type) VALUES ('HTX A', 'htx a', 'COOPERATIVE') RETURNING id`,
    );
    const [b] = await ds.query(
      `INSERT INTO producer (legal_name, name_key, type) VALUES ('HTX B', 'htx b', 'COOPERATIVE') RETURNING id`,
    );
    await ds.query(
      `INSERT INTO product (producer_id, name, search_key, slug, category)
       SELECT $1, 'SP ' || g, 'sp ' || g, 'sp-' || g, 'FOOD' FROM generate_series(1, $2::int / 10) g`,
      [a.id, VARIANTS],
    );
    await ds.query(
      `INSERT INTO variant (product_id, producer_id, sku, price_vnd)
       SELECT p.id, p.producer_id, 'SKU-' || left(p.id::text, 8) || '-' || g, 50000 FROM product p, generate_series(1, 10) g`,
    );
    await ds.query(`INSERT INTO stock_level (variant_id, on_hand) SELECT id, 100 FROM variant`);
    await ds.query("VACUUM ANALYZE");

    const run = async (): Promise<number> => {
      const times: number[] = [];
      for (let i = 0; i < REPEAT; i++) {
        const t = performance.now();
        await ds.query(`UPDATE stock_level SET on_hand = on_hand + 1`);
        times.push(performance.now() - t);
      }
      return +percentile(
        times.sort((x, y) => x - y),
        50,
      ).toFixed(1);
    };
    const sub = (producerId: string) =>
      ds.query(
        `INSERT INTO webhook_subscription (producer_id, url, events, secret, created_by)
         VALUES ($1, 'http://127.0.0.1:9/hook', '{STOCK_CHANGED}', '\\x00', 'bench') RETURNING id`,
        [producerId],
      );

    for (const t of TRIGGERS) await ds.query(`ALTER TABLE stock_level DISABLE TRIGGER ${t}`);
    const baseline = await run();
    for (const t of TRIGGERS) await ds.query(`ALTER TABLE stock_level ENABLE TRIGGER ${t}`);
    const none = await run();
    const [other] = await sub(b.id);
    const otherProducer = await run();
    await ds.query(`DELETE FROM webhook_subscription WHERE id = $1`, [other.id]);
    await sub(a.id);
    const subscribed = await run();
    const [{ events }] = await ds.query(`SELECT count(*)::int AS events FROM outbound_event`);

    console.log(
      `machine: ${machine()}; UPDATE of ${VARIANTS} stock rows in one statement, median of ${REPEAT}`,
    );
    console.table({
      "event triggers disabled (baseline)": { ms: baseline },
      "enabled, no subscriber": {
        ms: none,
        overhead: `${(((none - baseline) / baseline) * 100).toFixed(0)} %`,
      },
      "enabled, subscriber of another producer": {
        ms: otherProducer,
        overhead: `${(((otherProducer - baseline) / baseline) * 100).toFixed(0)} %`,
      },
      "enabled, subscriber of this producer": {
        ms: subscribed,
        overhead: `${(((subscribed - baseline) / baseline) * 100).toFixed(0)} %`,
      },
    });
    console.log(`events written while subscribed: ${events} (${VARIANTS} per run × ${REPEAT} runs expected)`);
  } finally {
    await db.drop();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
