/**
 * Catalogue reads: filtered, searched and paginated product and producer lists, and the OCOP
 * statistics a provincial office reports. Every read is confined to what the caller may see.
 */
import { DataSource } from "typeorm";
import { Viewer, producerFilter } from "../auth/viewer";
import { UserErrors } from "../common/errors";
import { idOf } from "../common/graphql/global-id";
import { PageWindow } from "../common/graphql/relay";
import { nfc, searchTerms } from "../common/text";
import { Clock, vnToday } from "../common/time";
import { CertificationStatus, OcopCategory, ProducerType } from "./ocop";
import type { ProductFilter } from "./graphql/catalogue.inputs";
import { hydrate, selectList } from "../common/entity-rows";
import { Product } from "./entities/product.entity";
import { Producer } from "./entities/producer.entity";
import {
  DetailColumns,
  attachDetails,
  ProductDetails,
  parseProductDetails,
  productDetailColumns,
} from "./product-details.sql";

/** Builds a parameterised WHERE clause. */
class Sql {
  readonly params: unknown[] = [];
  readonly where: string[] = [];
  p(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
}

/** Every group must match a word: single words as one containment test, alternatives as overlaps. */
function wordsMatch(column: string, terms: string[][], q: Sql): string {
  const groups = terms.slice(0, 10);
  const single = groups.filter((g) => g.length === 1).map((g) => g[0]);
  const parts = single.length ? [`${column} @> ${q.p(single)}::text[]`] : [];
  for (const g of groups.filter((g) => g.length > 1)) parts.push(`${column} && ${q.p(g)}::text[]`);
  return parts.join(" AND ");
}

/** Drops the ranking columns the page query adds. */
function stripRank<T extends { _exact?: unknown; _words?: unknown }>(
  rows: T[],
): Array<Omit<T, "_exact" | "_words">> {
  return rows.map(({ _exact, _words, ...rest }) => rest);
}

export interface Page<T> {
  /** Up to `limit + 1` rows: the extra one tells the connection that a next page exists. */
  rows: T[];
  count: () => Promise<number>;
}

export interface ProductPage extends Page<Product> {
  /** Present when asked for: each row's producer, variants with stock, and certifications. */
  details: Map<string, ProductDetails> | null;
}

export interface OcopStatsFilter {
  provinceCode?: string | null;
  category?: OcopCategory | null;
  producerId?: string | null;
  organizationId?: string | null;
}

export interface OcopStatsResult {
  totalProducts: number;
  producers: number;
  byStar: Array<{ star: number; count: number }>;
  potentialFiveStar: number;
  byCategory: Array<{ category: OcopCategory; count: number }>;
  byProvince: Array<{ provinceCode: string | null; provinceName: string | null; count: number }>;
  byProducerType: Array<{ type: ProducerType; count: number }>;
  expiringSoon: number;
  withoutCertificationInForce: number;
}

export class CatalogueQuery {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
  ) {}

  private today(): string {
    return vnToday(this.clock.now());
  }

