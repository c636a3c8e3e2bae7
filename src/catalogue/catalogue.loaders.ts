/**
 * Request-scoped DataLoaders: a page of products with producers, variants, stock and certifications
 * costs a fixed number of SQL statements whatever the page size. Hand-written SQL (see
 * common/entity-rows) keeps this hot path cheap: `productDetails` brings a page's producers,
 * variants with stock, and certifications in ONE statement, since every round trip costs more than
 * the rows it carries.
 */
import DataLoader from "dataloader";
import { DataSource } from "typeorm";
import { hydrate, selectList } from "../common/entity-rows";
import {
  DetailColumns,
  ProductDetails,
  parseProductDetails,
  productDetailColumns,
} from "./product-details.sql";
import { Producer } from "./entities/producer.entity";
import { Product } from "./entities/product.entity";
import { Variant } from "./entities/variant.entity";
import { StockLevel } from "./entities/stock.entity";
import { OcopCertification } from "./entities/ocop-certification.entity";
import { Organization } from "./entities/organization.entity";

function byKey<K, V>(keys: readonly K[], rows: V[], key: (v: V) => K): Array<V | null> {
  const map = new Map<K, V>();
  for (const r of rows) map.set(key(r), r);
  return keys.map((k) => map.get(k) ?? null);
}

function groupBy<K, V>(keys: readonly K[], rows: V[], key: (v: V) => K): V[][] {
  const map = new Map<K, V[]>();
  for (const r of rows) {
    const k = key(r);
    const list = map.get(k);
    if (list) list.push(r);
    else map.set(k, [r]);
  }
  return keys.map((k) => map.get(k) ?? []);
}

export function createCatalogueLoaders(ds: DataSource) {
  const byIds = <T extends { id: string }>(cls: new () => T, table: string) =>
    new DataLoader<string, T | null>(async (ids) =>
      byKey(
        ids,
        hydrate(
          cls,
          await ds.query(`SELECT ${selectList(ds, cls, "t")} FROM ${table} t WHERE t.id = ANY($1::uuid[])`, [
            ids,
          ]),
        ),
        (r) => r.id,
      ),
    );
  const stock = new DataLoader<string, StockLevel | null>(async (ids) =>
    byKey(
      ids,
      hydrate(
        StockLevel,
        await ds.query(
          `SELECT ${selectList(ds, StockLevel, "s")} FROM stock_level s WHERE s.variant_id = ANY($1::uuid[])`,
          [ids],
        ),
      ),
      (s) => s.variantId,
    ),
  );
  const variantsByProduct = new DataLoader<string, Variant[]>(async (ids) => {
    const rows: Array<
      Variant & { s_on_hand: number | null; s_reserved: number | null; s_updated_at: Date | null }
    > = await ds.query(
      `SELECT ${selectList(ds, Variant, "v")}, s.on_hand AS s_on_hand, s.reserved AS s_reserved, s.updated_at AS s_updated_at
         FROM variant v LEFT JOIN stock_level s ON s.variant_id = v.id
        WHERE v.product_id = ANY($1::uuid[]) ORDER BY v.position, v.sku`,
      [ids],
    );
    const variants = rows.map(({ s_on_hand, s_reserved, s_updated_at, ...v }) => {
      if (s_on_hand !== null) {
        stock.prime(
          v.id,
          Object.assign(new StockLevel(), {
            variantId: v.id,
            onHand: s_on_hand,
            reserved: s_reserved!,
            updatedAt: s_updated_at!,
          }),
        );
      }
      return v;
    });
    return groupBy(ids, hydrate(Variant, variants), (v) => v.productId);
  });
  const producer = byIds(Producer, "producer");
  const certificationsByProduct = new DataLoader<string, OcopCertification[]>(async (ids) =>
    groupBy(
      ids,
      hydrate(
        OcopCertification,
        await ds.query(
          `SELECT ${selectList(ds, OcopCertification, "c")} FROM ocop_certification c
            WHERE c.product_id = ANY($1::uuid[]) ORDER BY c.decision_date DESC NULLS LAST, c.created_at DESC`,
          [ids],
        ),
      ),
      (c) => c.productId,
    ),
  );

  /** Producer, variants with stock, and certifications of many products in one statement. */
  const productDetails = new DataLoader<string, ProductDetails>(async (ids) => {
    const rows: Array<DetailColumns & { id: string }> = await ds.query(
      `SELECT p.id, ${productDetailColumns(ds, "p.id", "p.producer_id")} FROM product p WHERE p.id = ANY($1::uuid[])`,
      [ids],
    );
    const byId = new Map(rows.map((r) => [r.id, parseProductDetails(ds, r)]));
    for (const [id, d] of byId) primeDetails(id, d);
    return ids.map((id) => byId.get(id) ?? new Error(`product ${id} not found`));
  });

  /** Shares details fetched elsewhere (the page query) with every loader. */
  const primeDetails = (productId: string, d: ProductDetails) => {
    productDetails.prime(productId, d);
    producer.prime(d.producer.id, d.producer);
    variantsByProduct.prime(productId, d.variants);
    certificationsByProduct.prime(productId, d.certifications);
    for (const [variantId, level] of d.stock) stock.prime(variantId, level);
  };

  return {
    productDetails,
    primeDetails,
    organization: byIds(Organization, "organization"),
    producer,
    product: byIds(Product, "product"),
    variant: byIds(Variant, "variant"),
    certification: byIds(OcopCertification, "ocop_certification"),
    variantsByProduct,
    stock,
    certificationsByProduct,
  };
}

export type CatalogueLoaders = ReturnType<typeof createCatalogueLoaders>;
