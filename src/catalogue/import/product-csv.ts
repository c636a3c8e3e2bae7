/**
 * Reading and checking an OCOP product CSV (the seed's columns): parsing, per-row validation and
 * the certificate facts derived from a row. Pure functions, no database; the import service
 * turns the valid rows into catalogue writes.
 */
import { UserErrorSpec } from "../../common/errors";
import { MAX_UNIT_PRICE_VND, parseVnd } from "../../common/money";
import { cleanName, nfc } from "../../common/text";
import { isIsoDate } from "../../common/time";
import {
  IssuerLevel,
  OcopCategory,
  ProducerType,
  categoryOfProductSet,
  parseCategory,
  producerTypeFromName,
  scoreMatchesStar,
} from "../ocop";
import { isProvinceName } from "../address/address.lookup";
import { parse } from "csv-parse/sync";

export const REQUIRED_COLUMNS = ["id", "name", "producer", "star", "category"] as const;
/** Above this a caller should split the file; keeps one request's memory and time bounded. */
export const DEFAULT_MAX_ROWS = 50_000;
export const MAX_NAME_LENGTH = 300;
/** The first OCOP programme (490/QĐ-TTg) started in 2018. */
export const FIRST_OCOP_YEAR = 2018;

const SKU_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const VERIFICATION_RE = /^(A|B1|B2|C)(\/(A|B1|B2|C))*$/;
const SCORE_RE = /^\d{1,3}(\.\d{1,2})?$/;
const TRUE_WORDS = new Set(["true", "1", "yes", "x", "co", "có"]);
const FALSE_WORDS = new Set(["false", "0", "no", "khong", "không", ""]);

/** A row that passed validation: NFC text, typed values, null for empty optional cells. */
export interface ProductCsvRow {
  refCode: string;
  name: string;
  producerName: string;
  producerType: ProducerType;
  star: 3 | 4 | 5;
  category: OcopCategory;
  /** undefined when the file has no product_set_no column (leave the stored value alone). */
  productSetNo: number | null | undefined;
  categorySource: string | null;
  legacyProvince: string | null;
  legacyDistrict: string | null;
  legacyCommune: string | null;
  addressRaw: string | null;
  province2025: string | null;
  commune2025: string | null;
  commune2025Code: string | null;
  year: number | null;
  decisionNumber: string | null;
  decisionDate: string | null;
  expires: string | null;
  issuerName: string | null;
  /** Two decimals, as numeric(5,2) stores it ("69.00"), so re-imports compare equal. */
  score: string | null;
  potentialFiveStar: boolean;
  refPriceVnd: number | null;
  refUnit: string | null;
  verification: string | null;
  sourceRepo: string | null;
  sourcePath: string | null;
  sourceUrl: string | null;
  notes: string | null;
}

export interface ParsedCsvRow {
  /** Spreadsheet row number: the header is row 1, the first data row is 2. */
  row: number;
  refCode: string | null;
  value: ProductCsvRow | null;
  errors: UserErrorSpec[];
}

export interface ParsedCsv {
  /** File-level problems (unreadable, missing columns, too many rows); when set, rows is empty. */
  fileErrors: UserErrorSpec[];
  /** Columns present in the header, lower-cased. */
  columns: Set<string>;
  rows: ParsedCsvRow[];
}

export interface ParseOptions {
  /** Today in Vietnam (YYYY-MM-DD): decision dates after it are rejected. */
  today: string;
  maxRows?: number;
}

