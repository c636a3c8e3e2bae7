/**
 * Imports an OCOP product CSV into the master catalogue: producer (found or created), product
 * keyed by the row's `id` (ref_code), one default variant with its stock level, and the row's
 * certification. Idempotent: re-importing a file writes nothing; a changed row updates only what
 * changed. Rows go in chunks, each one transaction of set-based statements; if a chunk statement
 * fails, the chunk is redone row by row under savepoints so valid rows still commit and the bad
 * one is reported. A row is always applied whole or not at all.
 */
import crypto from "node:crypto";
import { DataSource, QueryRunner } from "typeorm";
import { UserErrorSpec } from "../../common/errors";
import { searchKey, slugify } from "../../common/text";
import { Clock, systemClock, vnToday } from "../../common/time";
import { validityOf } from "../ocop";
import { CurrentAddress, mapLegacy, resolveCurrent } from "../address/address.lookup";
import {
  ParsedCsvRow,
  ProductCsvRow,
  criteriaVersionOf,
  isReRecognition,
  issuerLevelOf,
  parseProductCsv,
} from "./product-csv";
import { ChangedRow, SqlColumn, insertRows, updateChanged } from "./set-sql";

export type ImportOutcome = "CREATED" | "UPDATED" | "UNCHANGED" | "FAILED";

export interface ImportRowResult {
  /** Spreadsheet row number (header = 1). */
  row: number;
  refCode: string | null;
  outcome: ImportOutcome;
  productId?: string;
  errors: UserErrorSpec[];
}

export interface ImportResult {
  /** File-level errors (unreadable CSV, missing columns, too many rows); nothing was written. */
  errors: UserErrorSpec[];
  /** One entry per data row, in file order. */
  rows: ImportRowResult[];
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
}

export interface ImportOptions {
  /** Who imports (user id, API key name, "seed"); recorded by callers' audit. */
  actor: string;
  /** A producer-scoped caller: every row must name this producer, and only its products change. */
  producerId?: string;
  /** Default: the system clock; decides "today" for decision dates. */
  clock?: Clock;
  /** Rows per transaction. Default 500. */
  chunkSize?: number;
  /** Default 50,000 (DEFAULT_MAX_ROWS). */
  maxRows?: number;
  /** Check and count every row as a real import would, then roll it all back. */
  dryRun?: boolean;
}

const DEFAULT_CHUNK_SIZE = 500;

interface PreparedRow {
  index: number;
  csv: ProductCsvRow;
  address: CurrentAddress | null;
  nameKey: string;
}

interface ProducerRecord {
  id: string;
  legalName: string;
  nameKey: string;
  provinceCode: string | null;
}

interface ChunkOutcome {
  index: number;
  outcome: ImportOutcome;
  productId?: string;
  errors: UserErrorSpec[];
}

/** Imports `csvText`; see the module comment. Never throws for bad rows, only for faults. */
export async function importCsv(
  dataSource: DataSource,
  csvText: string,
  opts: ImportOptions,
): Promise<ImportResult> {
  const today = vnToday((opts.clock ?? systemClock).now());
  const parsed = parseProductCsv(csvText, { today, maxRows: opts.maxRows });
  if (parsed.fileErrors.length) return summarise(parsed.fileErrors, []);

  const results: ImportRowResult[] = parsed.rows.map((r: ParsedCsvRow) => ({
    row: r.row,
    refCode: r.refCode,
    outcome: r.value ? "UNCHANGED" : "FAILED",
    errors: r.errors,
  }));
  const prepared: PreparedRow[] = [];
  parsed.rows.forEach((r, index) => {
    if (!r.value) return;
    prepared.push({
      index,
      csv: r.value,
      address: addressOf(r.value),
      nameKey: searchKey(r.value.producerName),
    });
  });

  const qr = dataSource.createQueryRunner();
  await qr.connect();
  // A dry run wraps the chunks in one outer transaction (theirs become savepoints) and rolls it back.
  if (opts.dryRun) await qr.startTransaction();
  try {
    const scope = opts.producerId ? await loadScope(qr, opts.producerId) : null;
    const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
    for (let start = 0; start < prepared.length; start += chunkSize) {
      const chunk = prepared.slice(start, start + chunkSize);
      for (const o of await runChunk(qr, chunk, scope)) {
        Object.assign(results[o.index], { outcome: o.outcome, productId: o.productId, errors: o.errors });
      }
    }
  } finally {
    try {
      while (opts.dryRun && qr.isTransactionActive) await qr.rollbackTransaction();
    } finally {
      await qr.release();
    }
  }
  const summary = summarise([], results);
  if (!opts.dryRun) await analyzeAfterBulkWrite(dataSource, summary.created + summary.updated);
  return summary;
}

