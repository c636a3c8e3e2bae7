/**
 * First-run seeding: when the catalogue is empty, imports the bundled real OCOP products
 * (seed/data/ocop-products.csv, 112 rows with provenance) through the normal import path, then
 * gives every seeded variant a deterministic opening stock through the ledger, so a new
 * installation has something to publish to the sandbox marketplaces.
 */
import crypto from "node:crypto";
import { DataSource } from "typeorm";
import { Logger } from "../../common/logger";
import { Clock } from "../../common/time";
import { importCsv } from "../import/product-import.service";
import { SEED_PRODUCTS_FILE, readSeedFile } from "./seed-data";

export const SEED_ACTOR = "seed";
/** Session advisory lock so two processes starting together seed once. */
const SEED_LOCK_KEY = 727_101;

export interface SeedOptions {
  /**
   * Give variants without a reference price a deterministic demo price (20,000–300,000 đ), so
   * they can be listed on sandbox shops. `npm start` passes true; the CSV's facts stay untouched
   * (provenance keeps only the source's reference price).
   */
  demoPrices?: boolean;
  clock?: Clock;
}

/** Deterministic per SKU: the same seed gives the same stock and prices on every machine. */
export function seedNumber(sku: string, salt: string, min: number, max: number): number {
  const h = crypto.createHash("sha256").update(`${salt}:${sku}`).digest().readUInt32BE(0);
  return min + (h % (max - min + 1));
}

export function seedStockFor(sku: string): number {
  return seedNumber(sku, "stock", 20, 200);
}

export function demoPriceFor(sku: string): number {
  return seedNumber(sku, "price", 20, 300) * 1_000;
}

export async function seedIfEmpty(
  dataSource: DataSource,
  log: Pick<Logger, "info" | "warn">,
  opts: SeedOptions = {},
): Promise<{ seeded: boolean; rows: number }> {
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query("SELECT pg_advisory_lock($1)", [SEED_LOCK_KEY]);
    const [{ present }] = await lock.query("SELECT EXISTS (SELECT 1 FROM product) AS present");
    if (present) return { seeded: false, rows: 0 };

    const result = await importCsv(dataSource, readSeedFile(SEED_PRODUCTS_FILE), {
      actor: SEED_ACTOR,
      clock: opts.clock,
    });
    if (result.failed || result.errors.length) {
      log.warn(
        {
          failed: result.rows
            .filter((r) => r.outcome === "FAILED")
            .map((r) => ({ row: r.row, errors: r.errors })),
        },
        "seed rows failed to import",
      );
    }
    const refCodes = result.rows.filter((r) => r.outcome === "CREATED").map((r) => r.refCode!);
    await openingStock(dataSource, refCodes, opts.demoPrices ?? false);
    log.info(
      { rows: refCodes.length, demoPrices: opts.demoPrices ?? false },
      "catalogue seeded with OCOP products",
    );
    return { seeded: true, rows: refCodes.length };
  } finally {
    await lock.query("SELECT pg_advisory_unlock($1)", [SEED_LOCK_KEY]).catch(() => undefined);
    await lock.release();
  }
}

/** One INITIAL ledger movement per seeded variant, and demo prices when asked, in one transaction. */
async function openingStock(dataSource: DataSource, refCodes: string[], demoPrices: boolean): Promise<void> {
  await dataSource.transaction(async (m) => {
    const variants: Array<{ id: string; sku: string; price_vnd: number | null }> = await m.query(
      `SELECT v.id, v.sku, v.price_vnd FROM variant v JOIN product p ON p.id = v.product_id AND v.sku = p.ref_code
        WHERE p.ref_code = ANY($1::text[])`,
      [refCodes],
    );
    await m.query(
      `WITH s AS (SELECT * FROM unnest($1::uuid[], $2::int[]) AS s(variant_id, qty)),
            upd AS (
              UPDATE stock_level l SET on_hand = l.on_hand + s.qty, updated_at = now()
                FROM s WHERE l.variant_id = s.variant_id
              RETURNING l.variant_id, l.on_hand, l.reserved, s.qty)
       INSERT INTO stock_movement (variant_id, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reason, reference, actor)
       SELECT variant_id, 'INITIAL', qty, 0, on_hand, reserved, 'seed', 'seed', $3 FROM upd`,
      [variants.map((v) => v.id), variants.map((v) => seedStockFor(v.sku)), SEED_ACTOR],
    );
    if (!demoPrices) return;
    const unpriced = variants.filter((v) => v.price_vnd === null);
    await m.query(
      `UPDATE variant v SET price_vnd = d.price, updated_at = now()
         FROM unnest($1::uuid[], $2::int[]) AS d(id, price) WHERE v.id = d.id AND v.price_vnd IS NULL`,
      [unpriced.map((v) => v.id), unpriced.map((v) => demoPriceFor(v.sku))],
    );
  });
}
