/** First-run seeding on a real PostgreSQL: bundled CSV, opening stock through the ledger, idempotence. */
import path from "node:path";
import { TestDatabase, createTestDatabase } from "../support/test-db";
import { demoPriceFor, seedIfEmpty, seedStockFor } from "../../src/catalogue/seed/seed.service";
import { seedDataDir } from "../../src/catalogue/seed/seed-data";
import { ManualClock } from "../../src/common/time";

const clock = new ManualClock(new Date("2026-11-26T03:00:00Z"));
const log = { info: jest.fn(), warn: jest.fn() };
const dbs: TestDatabase[] = [];

afterAll(async () => {
  await Promise.all(dbs.map((d) => d.drop()));
});

async function freshDb(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  dbs.push(db);
  return db;
}

describe("seedIfEmpty", () => {
  it("seeds 112 products once, even when two processes start together", async () => {
    const db = await freshDb();
    const results = await Promise.all([
      seedIfEmpty(db.dataSource, log, { clock }),
      seedIfEmpty(db.dataSource, log, { clock }),
    ]);
    expect(results.sort((a, b) => Number(b.seeded) - Number(a.seeded))).toEqual([
      { seeded: true, rows: 112 },
      { seeded: false, rows: 0 },
    ]);
    expect(log.warn).not.toHaveBeenCalled();

    const stock = await db.dataSource.query(
      `SELECT v.sku, l.on_hand, l.reserved, m.kind, m.reason, m.actor, m.on_hand_delta, m.on_hand_after
         FROM variant v JOIN stock_level l ON l.variant_id = v.id JOIN stock_movement m ON m.variant_id = v.id`,
    );
    expect(stock).toHaveLength(112);
    for (const s of stock) {
      const expected = seedStockFor(s.sku);
      expect(expected).toBeGreaterThanOrEqual(20);
      expect(expected).toBeLessThanOrEqual(200);
      expect(s).toEqual({
        sku: s.sku,
        on_hand: expected,
        reserved: 0,
        kind: "INITIAL",
        reason: "seed",
        actor: "seed",
        on_hand_delta: expected,
        on_hand_after: expected,
      });
    }
    // Not all the same number: the hash spreads them.
    expect(new Set(stock.map((s: { on_hand: number }) => s.on_hand)).size).toBeGreaterThan(50);
    const priced = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM variant WHERE price_vnd IS NOT NULL`,
    );
    expect(priced[0].n).toBe(7);

    const again = await seedIfEmpty(db.dataSource, log, { clock });
    expect(again).toEqual({ seeded: false, rows: 0 });
    const movements = await db.dataSource.query(`SELECT count(*)::int AS n FROM stock_movement`);
    expect(movements[0].n).toBe(112);
  });

  it("with demoPrices, prices every variant, keeping the CSV's reference prices", async () => {
    const db = await freshDb();
    expect(await seedIfEmpty(db.dataSource, log, { clock, demoPrices: true })).toEqual({
      seeded: true,
      rows: 112,
    });
    const variants: Array<{ sku: string; price_vnd: number }> = await db.dataSource.query(
      `SELECT sku, price_vnd FROM variant ORDER BY sku`,
    );
    expect(
      variants.every((v) => Number.isInteger(v.price_vnd) && v.price_vnd >= 20_000 && v.price_vnd <= 300_000),
    ).toBe(true);
    expect(variants.find((v) => v.sku === "OCOP-SEED-061")!.price_vnd).toBe(150_000);
    expect(variants.find((v) => v.sku === "OCOP-SEED-001")!.price_vnd).toBe(demoPriceFor("OCOP-SEED-001"));
    const [prov] = await db.dataSource.query(
      `SELECT provenance FROM product WHERE ref_code = 'OCOP-SEED-001'`,
    );
    expect(prov.provenance.refPriceVnd).toBeUndefined();
  });
});

describe("seedDataDir", () => {
  const root = path.resolve(__dirname, "../..");
  it("finds the bundled CSV beside the source and from the compiled dist/ folder", () => {
    const fromSource = path.join(root, "src/catalogue/seed");
    expect(seedDataDir(fromSource)).toBe(path.join(root, "src/catalogue/seed/data"));
    expect(seedDataDir(path.join(root, "dist/src/catalogue/seed"))).toBe(
      path.join(root, "src/catalogue/seed/data"),
    );
  });

  it("says where it looked when the data is missing", () => {
    expect(() => seedDataDir("/nonexistent/a/b/c/d")).toThrow(/seed data not found/);
  });
});
