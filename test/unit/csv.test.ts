/** Pure parts of the CSV import: parsing, row validation, and facts derived from a row. */
import {
  REQUIRED_COLUMNS,
  criteriaVersionOf,
  isReRecognition,
  issuerLevelOf,
  parseProductCsv,
  validateProductRow,
} from "../../src/catalogue/import/product-csv";
import { readSeedFile, SEED_PRODUCTS_FILE } from "../../src/catalogue/seed/seed-data";

const today = "2026-11-26";
const base: Record<string, string> = {
  id: "T-1",
  name: "Cà phê rang xay",
  producer: "Hợp tác xã Cà phê Đắk Song",
  star: "4",
  category: "Thực phẩm",
};
const columns = new Set([
  ...REQUIRED_COLUMNS,
  "score",
  "decision_date",
  "year",
  "ref_price_vnd",
  "producer_type",
]);
const errorsOf = (over: Record<string, string>, cols = columns) =>
  validateProductRow({ ...base, ...over }, cols, today).errors.map((e) => [e.field, e.code]);

describe("validateProductRow", () => {
  it("accepts a minimal row and infers the producer type from the name", () => {
    const { value, errors } = validateProductRow(base, columns, today);
    expect(errors).toEqual([]);
    expect(value).toMatchObject({
      refCode: "T-1",
      star: 4,
      category: "FOOD",
      producerType: "COOPERATIVE",
      score: null,
    });
    expect(value?.productSetNo).toBeUndefined();
  });

  it("checks star, score band, dates, money, category and names, naming the CSV column", () => {
    expect(errorsOf({ star: "6" })).toEqual([["star", "OUT_OF_RANGE"]]);
    expect(errorsOf({ star: "" })).toEqual([["star", "REQUIRED"]]);
    expect(errorsOf({ score: "65.5" })).toEqual([["score", "SCORE_STAR_MISMATCH"]]);
    expect(errorsOf({ score: "101" })).toEqual([["score", "OUT_OF_RANGE"]]);
    expect(errorsOf({ score: "70.125" })).toEqual([["score", "INVALID_FORMAT"]]);
    expect(errorsOf({ decision_date: "2025-02-29" })).toEqual([["decision_date", "INVALID_FORMAT"]]);
    expect(errorsOf({ decision_date: "19/06/2025" })).toEqual([["decision_date", "INVALID_FORMAT"]]);
    expect(errorsOf({ decision_date: "2026-11-27" })).toEqual([["decision_date", "DATE_IN_FUTURE"]]);
    expect(errorsOf({ decision_date: "2026-11-26" })).toEqual([]);
    expect(errorsOf({ year: "2017" })).toEqual([["year", "OUT_OF_RANGE"]]);
    expect(errorsOf({ ref_price_vnd: "12.5" })).toEqual([["ref_price_vnd", "INVALID_MONEY"]]);
    expect(errorsOf({ ref_price_vnd: "1000000001" })).toEqual([["ref_price_vnd", "INVALID_MONEY"]]);
    expect(errorsOf({ category: "Đồ chơi" })).toEqual([["category", "INVALID_VALUE"]]);
    expect(errorsOf({ name: "x".repeat(301) })).toEqual([["name", "TOO_LONG"]]);
    expect(errorsOf({ id: "có dấu" })).toEqual([["id", "INVALID_SKU"]]);
    expect(errorsOf({ producer: "Nông dân A" })).toEqual([["producer_type", "REQUIRED"]]);
    expect(errorsOf({ producer: "Nông dân A", producer_type: "household_business" })).toEqual([]);
    expect(errorsOf({ producer_type: "FARM" })).toEqual([["producer_type", "INVALID_VALUE"]]);
  });

  it("reports every problem of a row, not only the first", () => {
    expect(errorsOf({ name: "", star: "2", category: "?" })).toEqual([
      ["name", "REQUIRED"],
      ["star", "OUT_OF_RANGE"],
      ["category", "INVALID_VALUE"],
    ]);
  });

  it("lets a potential-5-star 4★ carry a 5★-band score", () => {
    const cols = new Set([...columns, "potential_five_star"]);
    expect(errorsOf({ score: "91", potential_five_star: "true" }, cols)).toEqual([]);
    expect(errorsOf({ score: "91" }, cols)).toEqual([["score", "SCORE_STAR_MISMATCH"]]);
    expect(errorsOf({ star: "3", score: "60", potential_five_star: "true" }, cols)).toEqual([
      ["potential_five_star", "INVALID_VALUE"],
    ]);
  });

  it("normalises money and score to what the database stores", () => {
    const { value } = validateProductRow({ ...base, ref_price_vnd: "91.000 ₫", score: "75" }, columns, today);
    expect(value).toMatchObject({ refPriceVnd: 91000, score: "75.00" });
  });

  it("checks product_set_no against the category when the column is present", () => {
    const cols = new Set([...columns, "product_set_no"]);
    expect(errorsOf({ product_set_no: "13" }, cols)).toEqual([]);
    expect(errorsOf({ product_set_no: "14" }, cols)).toEqual([["product_set_no", "INVALID_VALUE"]]);
    expect(errorsOf({ product_set_no: "27" }, cols)).toEqual([["product_set_no", "OUT_OF_RANGE"]]);
    expect(validateProductRow({ ...base, product_set_no: "" }, cols, today).value?.productSetNo).toBeNull();
  });
});

