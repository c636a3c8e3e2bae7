/** CSV import into a real PostgreSQL: the 112-row seed, idempotent re-import, bad rows, updates, scoping. */
import { TestDatabase, createTestDatabase } from "../support/test-db";
import { importCsv } from "../../src/catalogue/import/product-import.service";
import { readSeedFile, SEED_PRODUCTS_FILE } from "../../src/catalogue/seed/seed-data";
import { ManualClock } from "../../src/common/time";
import { parse } from "csv-parse/sync";

const clock = new ManualClock(new Date("2026-11-26T03:00:00Z"));
const seedCsv = readSeedFile(SEED_PRODUCTS_FILE);
const [seedHeader, ...seedLines] = seedCsv.trimEnd().split("\n");

let db: TestDatabase;
let statements: string[] | null = null;

beforeAll(async () => {
  db = await createTestDatabase({ onQuery: (sql) => statements?.push(sql) });
});
afterAll(async () => {
  await db?.drop();
});

const q = (sql: string, params: unknown[] = []) => db.dataSource.query(sql, params);
const count = async (table: string) => Number((await q(`SELECT count(*)::int AS n FROM ${table}`))[0].n);

/** A seed line with one column replaced (columns are looked up by header name; quoted cells kept). */
function withCell(line: string, column: string, value: string): string {
  const header = seedHeader.split(",");
  const cells = parse(line)[0] as string[];
  cells[header.indexOf(column)] = value;
  return cells.map((c) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(",");
}

describe("importCsv", () => {
  it("imports the 112-row seed as 112 CREATED with one variant, stock level and certification each", async () => {
    const result = await importCsv(db.dataSource, seedCsv, { actor: "test", clock });
    expect(result.errors).toEqual([]);
    expect(result.failed).toBe(0);
    expect(result.created).toBe(112);
    expect(result.rows.map((r) => r.row)).toEqual(Array.from({ length: 112 }, (_, i) => i + 2));
    expect(result.rows[0]).toMatchObject({ refCode: "OCOP-SEED-001", outcome: "CREATED" });
    expect(await count("product")).toBe(112);
    expect(await count("variant")).toBe(112);
    expect(await count("stock_level")).toBe(112);
    expect(await count("ocop_certification")).toBe(112);
    const [variant] = await q(
      `SELECT v.sku, v.pack_spec, v.price_vnd FROM variant v WHERE v.sku = 'OCOP-SEED-061'`,
    );
    expect(variant).toEqual({ sku: "OCOP-SEED-061", pack_spec: "gói 100 túi", price_vnd: 150000 });
    const [noPrice] = await q(`SELECT price_vnd FROM variant WHERE sku = 'OCOP-SEED-001'`);
    expect(noPrice.price_vnd).toBeNull();
  });

  it("refreshes the catalogue's planner statistics after that bulk import, as autovacuum would later", async () => {
    // The first import wrote 112 products into empty tables: more than autovacuum's 50 + 10% rule.
    const stats = await q(
      `SELECT relname, reltuples::int AS n FROM pg_class
        WHERE relname IN ('product', 'variant', 'stock_level', 'ocop_certification') ORDER BY relname`,
    );
    expect(stats).toEqual([
      { relname: "ocop_certification", n: 112 },
      { relname: "product", n: 112 },
      { relname: "stock_level", n: 112 },
      { relname: "variant", n: 112 },
    ]);
  });

  it("re-importing the same file changes nothing and issues no writes", async () => {
    const before =
      await q(`SELECT (SELECT max(updated_at) FROM product) AS p, (SELECT max(updated_at) FROM variant) AS v,
      (SELECT max(updated_at) FROM producer) AS pr, (SELECT count(*)::int FROM ocop_certification) AS c`);
    statements = [];
    const result = await importCsv(db.dataSource, seedCsv, { actor: "test", clock });
    const issued = statements;
    statements = null;
    expect(result.unchanged).toBe(112);
    expect(result.rows.every((r) => r.outcome === "UNCHANGED" && r.productId)).toBe(true);
    expect(issued.some((s) => /^\s*SELECT\b[\s\S]*FROM product\b/i.test(s))).toBe(true);
    expect(issued.filter((s) => /^\s*(INSERT|UPDATE|DELETE)\b/i.test(s))).toEqual([]);
    const after =
      await q(`SELECT (SELECT max(updated_at) FROM product) AS p, (SELECT max(updated_at) FROM variant) AS v,
      (SELECT max(updated_at) FROM producer) AS pr, (SELECT count(*)::int FROM ocop_certification) AS c`);
    expect(after).toEqual(before);
  });

  it("maps producers, addresses and certificates from the seed's facts", async () => {
    const chanh =
      await q(`SELECT p.producer_id, p.slug, pr.legal_name FROM product p JOIN producer pr ON pr.id = p.producer_id
      WHERE p.name = 'Chanh dây sấy dẻo' ORDER BY pr.legal_name`);
    expect(chanh).toHaveLength(2);
    expect(chanh[0].producer_id).not.toBe(chanh[1].producer_id);

    const [thuanHa] =
      await q(`SELECT pr.province_code, pr.ward_code, pr.ward_name, pr.legacy_ward_name, pr.type
      FROM product p JOIN producer pr ON pr.id = p.producer_id WHERE p.ref_code = 'OCOP-SEED-015'`);
    expect(thuanHa).toEqual({
      province_code: "68",
      ward_code: "24722",
      ward_name: "Xã Thuận Hạnh",
      legacy_ward_name: "xã Thuận Hà",
      type: expect.any(String),
    });

    const certs858 = await q(`SELECT DISTINCT valid_until::text AS v, validity_basis AS b, issuer_level AS l
      FROM ocop_certification WHERE decision_number = '858/QĐ-UBND' AND decision_date = '2025-06-19'`);
    expect(certs858).toEqual([{ v: "2028-06-19", b: "DECISION_DATE", l: "PROVINCE" }]);

    const bases = await q(`SELECT validity_basis AS b, (decision_year IS NULL) AS no_year, count(*)::int AS n
      FROM ocop_certification WHERE decision_date IS NULL GROUP BY 1, 2 ORDER BY 1, 2`);
    for (const b of bases) expect(b.b).toBe(b.no_year ? "UNKNOWN" : "YEAR_ESTIMATE");
    expect(bases.reduce((n: number, b: { n: number }) => n + b.n, 0)).toBe(81);

    const [district] = await q(
      `SELECT issuer_level FROM ocop_certification WHERE decision_number = '1887/QĐ-UBND' LIMIT 1`,
    );
    expect(district.issuer_level).toBe("DISTRICT");
    const [national] = await q(`SELECT c.issuer_level, c.is_re_recognition FROM ocop_certification c
      JOIN product p ON p.id = c.product_id WHERE p.ref_code = 'OCOP-SEED-073'`);
    expect(national).toEqual({ issuer_level: "NATIONAL", is_re_recognition: true });

    const [prov] = await q(`SELECT provenance FROM product WHERE ref_code = 'OCOP-SEED-061'`);
    expect(prov.provenance).toMatchObject({
      verification: "B1/C",
      refPriceVnd: 150000,
      sourceRepo: "Luyen05/ocop-lamdong-portal",
    });
  });

  it("updates only the changed row: a new price gives UPDATED and touches that variant alone", async () => {
    const line = seedLines.find((l) => l.startsWith("OCOP-SEED-062,"))!;
    const changed = [
      seedHeader,
      ...seedLines.filter((l) => l !== line),
      withCell(line, "ref_price_vnd", "52.000"),
    ].join("\n");
    const [before] = await q(`SELECT max(updated_at) AS t FROM variant WHERE sku <> 'OCOP-SEED-062'`);
    const result = await importCsv(db.dataSource, changed, { actor: "test", clock });
    expect(result.updated).toBe(1);
    expect(result.unchanged).toBe(111);
    expect(result.rows[111]).toMatchObject({ refCode: "OCOP-SEED-062", outcome: "UPDATED", row: 113 });
    const [v] = await q(`SELECT price_vnd FROM variant WHERE sku = 'OCOP-SEED-062'`);
    expect(v.price_vnd).toBe(52000);
    const [after] = await q(`SELECT max(updated_at) AS t FROM variant WHERE sku <> 'OCOP-SEED-062'`);
    expect(after.t).toEqual(before.t);
    expect(await count("variant")).toBe(112);
  });

  it("a corrected star on the same decision updates that certification instead of adding one", async () => {
    const line = seedLines.find((l) => l.startsWith("OCOP-SEED-030,"))!;
    const result = await importCsv(db.dataSource, [seedHeader, withCell(line, "star", "4")].join("\n"), {
      actor: "test",
      clock,
    });
    expect(result.rows[0]).toMatchObject({ outcome: "UPDATED" });
    const certs = await q(`SELECT c.star FROM ocop_certification c JOIN product p ON p.id = c.product_id
      WHERE p.ref_code = 'OCOP-SEED-030'`);
    expect(certs).toEqual([{ star: 4 }]);
  });

  it("reports bad rows with row number, column and code, and commits the others", async () => {
    const lines = seedLines.slice(0, 10).map((l, i) => l.replace(/^OCOP-SEED-0\d\d/, `BAD-${i + 1}`));
    lines[2] = withCell(lines[2], "star", "7");
    lines[4] = withCell(lines[4], "decision_date", "2025-02-30");
    lines[6] = withCell(lines[6], "category", "Đồ chơi");
    lines[8] = withCell(lines[8], "name", "");
    const result = await importCsv(db.dataSource, [seedHeader, ...lines].join("\r\n"), {
      actor: "test",
      clock,
    });
    const failed = result.rows.filter((r) => r.outcome === "FAILED");
    expect(failed.map((r) => [r.row, r.refCode, r.errors.map((e) => [e.field, e.code])])).toEqual([
      [4, "BAD-3", [["star", "OUT_OF_RANGE"]]],
      [6, "BAD-5", [["decision_date", "INVALID_FORMAT"]]],
      [8, "BAD-7", [["category", "INVALID_VALUE"]]],
      [10, "BAD-9", [["name", "REQUIRED"]]],
    ]);
    expect(result.created).toBe(6);
    const stored = await q(`SELECT ref_code FROM product WHERE ref_code LIKE 'BAD-%' ORDER BY ref_code`);
    expect(stored.map((r: { ref_code: string }) => r.ref_code)).toEqual([
      "BAD-1",
      "BAD-10",
      "BAD-2",
      "BAD-4",
      "BAD-6",
      "BAD-8",
    ]);
    expect(await q(`SELECT 1 FROM variant WHERE sku IN ('BAD-3','BAD-5','BAD-7','BAD-9')`)).toEqual([]);
  });

  it("keeps a chunk's valid rows when one row breaks a database constraint (savepoint fallback)", async () => {
    // A variant with SKU "CLASH-2" already exists at the producer of the rows below, on another product.
    const [p] = await q(`SELECT p.id, p.producer_id FROM product p WHERE p.ref_code = 'OCOP-SEED-001'`);
    await q(`INSERT INTO variant (product_id, producer_id, sku) VALUES ($1, $2, 'CLASH-2')`, [
      p.id,
      p.producer_id,
    ]);
    const base = seedLines.find((l) => l.startsWith("OCOP-SEED-001,"))!;
    const lines = [1, 2, 3].map((n) =>
      withCell(withCell(base, "id", `CLASH-${n}`), "name", `Mắm nêm thử ${n}`),
    );
    const result = await importCsv(db.dataSource, [seedHeader, ...lines].join("\n"), {
      actor: "test",
      clock,
    });
    expect(result.rows.map((r) => r.outcome)).toEqual(["CREATED", "FAILED", "CREATED"]);
    expect(result.rows[1].errors).toEqual([
      { field: "id", code: "DUPLICATE_SKU", params: { sku: "CLASH-2" } },
    ]);
    expect(await q(`SELECT 1 FROM product WHERE ref_code = 'CLASH-2'`)).toEqual([]);
    expect(await count("product")).toBe(112 + 6 + 2);
  });

  it("rejects a file without the required columns and writes nothing", async () => {
    const products = await count("product");
    const result = await importCsv(db.dataSource, "id,name,star\nX-1,Trà,3\n", { actor: "test", clock });
    expect(result.errors).toEqual([
      { field: "", code: "CSV_MISSING_COLUMNS", params: { columns: "producer, category" } },
    ]);
    expect(result.rows).toEqual([]);
    expect(await count("product")).toBe(products);
  });

  it("tolerates a BOM, CRLF line ends and blank lines, keeping spreadsheet row numbers", async () => {
    const csv =
      "\uFEFFid,name,producer,star,category\r\nBOM-1,Trà  xanh,Hợp tác xã Chè Tân Cương,3,Thực phẩm\r\n\r\nBOM-2,Trà đen,Hợp tác xã Chè Tân Cương,3,FOOD\r\n";
    const result = await importCsv(db.dataSource, csv, { actor: "test", clock });
    expect(result.rows.map((r) => [r.row, r.outcome])).toEqual([
      [2, "CREATED"],
      [4, "CREATED"],
    ]);
    const [p] = await q(
      `SELECT p.name, pr.type FROM product p JOIN producer pr ON pr.id = p.producer_id WHERE ref_code = 'BOM-1'`,
    );
    expect(p).toEqual({ name: "Trà xanh", type: "COOPERATIVE" });
  });

  it("lets a producer-scoped caller import only into its own producer", async () => {
    const [own] = await q(`SELECT id FROM producer WHERE legal_name = 'Hợp tác xã Chè Tân Cương'`);
    const csv = [
      "id,name,producer,star,category",
      "OWN-1,Trà móc câu,HTX Chè Tân Cương,3,Thực phẩm",
      "OWN-2,Trà búp,Hợp tác xã chè Tân Cương,3,Thực phẩm",
      "OWN-3,Cà phê,Công ty TNHH Khác,3,Thực phẩm",
      "OCOP-SEED-001,Mắm nêm,Hợp tác xã Chè Tân Cương,3,Thực phẩm",
    ].join("\n");
    const result = await importCsv(db.dataSource, csv, { actor: "test", clock, producerId: own.id });
    expect(
      result.rows.map((r) => [r.refCode, r.outcome, r.errors.map((e) => `${e.field}:${e.code}`)]),
    ).toEqual([
      ["OWN-1", "FAILED", ["producer:FORBIDDEN"]],
      ["OWN-2", "CREATED", []],
      ["OWN-3", "FAILED", ["producer:FORBIDDEN"]],
      ["OCOP-SEED-001", "FAILED", ["id:FORBIDDEN"]],
    ]);
    const [mine] = await q(`SELECT producer_id FROM product WHERE ref_code = 'OWN-2'`);
    expect(mine.producer_id).toBe(own.id);
  });
});