export function parseProductCsv(text: string, opts: ParseOptions): ParsedCsv {
  let records: string[][];
  try {
    records = parse(text, {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: false,
      trim: false,
    }) as string[][];
  } catch (e) {
    const reason = (e as Error).message.split("\n")[0].slice(0, 200);
    return {
      fileErrors: [{ field: "", code: "CSV_INVALID", params: { reason } }],
      columns: new Set(),
      rows: [],
    };
  }
  if (records.length === 0) {
    return {
      fileErrors: [
        { field: "", code: "CSV_MISSING_COLUMNS", params: { columns: REQUIRED_COLUMNS.join(", ") } },
      ],
      columns: new Set(),
      rows: [],
    };
  }
  const header = records[0].map((h) => nfc(h).toLowerCase());
  const columns = new Set(header);
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.has(c));
  if (missing.length) {
    return {
      fileErrors: [{ field: "", code: "CSV_MISSING_COLUMNS", params: { columns: missing.join(", ") } }],
      columns,
      rows: [],
    };
  }
  const maxRows = opts.maxRows ?? DEFAULT_MAX_ROWS;
  if (records.length - 1 > maxRows) {
    return {
      fileErrors: [{ field: "", code: "TOO_MANY_ROWS", params: { max: maxRows } }],
      columns,
      rows: [],
    };
  }

  const rows: ParsedCsvRow[] = [];
  const seen = new Map<string, number>();
  for (let r = 1; r < records.length; r++) {
    const cells = records[r];
    // Blank spreadsheet rows keep their number but are not data.
    if (cells.every((c) => c.trim() === "")) continue;
    const raw: Record<string, string> = {};
    header.forEach((h, i) => {
      if (h && !(h in raw)) raw[h] = nfc(cells[i] ?? "");
    });
    const checked = validateProductRow(raw, columns, opts.today);
    const refCode = raw.id || null;
    if (refCode && checked.errors.every((e) => e.field !== "id")) {
      const first = seen.get(refCode);
      if (first !== undefined) {
        checked.errors.unshift({
          field: "id",
          code: "DUPLICATE",
          params: { label: "id", value: `${refCode} (dòng/row ${first})` },
        });
      } else {
        seen.set(refCode, r + 1);
      }
    }
    rows.push({
      row: r + 1,
      refCode,
      value: checked.errors.length ? null : checked.value,
      errors: checked.errors,
    });
  }
  return { fileErrors: [], columns, rows };
}

function opt(raw: Record<string, string>, column: string): string | null {
  const v = raw[column];
  return v === undefined || v === "" ? null : v;
}

/**
 * Validates one row (cells already NFC and trimmed). Errors name the CSV column in `field`;
 * every problem of the row is reported, not just the first.
 */
