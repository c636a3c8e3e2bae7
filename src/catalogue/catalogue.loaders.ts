/**
 * Request-scoped DataLoaders: a page of products with producers, variants, stock and certifications
 * costs a fixed number of SQL statements whatever the page size.
 */
import DataLoader from "dataloader";
import { DataSource, In } from "typeorm";
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
  return {
    organization: new DataLoader<string, Organization | null>(async (ids) =>
      byKey(ids, await ds.getRepository(Organization).findBy({ id: In([...ids]) }), (o) => o.id),
    ),
    producer: new DataLoader<string, Producer | null>(async (ids) =>
      byKey(ids, await ds.getRepository(Producer).findBy({ id: In([...ids]) }), (p) => p.id),
    ),
    product: new DataLoader<string, Product | null>(async (ids) =>
      byKey(ids, await ds.getRepository(Product).findBy({ id: In([...ids]) }), (p) => p.id),
    ),
    variant: new DataLoader<string, Variant | null>(async (ids) =>
      byKey(ids, await ds.getRepository(Variant).findBy({ id: In([...ids]) }), (v) => v.id),
    ),
    variantsByProduct: new DataLoader<string, Variant[]>(async (ids) =>
      groupBy(
        ids,
        await ds
          .getRepository(Variant)
          .find({ where: { productId: In([...ids]) }, order: { position: "ASC", sku: "ASC" } }),
        (v) => v.productId,
      ),
    ),
    stock: new DataLoader<string, StockLevel | null>(async (ids) =>
      byKey(ids, await ds.getRepository(StockLevel).findBy({ variantId: In([...ids]) }), (s) => s.variantId),
    ),
    certificationsByProduct: new DataLoader<string, OcopCertification[]>(async (ids) =>
      groupBy(
        ids,
        await ds.getRepository(OcopCertification).find({
          where: { productId: In([...ids]) },
          order: { decisionDate: { direction: "DESC", nulls: "LAST" }, createdAt: "DESC" },
        }),
        (c) => c.productId,
      ),
    ),
    certification: new DataLoader<string, OcopCertification | null>(async (ids) =>
      byKey(ids, await ds.getRepository(OcopCertification).findBy({ id: In([...ids]) }), (c) => c.id),
    ),
  };
}

export type CatalogueLoaders = ReturnType<typeof createCatalogueLoaders>;