describe("parseProductCsv", () => {
  it("parses the bundled seed: 112 valid rows numbered from 2", () => {
    const parsed = parseProductCsv(readSeedFile(SEED_PRODUCTS_FILE), { today });
    expect(parsed.fileErrors).toEqual([]);
    expect(parsed.rows).toHaveLength(112);
    expect(parsed.rows.filter((r) => r.errors.length)).toEqual([]);
    expect(parsed.rows[111]).toMatchObject({ row: 113, refCode: "OCOP-SEED-112" });
  });

  it("reads NFD text as NFC, a BOM, CRLF and quoted multi-line cells", () => {
    const csv =
      '\uFEFFid,name,producer,star,category,notes\r\nA-1,"Ca\u0300 phe\u0302",Công ty TNHH A,3,Thực phẩm,"two\r\nlines"\r\nA-2,Trà,Công ty TNHH A,3,Thực phẩm,\r\n';
    const parsed = parseProductCsv(csv, { today });
    expect(parsed.rows.map((r) => [r.row, r.value?.name, r.value?.notes])).toEqual([
      [2, "Cà phê", "two\r\nlines"],
      [3, "Trà", null],
    ]);
  });

  it("flags a repeated id on its later rows", () => {
    const csv = "id,name,producer,star,category\nA-1,X,Công ty A,3,FOOD\nA-1,Y,Công ty A,3,FOOD\n";
    const rows = parseProductCsv(csv, { today }).rows;
    expect(rows[0].errors).toEqual([]);
    expect(rows[1].errors.map((e) => [e.field, e.code])).toEqual([["id", "DUPLICATE"]]);
  });

  it("reports missing columns, unreadable CSV and oversize files as file errors", () => {
    expect(parseProductCsv("id,name\n1,a\n", { today }).fileErrors).toEqual([
      { field: "", code: "CSV_MISSING_COLUMNS", params: { columns: "producer, star, category" } },
    ]);
    expect(
      parseProductCsv('id,name,producer,star,category\n"unclosed,a,b,3,FOOD\n', { today }).fileErrors[0].code,
    ).toBe("CSV_INVALID");
    const big = "id,name,producer,star,category\n" + "A,B,Công ty C,3,FOOD\n".repeat(3);
    expect(parseProductCsv(big, { today, maxRows: 2 }).fileErrors[0]).toMatchObject({
      code: "TOO_MANY_ROWS",
    });
  });
});

describe("derived certificate facts", () => {
  it("infers the issuer level", () => {
    expect(issuerLevelOf("UBND huyện Đắk Song")).toBe("DISTRICT");
    expect(issuerLevelOf("UBND thị xã Buôn Hồ")).toBe("DISTRICT");
    expect(issuerLevelOf("UBND tỉnh Lâm Đồng")).toBe("PROVINCE");
    expect(issuerLevelOf("UBND thành phố Hà Nội")).toBe("PROVINCE");
    expect(issuerLevelOf("UBND thành phố Phan Thiết")).toBe("DISTRICT");
    expect(issuerLevelOf("Bộ Nông nghiệp và PTNT / Bộ Nông nghiệp và Môi trường")).toBe("NATIONAL");
    expect(issuerLevelOf("Hội đồng xã")).toBeNull();
    expect(issuerLevelOf(null)).toBeNull();
  });

  it("picks the criteria version in force", () => {
    expect(criteriaVersionOf("2023-02-23", null)).toBe("1048-2019");
    expect(criteriaVersionOf("2025-06-19", null)).toBe("148-2023");
    expect(criteriaVersionOf("2026-08-05", null)).toBe("26-2026");
    expect(criteriaVersionOf(null, 2024)).toBe("148-2023");
    expect(criteriaVersionOf(null, 2023)).toBeNull();
  });

  it("spots re-recognition in notes", () => {
    expect(isReRecognition("re-recognition (công nhận lại) effective 2024-07-01")).toBe(true);
    expect(isReRecognition("Cong nhan lai")).toBe(true);
    expect(isReRecognition("MARD 2024 round 2")).toBe(false);
  });
});