export function validateProductRow(
  raw: Record<string, string>,
  columns: Set<string>,
  today: string,
): { value: ProductCsvRow | null; errors: UserErrorSpec[] } {
  const errors: UserErrorSpec[] = [];
  const err = (field: string, code: UserErrorSpec["code"], params: UserErrorSpec["params"] = {}) =>
    errors.push({ field, code, params: { label: field, ...params } });
  const maxLen = (field: string, max: number) => {
    const v = raw[field];
    if (v && v.length > max) err(field, "TOO_LONG", { max });
  };

  const refCode = raw.id ?? "";
  if (!refCode) err("id", "REQUIRED");
  else if (!SKU_RE.test(refCode)) err("id", "INVALID_SKU");

  const name = cleanName(raw.name ?? "");
  if (!name) err("name", "REQUIRED");
  else if (name.length > MAX_NAME_LENGTH) err("name", "TOO_LONG", { max: MAX_NAME_LENGTH });

  const producerName = cleanName(raw.producer ?? "");
  if (!producerName) err("producer", "REQUIRED");
  else if (producerName.length > MAX_NAME_LENGTH) err("producer", "TOO_LONG", { max: MAX_NAME_LENGTH });

  let producerType: ProducerType | null = null;
  const typeText = opt(raw, "producer_type");
  if (typeText) {
    const t = typeText.toUpperCase();
    if ((Object.values(ProducerType) as string[]).includes(t)) producerType = t as ProducerType;
    else
      err("producer_type", "INVALID_VALUE", {
        value: typeText,
        allowed: Object.values(ProducerType).join(", "),
      });
  } else if (producerName) {
    producerType = producerTypeFromName(producerName);
    if (!producerType) err("producer_type", "REQUIRED");
  }

  let star: 3 | 4 | 5 | null = null;
  const starText = raw.star ?? "";
  if (!starText) err("star", "REQUIRED");
  else if (!/^[345]$/.test(starText)) err("star", "OUT_OF_RANGE", { min: 3, max: 5 });
  else star = Number(starText) as 3 | 4 | 5;

  let category: OcopCategory | null = null;
  const categoryText = raw.category ?? "";
  if (!categoryText) err("category", "REQUIRED");
  else {
    category = parseCategory(categoryText);
    if (!category)
      err("category", "INVALID_VALUE", {
        value: categoryText,
        allowed: Object.values(OcopCategory).join(", "),
      });
  }

  let productSetNo: number | null | undefined = undefined;
  if (columns.has("product_set_no")) {
    const t = opt(raw, "product_set_no");
    productSetNo = null;
    if (t !== null) {
      const n = /^\d{1,2}$/.test(t) ? Number(t) : NaN;
      const setCategory = categoryOfProductSet(n);
      if (!setCategory) err("product_set_no", "OUT_OF_RANGE", { min: 1, max: 26 });
      else if (category && setCategory !== category)
        err("product_set_no", "INVALID_VALUE", { value: t, allowed: `${category}` });
      else productSetNo = n;
    }
  }

  let potentialFiveStar = false;
  const potentialText = opt(raw, "potential_five_star");
  if (potentialText !== null) {
    const t = potentialText.toLowerCase();
    if (TRUE_WORDS.has(t)) potentialFiveStar = true;
    else if (!FALSE_WORDS.has(t))
      err("potential_five_star", "INVALID_VALUE", { value: potentialText, allowed: "true, false" });
  }
  if (potentialFiveStar && star !== null && star !== 4)
    err("potential_five_star", "INVALID_VALUE", { value: potentialText ?? "" });

  let score: string | null = null;
  const scoreText = opt(raw, "score");
  if (scoreText !== null) {
    const n = Number(scoreText);
    if (!SCORE_RE.test(scoreText))
      err("score", "INVALID_FORMAT", { hint: "0–100, tối đa 2 chữ số thập phân / up to 2 decimals" });
    else if (!(n >= 0 && n <= 100)) err("score", "OUT_OF_RANGE", { min: 0, max: 100 });
    else {
      score = n.toFixed(2);
      if (star !== null && !scoreMatchesStar(n, star, potentialFiveStar)) {
        const expected = n < 50 ? "<3" : n < 70 ? 3 : n < 90 ? 4 : 5;
        err("score", "SCORE_STAR_MISMATCH", { score: scoreText, star, expected });
      }
    }
  }

  const date = (field: string, notFuture: boolean): string | null => {
    const t = opt(raw, field);
    if (t === null) return null;
    if (!isIsoDate(t)) {
      err(field, "INVALID_FORMAT", { hint: "YYYY-MM-DD" });
      return null;
    }
    if (notFuture && t > today) {
      err(field, "DATE_IN_FUTURE");
      return null;
    }
    return t;
  };
  const decisionDate = date("decision_date", true);
  const expires = date("expires", false);
  if (decisionDate && expires && expires <= decisionDate)
    err("expires", "INVALID_VALUE", { value: expires, allowed: `> ${decisionDate}` });

  let year: number | null = null;
  const yearText = opt(raw, "year");
  const maxYear = Number(today.slice(0, 4));
  if (yearText !== null) {
    if (!/^\d{4}$/.test(yearText) || +yearText < FIRST_OCOP_YEAR || +yearText > maxYear)
      err("year", "OUT_OF_RANGE", { min: FIRST_OCOP_YEAR, max: maxYear });
    else year = Number(yearText);
  }

  let refPriceVnd: number | null = null;
  const priceText = opt(raw, "ref_price_vnd");
  if (priceText !== null) {
    const n = parseVnd(priceText);
    if (n === null || n > MAX_UNIT_PRICE_VND)
      err("ref_price_vnd", "INVALID_MONEY", { max: MAX_UNIT_PRICE_VND });
    else refPriceVnd = n;
  }

  const verification = opt(raw, "verification");
  if (verification !== null && !VERIFICATION_RE.test(verification))
    err("verification", "INVALID_VALUE", { value: verification, allowed: "A, B1, B2, C" });

  const sourceUrl = opt(raw, "source_url");
  if (sourceUrl !== null && !/^https?:\/\/\S+$/.test(sourceUrl))
    err("source_url", "INVALID_FORMAT", { hint: "https://…" });

  for (const [field, max] of [
    ["decision", 100],
    ["issuer", 200],
    ["ref_unit", 100],
    ["address", 500],
    ["province", 100],
    ["district", 100],
    ["commune", 100],
    ["province_2025", 100],
    ["commune_2025", 100],
    ["commune_2025_code", 10],
    ["category_source", 200],
    ["source_repo", 200],
    ["source_path", 500],
    ["source_url", 2000],
    ["notes", 2000],
  ] as const) {
    maxLen(field, max);
  }

  if (errors.length || star === null || category === null || producerType === null)
    return { value: null, errors };
  return {
    errors,
    value: {
      refCode,
      name,
      producerName,
      producerType,
      star,
      category,
      productSetNo,
      categorySource: opt(raw, "category_source"),
      legacyProvince: opt(raw, "province"),
      legacyDistrict: opt(raw, "district"),
      legacyCommune: opt(raw, "commune"),
      addressRaw: opt(raw, "address"),
      province2025: opt(raw, "province_2025"),
      commune2025: opt(raw, "commune_2025"),
      commune2025Code: opt(raw, "commune_2025_code"),
      year,
      decisionNumber: opt(raw, "decision"),
      decisionDate,
      expires,
      issuerName: opt(raw, "issuer"),
      score,
      potentialFiveStar,
      refPriceVnd,
      refUnit: opt(raw, "ref_unit"),
      verification,
      sourceRepo: opt(raw, "source_repo"),
      sourcePath: opt(raw, "source_path"),
      sourceUrl,
      notes: opt(raw, "notes"),
    },
  };
}

