/**
 * A product's producer, variants (each with its stock) and certifications as three JSON columns.
 * Used by the productDetails DataLoader and, when a query asks for them, inlined into the product
 * page query, so a page with everything costs one round trip (round trips dominate this hot path).
 */
import type { DataSource } from "typeorm";
import { hydrateJson, jsonObject } from "../common/entity-rows";
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

export interface DetailColumns {
  d_producer: object;
  d_variants: Array<object & { stock: { variantId: string | null } }>;
  d_certifications: object[];
}

/** Select-list expressions for the product whose id and producer id are the given SQL expressions. */
export function productDetailColumns(ds: DataSource, id: string, producerId: string): string {
  return `(SELECT ${jsonObject(ds, Producer, "dpr")} FROM producer dpr WHERE dpr.id = ${producerId}) AS d_producer,
    (SELECT coalesce(json_agg(${jsonObject(ds, Variant, "dv", `'stock', ${jsonObject(ds, StockLevel, "ds")}`)}
              ORDER BY dv.position, dv.sku), '[]')
       FROM variant dv LEFT JOIN stock_level ds ON ds.variant_id = dv.id WHERE dv.product_id = ${id}) AS d_variants,
    (SELECT coalesce(json_agg(${jsonObject(ds, OcopCertification, "dc")} ORDER BY dc.decision_date DESC NULLS LAST, dc.created_at DESC), '[]')
       FROM ocop_certification dc WHERE dc.product_id = ${id}) AS d_certifications`;
}

export function parseProductDetails(ds: DataSource, row: DetailColumns): ProductDetails {
  const [producer] = hydrateJson(ds, Producer, [row.d_producer]);
  const stock = new Map<string, StockLevel>();
  const variants = hydrateJson(
    ds,
    Variant,
    row.d_variants.map(({ stock: s, ...v }) => {
      if (s.variantId) {
        const [level] = hydrateJson(ds, StockLevel, [s]);
        stock.set(level.variantId, level);
      }
      return v;
    }),
  );
  return {
    producer,
    variants,
    stock,
    certifications: hydrateJson(ds, OcopCertification, row.d_certifications),
  };
}
