/**
 * Where the bundled seed files live. `tsc` does not copy .csv into dist/, so code compiled to
 * dist/src/catalogue/seed/ reads them from the source folder src/catalogue/seed/data/.
 */
import fs from "node:fs";
import path from "node:path";

export const SEED_PRODUCTS_FILE = "ocop-products.csv";
export const SEED_PRODUCT_SETS_FILE = "ocop-product-sets.csv";

/** Candidates in order: beside this file (ts-node, jest), then the source tree seen from dist/. */
export function seedDataDir(from: string = __dirname): string {
  const candidates = [path.join(from, "data"), path.resolve(from, "../../../../src/catalogue/seed/data")];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, SEED_PRODUCTS_FILE)));
  if (!found) throw new Error(`seed data not found; looked in ${candidates.join(", ")}`);
  return found;
}

export function readSeedFile(name: string): string {
  return fs.readFileSync(path.join(seedDataDir(), name), "utf8");
}