function foldLower(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "").replace(/[đĐ]/g, "d").toLowerCase().trim();
}

/**
 * Level of the body that issued a decision: a ministry is national, a provincial People's
 * Committee is provincial, a district/town one is district. "UBND thành phố X" is provincial only
 * when X is a province-level city (Hà Nội, Huế, …), otherwise a district-level city.
 */
export function issuerLevelOf(issuer: string | null): IssuerLevel | null {
  if (!issuer) return null;
  const t = foldLower(issuer);
  if (/^(bo|van phong dieu phoi)\b/.test(t) || t.includes("trung uong")) return IssuerLevel.NATIONAL;
  const m = /^(ubnd|uy ban nhan dan)\s+(.*)$/.exec(t);
  if (!m) return null;
  const rest = m[2];
  if (/^tinh\b/.test(rest)) return IssuerLevel.PROVINCE;
  if (/^(huyen|quan|thi xa)\b/.test(rest)) return IssuerLevel.DISTRICT;
  if (/^(thanh pho|tp\.?)\s/.test(rest)) {
    const original = issuer.replace(/^\s*(UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s+/i, "");
    return isProvinceName(original) ? IssuerLevel.PROVINCE : IssuerLevel.DISTRICT;
  }
  return null;
}

/** Criteria set in force on the decision date: 1048/2019, 148/2023 (from 24 Feb 2023), 26/2026 (from 22 May 2026). */
export function criteriaVersionOf(decisionDate: string | null, year: number | null): string | null {
  if (decisionDate) {
    if (decisionDate < "2023-02-24") return "1048-2019";
    if (decisionDate < "2026-05-22") return "148-2023";
    return "26-2026";
  }
  // A year alone is conclusive only when no rulebook changed during it.
  if (year === null) return null;
  if (year <= 2022) return "1048-2019";
  if (year === 2024 || year === 2025) return "148-2023";
  if (year >= 2027) return "26-2026";
  return null;
}

/** Notes such as "re-recognition (công nhận lại) effective 2024-07-01". */
export function isReRecognition(notes: string | null): boolean {
  if (!notes) return false;
  const t = foldLower(notes);
  return t.includes("cong nhan lai") || /\bre-?recogni[sz]/.test(t);
}