/** The tables an import writes, whose statistics the catalogue's read plans depend on. */
const IMPORTED_TABLES = ["producer", "product", "variant", "stock_level", "ocop_certification"];

/**
 * Refreshes planner statistics after an import that changed a large share of the catalogue, by
 * autovacuum's own rule (more than 50 rows + 10% of the table). Until statistics exist, PostgreSQL
 * guesses that `status = 'ACTIVE'` keeps 0.5% of the products and sorts the whole table for every
 * product page (12 ms instead of 0.4 ms on 10,000 products); autovacuum would fix that a minute later
 * at best, and never where it is turned off.
 */
async function analyzeAfterBulkWrite(dataSource: DataSource, productsWritten: number): Promise<void> {
  if (productsWritten <= 50) return;
  const [{ reltuples }] = await dataSource.query(
    `SELECT greatest(reltuples, 0)::float8 AS reltuples FROM pg_class WHERE oid = 'product'::regclass`,
  );
  if (productsWritten > 50 + 0.1 * reltuples) await dataSource.query(`ANALYZE ${IMPORTED_TABLES.join(", ")}`);
}

function summarise(errors: UserErrorSpec[], rows: ImportRowResult[]): ImportResult {
  const count = (o: ImportOutcome) => rows.filter((r) => r.outcome === o).length;
  return {
    errors,
    rows,
    created: count("CREATED"),
    updated: count("UPDATED"),
    unchanged: count("UNCHANGED"),
    failed: count("FAILED"),
  };
}

/** Current units: the 2025 code or names when given, else the pre-2025 address mapped forward. */
function addressOf(row: ProductCsvRow): CurrentAddress | null {
  if (row.province2025 || row.commune2025Code) {
    const current = resolveCurrent({
      provinceName: row.province2025,
      wardName: row.commune2025,
      wardCode: row.commune2025Code,
    });
    if (current) return current;
  }
  return mapLegacy({ province: row.legacyProvince, district: row.legacyDistrict, ward: row.legacyCommune });
}

async function loadScope(qr: QueryRunner, producerId: string): Promise<ProducerRecord> {
  const rows = await qr.query(
    `SELECT id, legal_name AS "legalName", name_key AS "nameKey", province_code AS "provinceCode" FROM producer WHERE id = $1`,
    [producerId],
  );
  if (!rows.length) throw new Error(`producer ${producerId} not found`);
  return rows[0];
}

/** One transaction for the chunk; on a statement failure, the same work row by row under savepoints. */
async function runChunk(
  qr: QueryRunner,
  chunk: PreparedRow[],
  scope: ProducerRecord | null,
): Promise<ChunkOutcome[]> {
  await qr.startTransaction();
  try {
    const outcomes = await applyRows(qr, chunk, scope);
    await qr.commitTransaction();
    return outcomes;
  } catch {
    await qr.rollbackTransaction();
  }
  const outcomes: ChunkOutcome[] = [];
  await qr.startTransaction();
  try {
    for (const row of chunk) {
      await qr.query("SAVEPOINT import_row");
      try {
        outcomes.push(...(await applyRows(qr, [row], scope)));
        await qr.query("RELEASE SAVEPOINT import_row");
      } catch (e) {
        await qr.query("ROLLBACK TO SAVEPOINT import_row");
        outcomes.push({ index: row.index, outcome: "FAILED", errors: [errorForFault(e, row.csv)] });
      }
    }
    await qr.commitTransaction();
  } catch (e) {
    if (qr.isTransactionActive) await qr.rollbackTransaction();
    throw e;
  }
  return outcomes;
}

/** Names the constraint a row broke in user terms where we know it. */
function errorForFault(e: unknown, row: ProductCsvRow): UserErrorSpec {
  const pg = ((e as { driverError?: unknown }).driverError ?? e) as {
    code?: string;
    constraint?: string;
    message?: string;
  };
  if (pg.constraint === "variant_producer_id_sku_key")
    return { field: "id", code: "DUPLICATE_SKU", params: { sku: row.refCode } };
  if (pg.constraint === "product_ref_code_key")
    return { field: "id", code: "DUPLICATE", params: { label: "id", value: row.refCode } };
  return {
    field: "",
    code: "IMPORT_ROW_FAILED",
    params: { reason: pg.constraint ?? pg.code ?? "database error" },
  };
}

