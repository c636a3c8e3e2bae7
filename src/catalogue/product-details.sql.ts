/**
 * A product's producer, variants (each with its stock) and certifications as three JSON columns.
 * Used by the productDetails DataLoader and, when a query asks for them, inlined into the product
 * page query, so a page with everything costs one round trip (round trips dominate this hot path).
 */
import type { DataSource } from "typeorm";
import { fromJsonArrays, jsonArray } from "../common/entity-rows";
import { Producer } from "./entities/producer.entity";
import { Variant } from "./entities/variant.entity";
import { StockLevel } from "./entities/stock.entity";
import { OcopCertification } from "./entities/ocop-certification.entity";

export interface ProductDetails {
  producer: Producer;
  variants: Variant[];
  /** Stock of each variant, by variant id (absent when a variant has no stock row). */
  stock: Map<string, StockLevel>;
  certifications: OcopCertification[];
}

/** Each entity row is a positional JSON array (see common/entity-rows jsonArray). */
export interface DetailColumns {
  d_producer: unknown[];
  /** Variant columns, then the stock row's columns as one more (nested) element. */
  d_variants: unknown[][];
  d_certifications: unknown[][];
}

/** Select-list expressions for the product whose id and producer id are the given SQL expressions. */
export function productDetailColumns(ds: DataSource, id: string, producerId: string): string {
  return `(SELECT ${jsonArray(ds, Producer, "dpr")} FROM producer dpr WHERE dpr.id = ${producerId}) AS d_producer,
    (SELECT coalesce(json_agg(${jsonArray(ds, Variant, "dv", jsonArray(ds, StockLevel, "ds"))} ORDER BY dv.position, dv.sku), '[]')
       FROM variant dv LEFT JOIN stock_level ds ON ds.variant_id = dv.id WHERE dv.product_id = ${id}) AS d_variants,
    (SELECT coalesce(json_agg(${jsonArray(ds, OcopCertification, "dc")} ORDER BY dc.decision_date DESC NULLS LAST, dc.created_at DESC), '[]')
       FROM ocop_certification dc WHERE dc.product_id = ${id}) AS d_certifications`;
}

/**
 * Details fetched with a product (page query or loader) ride along with the instance, so field
 * resolvers can answer synchronously: no promise per field on the hottest path.
 */
const attached = new WeakMap<object, ProductDetails>();
const attachedStock = new WeakMap<object, StockLevel>();

export function attachDetails(product: object, d: ProductDetails): void {
  attached.set(product, d);
  for (const v of d.variants) {
    const level = d.stock.get(v.id);
    if (level) attachedStock.set(v, level);
  }
}

export function detailsOf(product: object): ProductDetails | undefined {
  return attached.get(product);
}

export function stockOf(variant: object): StockLevel | undefined {
  return attachedStock.get(variant);
}

export function parseProductDetails(ds: DataSource, row: DetailColumns): ProductDetails {
  const [producer] = fromJsonArrays(ds, Producer, [row.d_producer]);
  const variants = fromJsonArrays(ds, Variant, row.d_variants);
  const stock = new Map<string, StockLevel>();
  for (const v of row.d_variants) {
    const s = v[v.length - 1] as unknown[];
    if (s[0] !== null) {
      const [level] = fromJsonArrays(ds, StockLevel, [s]);
      stock.set(level.variantId, level);
    }
  }
  return {
    producer,
    variants,
    stock,
    certifications: fromJsonArrays(ds, OcopCertification, row.d_certifications),
  };
}