  /** One page of products, in display order, plus a lazy total count. */
  async productPage(
    viewer: Viewer,
    filter: ProductFilter | null | undefined,
    win: PageWindow,
    opts: { withDetails?: boolean; withCount?: boolean } = {},
  ): Promise<ProductPage> {
    const f = filter ?? {};
    const q = new Sql();
    const joins: string[] = [];
    const scope = producerFilter(viewer);
    if (scope) q.where.push(`p.producer_id = ANY(${q.p(scope)}::uuid[])`);
    if (f.producerId) {
      const id = idOf("Producer", f.producerId);
      if (!id)
        throw UserErrors.one("filter.producerId", "NOT_FOUND", {
          entity: "chủ thể / producer",
          id: f.producerId,
        });
      q.where.push(`p.producer_id = ${q.p(id)}`);
    }
    if (!f.includeArchived) q.where.push(`p.status = 'ACTIVE'`);
    if (f.category) q.where.push(`p.category = ${q.p(f.category)}`);
    if (f.productSetNo != null) q.where.push(`p.product_set_no = ${q.p(f.productSetNo)}`);
    if (f.provinceCode) {
      joins.push(`JOIN producer pr ON pr.id = p.producer_id`);
      q.where.push(`pr.province_code = ${q.p(f.provinceCode)}`);
    }
    if (f.star != null || f.certificationStatus || f.potentialFiveStar != null) {
      joins.push(`CROSS JOIN LATERAL ocop_current_cert(p.id, ${q.p(this.today())}::date) cc`);
      const inForce = `cc.status IN ('ACTIVE','EXPIRING')`;
      if (f.star != null) q.where.push(`cc.star = ${q.p(f.star)} AND ${inForce}`);
      if (f.potentialFiveStar != null)
        q.where.push(`cc.potential_five_star = ${q.p(f.potentialFiveStar)} AND ${inForce}`);
      if (f.certificationStatus) q.where.push(`cc.status = ${q.p(f.certificationStatus)}`);
    }
    const search = f.search ? nfc(f.search) : "";
    if (search.length > 200) throw UserErrors.one("filter.search", "TOO_LONG", { max: 200 });
    const terms = search ? searchTerms(search) : [];
    if (search && terms.length === 0) return { rows: [], details: null, count: async () => 0 };
    // Whole words ("tra" must not match "trái" or "trần"), through the GIN index on search_words.
    if (terms.length) q.where.push(wordsMatch("p.search_words", terms, q));
    const from = `FROM product p ${joins.join(" ")} ${q.where.length ? `WHERE ${q.where.join(" AND ")}` : ""}`;
    const whereParams = [...q.params];
    // Ranking: names containing the query with its exact accents first, then the names closest to
    // it in length (fewest words), then alphabetical; all cheap, even over many matches. The rank
    // is selected as columns so the details query can restore the page order.
    const exact = terms.length ? q.p(search.toLowerCase().replace(/\s+/g, " ")) : null;
    const rank = exact
      ? `, (strpos(lower(p.name), ${exact}) > 0) AS "_exact", array_length(p.search_words, 1) AS "_words"`
      : "";
    const order = (t: string, key: string) =>
      exact ? `${t}."_exact" DESC, ${t}."_words", ${t}.${key}, ${t}.id` : `${t}.${key}, ${t}.id`;
    const pageSql = `SELECT * FROM (SELECT ${selectList(this.ds, Product, "p")}${rank} ${from}) p
      ORDER BY ${order("p", `"searchKey"`)} OFFSET ${q.p(win.offset)} LIMIT ${q.p(win.limit + 1)}`;
    const countNow = async () =>
      (await this.ds.query(`SELECT count(*)::int AS n ${from}`, whereParams))[0].n as number;
    // When the caller will want the total, count on another connection while the page is fetched.
    const early = opts.withCount ? countNow() : null;
    early?.catch(() => undefined); // awaited (and its error surfaced) by count()
    const count = () => early ?? countNow();
    if (!opts.withDetails) {
      return {
        rows: hydrate(Product, stripRank(await this.ds.query(pageSql, q.params))),
        details: null,
        count,
      };
    }
    // Details are computed for the page's rows only (after LIMIT), then the page order is restored.
    const rows: Array<Product & DetailColumns & { _exact?: boolean; _words?: number }> = await this.ds.query(
      `WITH page AS MATERIALIZED (${pageSql})
       SELECT page.*, ${productDetailColumns(this.ds, "page.id", `page."producerId"`)}
         FROM page ORDER BY ${order("page", `"searchKey"`)}`,
      q.params,
    );
    const details = new Map<string, ProductDetails>();
    const products = hydrate(
      Product,
      stripRank(rows).map(({ d_producer, d_variants, d_certifications, ...p }) => {
        details.set(p.id, parseProductDetails(this.ds, { d_producer, d_variants, d_certifications }));
        return p;
      }),
    );
    for (const p of products) attachDetails(p, details.get(p.id)!);
    return { rows: products, details, count };
  }