const PRODUCER_COLUMNS: SqlColumn[] = [
  { name: "id", type: "uuid" },
  { name: "legal_name", type: "text" },
  { name: "name_key", type: "text" },
  { name: "type", type: "text" },
  { name: "address_raw", type: "text" },
  { name: "legacy_province_name", type: "text" },
  { name: "legacy_district_name", type: "text" },
  { name: "legacy_ward_name", type: "text" },
  { name: "province_code", type: "text" },
  { name: "province_name", type: "text" },
  { name: "ward_code", type: "text" },
  { name: "ward_name", type: "text" },
];
/** Producer columns an import may fill when empty; it never overwrites a producer's own profile. */
const PRODUCER_FILLABLE = PRODUCER_COLUMNS.slice(4).filter((c) => c.name !== "province_code");

const PRODUCT_COLUMNS: SqlColumn[] = [
  { name: "id", type: "uuid" },
  { name: "producer_id", type: "uuid" },
  { name: "ref_code", type: "text" },
  { name: "name", type: "text" },
  { name: "search_key", type: "text" },
  { name: "slug", type: "text" },
  { name: "category", type: "text" },
  { name: "product_set_no", type: "smallint" },
  { name: "provenance", type: "jsonb" },
];
/** What a re-import may change on a product (not the slug: links stay stable when a name is fixed). */
const PRODUCT_UPDATABLE: SqlColumn[] = [
  { name: "name", type: "text" },
  { name: "search_key", type: "text" },
  { name: "category", type: "text" },
  { name: "product_set_no", type: "smallint" },
  { name: "provenance", type: "jsonb" },
];

const VARIANT_COLUMNS: SqlColumn[] = [
  { name: "id", type: "uuid" },
  { name: "product_id", type: "uuid" },
  { name: "producer_id", type: "uuid" },
  { name: "sku", type: "text" },
  { name: "pack_spec", type: "text" },
  { name: "price_vnd", type: "integer" },
];
const VARIANT_UPDATABLE: SqlColumn[] = [
  { name: "pack_spec", type: "text" },
  { name: "price_vnd", type: "integer" },
];

const CERT_UPDATABLE: SqlColumn[] = [
  { name: "star", type: "smallint" },
  { name: "potential_five_star", type: "boolean" },
  { name: "score", type: "numeric" },
  { name: "decision_year", type: "smallint" },
  { name: "issuer_level", type: "text" },
  { name: "criteria_version", type: "text" },
  { name: "valid_until", type: "date" },
  { name: "validity_basis", type: "text" },
  { name: "verification", type: "text" },
  { name: "source_url", type: "text" },
  { name: "is_re_recognition", type: "boolean" },
];
/** The certification's identity within a product: the same decision is updated, a new one is added. */
const CERT_KEY: SqlColumn[] = [
  { name: "decision_number", type: "text" },
  { name: "decision_date", type: "date" },
  { name: "issuer_name", type: "text" },
];
const CERT_COLUMNS: SqlColumn[] = [
  { name: "id", type: "uuid" },
  { name: "product_id", type: "uuid" },
  ...CERT_KEY,
  ...CERT_UPDATABLE,
];

interface ExistingProduct {
  id: string;
  producerId: string;
  refCode: string;
  values: unknown[];
}

interface ExistingVariant {
  id: string;
  productId: string;
  packSpec: string;
  priceVnd: number | null;
}

interface ExistingCert {
  id: string;
  productId: string;
  key: string;
  values: unknown[];
}

/** The import's part of a product row, in PRODUCT_UPDATABLE order. */
function productValues(row: ProductCsvRow, producerLegalName: string, storedSetNo: number | null): unknown[] {
  const provenance = {
    verification: row.verification ?? undefined,
    sourceRepo: row.sourceRepo ?? undefined,
    sourcePath: row.sourcePath ?? undefined,
    sourceUrl: row.sourceUrl ?? undefined,
    categorySource: row.categorySource ?? undefined,
    notes: row.notes ?? undefined,
    refPriceVnd: row.refPriceVnd ?? undefined,
  };
  return [
    row.name,
    searchKey(row.name, producerLegalName),
    row.category,
    row.productSetNo === undefined ? storedSetNo : row.productSetNo,
    canonicalJson(provenance),
  ];
}

