/**
 * Import benchmark: a 10,000-row CSV shaped like the seed (names, producers and ids varied
 * deterministically) imported into a fresh, migrated database; then the same file again (all
 * UNCHANGED). Baseline in the same run: parse + multi-row INSERT of the same cells as text into a
 * scratch table, i.e. the floor for moving these bytes into PostgreSQL.
 * Run: npx tsc -p tsconfig.build.json && node dist/bench/import.js   (DATABASE_URL optional)
 */
import "reflect-metadata";
import { Client } from "pg";
import { parse } from "csv-parse/sync";
import { scratchDatabase } from "./support";
import { importCsv } from "../src/catalogue/import/product-import.service";
import { SEED_PRODUCTS_FILE, readSeedFile } from "../src/catalogue/seed/seed-data";

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000);
/** Producers per seed producer: ~59 × 40 ≈ 2,400 producers, as in a large province's register. */
const PRODUCER_SPREAD = 40;

function csvCell(c: string): string {
  return /[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c;
}

/** `rows` rows numbered from `offset` (so several files can build one large catalogue). */
export function generateCsv(rows: number, offset = 0): string {
  const seed = parse(readSeedFile(SEED_PRODUCTS_FILE), { bom: true }) as string[][];
  const [header, ...data] = seed;
  const col = (name: string) => header.indexOf(name);
  const out = [header.join(",")];
  for (let i = offset; i < offset + rows; i++) {
    const cells = [...data[i % data.length]];
    const round = Math.floor(i / data.length);
    cells[col("id")] = `BENCH-${String(i + 1).padStart(6, "0")}`;
    cells[col("name")] = `${cells[col("name")]} lô ${round + 1}`;
    cells[col("producer")] = `${cells[col("producer")]} ${(round % PRODUCER_SPREAD) + 1}`;
    if (i % 3 === 0) cells[col("ref_price_vnd")] = String(20_000 + ((i * 7_919) % 280) * 1_000);
    out.push(cells.map(csvCell).join(","));
  }
  return out.join("\n") + "\n";
}

async function baseline(client: Client, csv: string): Promise<number> {
  const started = process.hrtime.bigint();
  const [header, ...rows] = parse(csv) as string[][];
  const cols = header.map((_, i) => `c${i}`);
  await client.query(`CREATE TABLE scratch (${cols.map((c) => `${c} text`).join(", ")})`);
  for (let s = 0; s < rows.length; s += 500) {
    const chunk = rows.slice(s, s + 500);
    await client.query("BEGIN");
    await client.query(
      `INSERT INTO scratch SELECT * FROM unnest(${cols.map((_, i) => `$${i + 1}::text[]`).join(", ")})`,
      cols.map((_, i) => chunk.map((r) => r[i])),
    );
    await client.query("COMMIT");
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function main(): Promise<void> {
  process.env.LOG_LEVEL ??= "silent";
  const db = await scratchDatabase("import");
  const { ds, url } = db;
  try {
    const csv = generateCsv(ROWS);

    const timed = async () => {
      const t = process.hrtime.bigint();
      const result = await importCsv(ds, csv, { actor: "bench" });
      return { result, seconds: Number(process.hrtime.bigint() - t) / 1e9 };
    };
    const first = await timed();
    const again = await timed();
    if (first.result.created !== ROWS || again.result.unchanged !== ROWS) {
      throw new Error(
        `unexpected outcomes: first ${JSON.stringify({ ...first.result, rows: undefined })}, ` +
          `again ${JSON.stringify({ ...again.result, rows: undefined })}`,
      );
    }
    const [counts] = await ds.query(
      `SELECT (SELECT count(*)::int FROM producer) AS producers, (SELECT count(*)::int FROM product) AS products,
              (SELECT count(*)::int FROM ocop_certification) AS certifications`,
    );

    const client = new Client({ connectionString: url });
    await client.connect();
    const base = await baseline(client, csv).finally(() => client.end());

    const rate = (s: number) => Math.round(ROWS / s);
    console.log(
      JSON.stringify(
        {
          rows: ROWS,
          ...counts,
          firstImport: { seconds: +first.seconds.toFixed(2), rowsPerSecond: rate(first.seconds) },
          reImport: { seconds: +again.seconds.toFixed(2), rowsPerSecond: rate(again.seconds) },
          baselineTextInsert: { seconds: +base.toFixed(2), rowsPerSecond: rate(base) },
        },
        null,
        2,
      ),
    );
  } finally {
    await db.drop();
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