  async producerPage(
    viewer: Viewer,
    filter:
      | { provinceCode?: string | null; type?: ProducerType | null; search?: string | null }
      | null
      | undefined,
    win: PageWindow,
  ): Promise<Page<Producer>> {
    const f = filter ?? {};
    const q = new Sql();
    const scope = producerFilter(viewer);
    if (scope) q.where.push(`pr.id = ANY(${q.p(scope)}::uuid[])`);
    if (f.provinceCode) q.where.push(`pr.province_code = ${q.p(f.provinceCode)}`);
    if (f.type) q.where.push(`pr.type = ${q.p(f.type)}`);
    if (f.search) {
      const terms = searchTerms(f.search);
      if (terms.length) q.where.push(wordsMatch("pr.name_words", terms, q));
    }
    const from = `FROM producer pr ${q.where.length ? `WHERE ${q.where.join(" AND ")}` : ""}`;
    const whereParams = [...q.params];
    const rows = await this.ds.query(
      `SELECT ${selectList(this.ds, Producer, "pr")} ${from} ORDER BY pr.name_key, pr.id OFFSET ${q.p(win.offset)} LIMIT ${q.p(win.limit + 1)}`,
      q.params,
    );
    return {
      rows: hydrate(Producer, rows),
      count: async () => (await this.ds.query(`SELECT count(*)::int AS n ${from}`, whereParams))[0].n,
    };
  }

  /** Counts as provincial reports give them: each product once, at its current star. */
  async ocopStats(viewer: Viewer, filter: OcopStatsFilter | null | undefined): Promise<OcopStatsResult> {
    const f = filter ?? {};
    const q = new Sql();
    const today = q.p(this.today());
    q.where.push(`p.status = 'ACTIVE'`);
    const scope = producerFilter(viewer);
    if (scope) q.where.push(`p.producer_id = ANY(${q.p(scope)}::uuid[])`);
    if (f.producerId) q.where.push(`p.producer_id = ${q.p(idOf("Producer", f.producerId))}`);
    if (f.organizationId) q.where.push(`pr.organization_id = ${q.p(idOf("Organization", f.organizationId))}`);
    if (f.provinceCode) q.where.push(`pr.province_code = ${q.p(f.provinceCode)}`);
    if (f.category) q.where.push(`p.category = ${q.p(f.category)}`);
    const rows: Array<{
      star: number | null;
      potential: boolean | null;
      status: string | null;
      category: OcopCategory;
      province_code: string | null;
      province_name: string | null;
      type: ProducerType;
      producer_id: string;
      n: number;
    }> = await this.ds.query(
      `SELECT cc.star, cc.potential_five_star AS potential, cc.status, p.category, pr.province_code, pr.province_name,
              pr.type, p.producer_id, count(*)::int AS n
         FROM product p
         JOIN producer pr ON pr.id = p.producer_id
         LEFT JOIN LATERAL ocop_current_cert(p.id, ${today}::date) cc ON true
        WHERE ${q.where.join(" AND ")}
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8`,
      q.params,
    );
    const inForce = (s: string | null) =>
      s === CertificationStatus.ACTIVE || s === CertificationStatus.EXPIRING;
    const add = <K>(map: Map<K, number>, k: K, n: number) => map.set(k, (map.get(k) ?? 0) + n);
    const byStar = new Map<number, number>();
    const byCategory = new Map<OcopCategory, number>();
    const byProvince = new Map<string | null, { name: string | null; n: number }>();
    const byType = new Map<ProducerType, number>();
    const producers = new Set<string>();
    let total = 0;
    let potential = 0;
    let expiring = 0;
    let without = 0;
    for (const r of rows) {
      if (!inForce(r.status)) {
        without += r.n;
        continue;
      }
      total += r.n;
      producers.add(r.producer_id);
      add(byStar, r.star!, r.n);
      if (r.potential) potential += r.n;
      if (r.status === CertificationStatus.EXPIRING) expiring += r.n;
      add(byCategory, r.category, r.n);
      add(byType, r.type, r.n);
      const prov = byProvince.get(r.province_code) ?? { name: r.province_name, n: 0 };
      prov.n += r.n;
      byProvince.set(r.province_code, prov);
    }
    return {
      totalProducts: total,
      producers: producers.size,
      byStar: [5, 4, 3].map((star) => ({ star, count: byStar.get(star) ?? 0 })),
      potentialFiveStar: potential,
      byCategory: Object.values(OcopCategory)
        .map((category) => ({ category, count: byCategory.get(category) ?? 0 }))
        .filter((c) => c.count > 0),
      byProvince: [...byProvince.entries()]
        .map(([provinceCode, v]) => ({ provinceCode, provinceName: v.name, count: v.n }))
        .sort((a, b) => b.count - a.count),
      byProducerType: [...byType.entries()]
        .map(([type, count]) => ({ type, count }))
        .sort((a, b) => b.count - a.count),
      expiringSoon: expiring,
      withoutCertificationInForce: without,
    };
  }
}