/** Certification values in CERT_UPDATABLE order. */
function certValues(row: ProductCsvRow): unknown[] {
  const validity = validityOf({ decisionDate: row.decisionDate, expires: row.expires, year: row.year });
  return [
    row.star,
    row.potentialFiveStar,
    row.score,
    row.year,
    issuerLevelOf(row.issuerName),
    criteriaVersionOf(row.decisionDate, row.year),
    validity.validUntil,
    validity.basis,
    row.verification,
    row.sourceUrl,
    isReRecognition(row.notes),
  ];
}

function certKey(
  decisionNumber: string | null,
  decisionDate: string | null,
  issuerName: string | null,
): string {
  return JSON.stringify([decisionNumber, decisionDate, issuerName]);
}

/** JSON with sorted keys and undefined dropped, so stored jsonb and fresh values compare as text. */
function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === "object") {
      return Object.fromEntries(
        Object.keys(v)
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .sort()
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(value));
}

function changeMask(stored: unknown[], fresh: unknown[]): number {
  let mask = 0;
  fresh.forEach((v, i) => {
    if ((v ?? null) !== (stored[i] ?? null)) mask |= 1 << i;
  });
  return mask;
}

/** Applies rows inside the caller's transaction; throws if any statement fails. */
async function applyRows(
  qr: QueryRunner,
  rows: PreparedRow[],
  scope: ProducerRecord | null,
): Promise<ChunkOutcome[]> {
  const outcomes = new Map<number, ChunkOutcome>();
  const fail = (row: PreparedRow, error: UserErrorSpec) =>
    outcomes.set(row.index, { index: row.index, outcome: "FAILED", errors: [error] });
  const touched = new Set<number>();

  // Producers: the caller's own, or found-or-created by (name_key, current province).
  const producerOf = new Map<number, ProducerRecord>();
  if (scope) {
    for (const row of rows) {
      if (row.nameKey === scope.nameKey) producerOf.set(row.index, scope);
      else fail(row, { field: "producer", code: "FORBIDDEN" });
    }
  } else {
    const producers = await resolveProducers(qr, rows, touched);
    for (const row of rows) producerOf.set(row.index, producers.get(producerKey(row))!);
  }
  const live = rows.filter((r) => !outcomes.has(r.index));

  const refCodes = live.map((r) => r.csv.refCode);
  const existingProducts = new Map<string, ExistingProduct>();
  for (const p of await qr.query(
    `SELECT id, producer_id, ref_code, name, search_key, category, product_set_no, provenance
       FROM product WHERE ref_code = ANY($1::text[]) ORDER BY id FOR UPDATE`,
    [refCodes],
  )) {
    existingProducts.set(p.ref_code, {
      id: p.id,
      producerId: p.producer_id,
      refCode: p.ref_code,
      values: [p.name, p.search_key, p.category, p.product_set_no, canonicalJson(p.provenance)],
    });
  }
  const productIds = [...existingProducts.values()].map((p) => p.id);
  const variants = new Map<string, ExistingVariant>();
  const certs = new Map<string, ExistingCert[]>();
  if (productIds.length) {
    for (const v of await qr.query(
      `SELECT v.id, v.product_id, v.pack_spec, v.price_vnd FROM variant v JOIN product p ON p.id = v.product_id
        WHERE v.product_id = ANY($1::uuid[]) AND v.sku = p.ref_code`,
      [productIds],
    )) {
      variants.set(v.product_id, {
        id: v.id,
        productId: v.product_id,
        packSpec: v.pack_spec,
        priceVnd: v.price_vnd,
      });
    }
    for (const c of await qr.query(
      `SELECT id, product_id, decision_number, decision_date::text AS decision_date, issuer_name, star, potential_five_star,
              score::text AS score, decision_year, issuer_level, criteria_version, valid_until::text AS valid_until,
              validity_basis, verification, source_url, is_re_recognition
         FROM ocop_certification WHERE product_id = ANY($1::uuid[]) ORDER BY created_at DESC, id`,
      [productIds],
    )) {
      const list = certs.get(c.product_id) ?? [];
      list.push({
        id: c.id,
        productId: c.product_id,
        key: certKey(c.decision_number, c.decision_date, c.issuer_name),
        values: CERT_UPDATABLE.map((col) => c[col.name]),
      });
      certs.set(c.product_id, list);
    }
  }

  const newProducts: unknown[][] = [];
  const newVariants: unknown[][] = [];
  const newCerts: unknown[][] = [];
  const productChanges: ChangedRow[] = [];
  const variantChanges: ChangedRow[] = [];
  const certChanges: ChangedRow[] = [];
  const slugs = await slugAllocator(
    qr,
    live.filter((r) => !existingProducts.has(r.csv.refCode)).map((r) => producerOf.get(r.index)!.id),
  );

  for (const row of live) {
    const csv = row.csv;
    const producer = producerOf.get(row.index)!;
    const existing = existingProducts.get(csv.refCode);
    if (existing && existing.producerId !== producer.id) {
      fail(
        row,
        scope
          ? { field: "id", code: "FORBIDDEN" }
          : { field: "id", code: "DUPLICATE", params: { label: "id", value: csv.refCode } },
      );
      continue;
    }
    const fresh = certValues(csv);
    const key = certKey(csv.decisionNumber, csv.decisionDate, csv.issuerName);
    if (!existing) {
      const productId = crypto.randomUUID();
      const values = productValues(csv, producer.legalName, null);
      newProducts.push([
        productId,
        producer.id,
        csv.refCode,
        values[0],
        values[1],
        slugs(producer.id, csv.name),
        ...values.slice(2),
      ]);
      newVariants.push([
        crypto.randomUUID(),
        productId,
        producer.id,
        csv.refCode,
        csv.refUnit ?? "",
        csv.refPriceVnd,
      ]);
      newCerts.push([
        crypto.randomUUID(),
        productId,
        csv.decisionNumber,
        csv.decisionDate,
        csv.issuerName,
        ...fresh,
      ]);
      outcomes.set(row.index, { index: row.index, outcome: "CREATED", productId, errors: [] });
      continue;
    }

    let changed = touched.has(row.index);
    const values = productValues(csv, producer.legalName, existing.values[3] as number | null);
    const productMask = changeMask(existing.values, values);
    if (productMask) productChanges.push({ id: existing.id, mask: productMask, values });

    const variant = variants.get(existing.id);
    if (!variant) {
      newVariants.push([
        crypto.randomUUID(),
        existing.id,
        producer.id,
        csv.refCode,
        csv.refUnit ?? "",
        csv.refPriceVnd,
      ]);
      changed = true;
    } else {
      // An empty cell means "not given": it never clears a pack or price set since.
      const variantValues = [csv.refUnit ?? variant.packSpec, csv.refPriceVnd ?? variant.priceVnd];
      const variantMask = changeMask([variant.packSpec, variant.priceVnd], variantValues);
      if (variantMask) variantChanges.push({ id: variant.id, mask: variantMask, values: variantValues });
      changed ||= variantMask !== 0;
    }

    const cert = (certs.get(existing.id) ?? []).find((c) => c.key === key);
    if (!cert) {
      newCerts.push([
        crypto.randomUUID(),
        existing.id,
        csv.decisionNumber,
        csv.decisionDate,
        csv.issuerName,
        ...fresh,
      ]);
      changed = true;
    } else {
      const certMask = changeMask(cert.values, fresh);
      if (certMask) certChanges.push({ id: cert.id, mask: certMask, values: fresh });
      changed ||= certMask !== 0;
    }
    changed ||= productMask !== 0;
    outcomes.set(row.index, {
      index: row.index,
      outcome: changed ? "UPDATED" : "UNCHANGED",
      productId: existing.id,
      errors: [],
    });
  }

  await insertRows(qr, "product", PRODUCT_COLUMNS, newProducts);
  await insertRows(qr, "variant", VARIANT_COLUMNS, newVariants);
  await insertRows(
    qr,
    "stock_level",
    [{ name: "variant_id", type: "uuid" }],
    newVariants.map((v) => [v[0]]),
  );
  await insertRows(qr, "ocop_certification", CERT_COLUMNS, newCerts);
  await updateChanged(qr, "product", PRODUCT_UPDATABLE, productChanges, { touchUpdatedAt: true });
  await updateChanged(qr, "variant", VARIANT_UPDATABLE, variantChanges, { touchUpdatedAt: true });
  await updateChanged(qr, "ocop_certification", CERT_UPDATABLE, certChanges, { touchUpdatedAt: false });

  return rows.map((r) => outcomes.get(r.index)!);
}

function producerKey(row: PreparedRow): string {
  return `${row.nameKey}|${row.address?.provinceCode ?? ""}`;
}

/**
 * Finds the chunk's producers and creates the missing ones (ON CONFLICT covers a concurrent
 * import creating the same producer). Empty profile fields are filled from the first row that
 * names the producer; rows that caused such a fill are marked in `touched`.
 */
async function resolveProducers(
  qr: QueryRunner,
  rows: PreparedRow[],
  touched: Set<number>,
): Promise<Map<string, ProducerRecord>> {
  const firstRow = new Map<string, PreparedRow>();
  for (const row of rows) if (!firstRow.has(producerKey(row))) firstRow.set(producerKey(row), row);
  const keys = [...firstRow.values()];
  const select = async (subset: PreparedRow[]) =>
    (await qr.query(
      `SELECT p.id, p.legal_name, p.name_key, p.province_code, ${PRODUCER_FILLABLE.map((c) => `p.${c.name}`).join(", ")}
         FROM producer p JOIN unnest($1::text[], $2::text[]) AS k(name_key, province_code)
           ON p.name_key = k.name_key AND coalesce(p.province_code, '') = k.province_code`,
      [subset.map((r) => r.nameKey), subset.map((r) => r.address?.provinceCode ?? "")],
    )) as Array<Record<string, string | null>>;

  const found = new Map<string, Record<string, string | null>>();
  const remember = (list: Array<Record<string, string | null>>) => {
    for (const p of list) found.set(`${p.name_key}|${p.province_code ?? ""}`, p);
  };
  remember(await select(keys));
  const missing = keys.filter((r) => !found.has(producerKey(r)));
  if (missing.length) {
    await qr.query(
      `INSERT INTO producer (${PRODUCER_COLUMNS.map((c) => c.name).join(", ")})
       SELECT * FROM unnest(${PRODUCER_COLUMNS.map((c, i) => `$${i + 1}::${c.type}[]`).join(", ")})
       ON CONFLICT (name_key, (coalesce(province_code, ''))) DO NOTHING`,
      PRODUCER_COLUMNS.map((_, i) => missing.map((r) => producerRow(r)[i])),
    );
    remember(await select(missing));
  }

  const fills: ChangedRow[] = [];
  for (const row of keys) {
    const stored = found.get(producerKey(row))!;
    const fresh = producerRow(row).slice(4);
    const values = PRODUCER_FILLABLE.map(
      (c) => fresh[PRODUCER_COLUMNS.slice(4).findIndex((x) => x.name === c.name)],
    );
    let mask = 0;
    PRODUCER_FILLABLE.forEach((c, i) => {
      if (stored[c.name] === null && values[i] !== null) mask |= 1 << i;
    });
    if (mask) {
      fills.push({ id: stored.id!, mask, values });
      touched.add(row.index);
    }
  }
  await updateChanged(qr, "producer", PRODUCER_FILLABLE, fills, { touchUpdatedAt: true });

  const out = new Map<string, ProducerRecord>();
  for (const [key, p] of found) {
    out.set(key, {
      id: p.id!,
      legalName: p.legal_name!,
      nameKey: p.name_key!,
      provinceCode: p.province_code,
    });
  }
  return out;
}

function producerRow(row: PreparedRow): unknown[] {
  const csv = row.csv;
  return [
    crypto.randomUUID(),
    csv.producerName,
    row.nameKey,
    csv.producerType,
    csv.addressRaw,
    csv.legacyProvince,
    csv.legacyDistrict,
    csv.legacyCommune,
    row.address?.provinceCode ?? null,
    row.address?.provinceName ?? null,
    row.address?.wardCode ?? null,
    row.address?.wardName ?? null,
  ];
}

/** Slugs unique per producer: "chanh-day-say-deo", then "-2", "-3", … on a clash. */
async function slugAllocator(
  qr: QueryRunner,
  producerIds: string[],
): Promise<(producerId: string, name: string) => string> {
  const taken = new Set<string>();
  const ids = [...new Set(producerIds)];
  if (ids.length) {
    for (const r of await qr.query(
      `SELECT producer_id, slug FROM product WHERE producer_id = ANY($1::uuid[])`,
      [ids],
    )) {
      taken.add(`${r.producer_id}|${r.slug}`);
    }
  }
  return (producerId, name) => {
    const base = slugify(name);
    let slug = base;
    for (let n = 2; taken.has(`${producerId}|${slug}`); n++) slug = `${base}-${n}`;
    taken.add(`${producerId}|${slug}`);
    return slug;
  };
}
