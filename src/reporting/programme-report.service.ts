/**
 * Programme reporting: the figures a provincial OCOP office reports, from the hub's own data.
 *
 * - Sales over a period from imported marketplace orders: quantity, revenue (whole đồng, quantity ×
 *   unit price paid) and order count, by star, by OCOP category, by province and by marketplace.
 *   A line counts when it is a sale in progress or done (RESERVED, SOLD, OVERSOLD); cancelled
 *   (RELEASED), returned and unmapped lines do not (an unmapped line has no product to attribute).
 *   The order's day is the marketplace's creation time (else the import time) in Vietnam. The star
 *   is the one in force on that day (a product sold before its certificate expired counts under its
 *   star), "none" otherwise.
 * - Certificates expiring per month over the next 12 months (in force, not revoked or superseded).
 * - Producers with no channel yet (no marketplace shop other than disconnected ones).
 *
 * Tenancy as everywhere: sales need READ_ORDERS, the rest READ_CATALOGUE, each limited to the
 * producers the caller may see (platform admins and provincial offices see all theirs).
 */
import type { DataSource } from "typeorm";
import { Scope, Viewer, producerFilter } from "../auth/viewer";
import { UserErrors } from "../common/errors";
import { Clock, daysBetween, isIsoDate, vnToday } from "../common/time";
import { CATEGORY_NAMES, OcopCategory } from "../catalogue/ocop";
import type { Locale } from "../common/i18n";
import { toGlobalId } from "../common/graphql/global-id";

export const MAX_PERIOD_DAYS = 731;

export interface ReportFilter {
  /** YYYY-MM-DD, inclusive (Vietnam days). */
  from: string;
  to: string;
  provinceCode?: string | null;
  producerId?: string | null;
}

export interface SalesFigures {
  orders: number;
  quantity: number;
  /** Whole đồng; may exceed 2^31 (BigInt in GraphQL). */
  revenueVnd: number;
}

export interface SalesRow extends SalesFigures {
  /** Star as text ("3", "4", "5") or "NONE"; category code; province code (or "UNKNOWN"); marketplace code. */
  key: string;
  label: string;
}

export interface ExpiringMonth {
  /** YYYY-MM */
  month: string;
  certificates: number;
  products: number;
}

export interface ProducerWithoutChannel {
  /** Global id. */
  producerId: string;
  legalName: string;
  provinceCode: string | null;
  provinceName: string | null;
  activeProducts: number;
}

export interface ProgrammeReport {
  filter: ReportFilter;
  generatedOn: string;
  totals: SalesFigures;
  byStar: SalesRow[];
  byCategory: SalesRow[];
  byProvince: SalesRow[];
  byMarketplace: SalesRow[];
  expiringByMonth: ExpiringMonth[];
  producersWithoutChannel: ProducerWithoutChannel[];
}

const MARKETPLACE_NAMES: Record<string, string> = {
  shopee: "Shopee",
  lazada: "Lazada",
  "tiktok-shop": "TikTok Shop",
  tiki: "Tiki",
};

/** Checks the period; the first problem as a userError. */
export function validateReportFilter(f: ReportFilter): void {
  if (!isIsoDate(f.from))
    throw UserErrors.one("filter.from", "INVALID_FORMAT", { hint: "YYYY-MM-DD", value: f.from });
  if (!isIsoDate(f.to))
    throw UserErrors.one("filter.to", "INVALID_FORMAT", { hint: "YYYY-MM-DD", value: f.to });
  const days = daysBetween(f.from, f.to);
  if (days < 0 || days >= MAX_PERIOD_DAYS)
    throw UserErrors.one("filter", "REPORT_PERIOD", { max: MAX_PERIOD_DAYS });
}

export class ProgrammeReportService {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
  ) {}

  async report(viewer: Viewer, filter: ReportFilter, locale: Locale = "vi"): Promise<ProgrammeReport> {
    validateReportFilter(filter);
    const today = vnToday(this.clock.now());
    const [lines, expiring, without] = await Promise.all([
      this.sales(viewer, filter),
      this.expiring(viewer, filter, today),
      this.withoutChannel(viewer, filter),
    ]);
    // Orders are counted distinctly per group in SQL (an order can span stars or categories).
    const group = (dim: "star" | "category" | "province" | "marketplace"): SalesRow[] => {
      const m = new Map<string, SalesRow>();
      for (const r of lines.rows.filter((x) => x.dim === dim)) {
        m.set(r.key, {
          key: r.key,
          label: r.label,
          orders: r.orders,
          quantity: r.quantity,
          revenueVnd: Number(r.revenue),
        });
      }
      return [...m.values()].sort((a, b) => b.revenueVnd - a.revenueVnd || a.key.localeCompare(b.key));
    };
    const label = (dim: string, key: string, name: string | null): string => {
      if (dim === "star") return key === "NONE" ? (locale === "en" ? "no star" : "không sao") : `${key} sao`;
      if (dim === "category") return CATEGORY_NAMES[key as OcopCategory]?.[locale] ?? key;
      if (dim === "marketplace") return MARKETPLACE_NAMES[key] ?? key;
      return name ?? (locale === "en" ? "unknown province" : "chưa rõ tỉnh");
    };
    for (const r of lines.rows) r.label = label(r.dim, r.key, r.name);
    return {
      filter,
      generatedOn: today,
      totals: lines.totals,
      byStar: group("star"),
      byCategory: group("category"),
      byProvince: group("province"),
      byMarketplace: group("marketplace"),
      expiringByMonth: expiring,
      producersWithoutChannel: without,
    };
  }

  /** Producer conditions shared by every part: caller's scope, filter's producer and province. */
  private scoped(
    viewer: Viewer,
    f: ReportFilter,
    scope: Scope,
    params: unknown[],
    producerCol: string,
    provinceCol: string,
  ): string[] {
    const w: string[] = [];
    const ids = producerFilter(viewer, scope);
    if (ids) {
      params.push(ids);
      w.push(`${producerCol} = ANY($${params.length}::uuid[])`);
    }
    if (f.producerId) {
      params.push(f.producerId);
      w.push(`${producerCol} = $${params.length}::uuid`);
    }
    if (f.provinceCode) {
      params.push(f.provinceCode);
      w.push(`${provinceCol} = $${params.length}`);
    }
    return w;
  }

  private async sales(
    viewer: Viewer,
    f: ReportFilter,
  ): Promise<{
    totals: SalesFigures;
    rows: Array<{
      dim: string;
      key: string;
      name: string | null;
      label: string;
      orders: number;
      quantity: number;
      revenue: string;
    }>;
  }> {
    const params: unknown[] = [f.from, f.to];
    const w = this.scoped(viewer, f, Scope.READ_ORDERS, params, "o.producer_id", "pr.province_code");
    // One pass over the lines, grouped by every dimension at once (GROUPING SETS).
    const rows: Array<{
      g_star: number;
      g_cat: number;
      g_prov: number;
      g_mkt: number;
      star: number | null;
      category: string | null;
      province_code: string | null;
      province_name: string | null;
      marketplace: string | null;
      orders: number;
      quantity: number;
      revenue: string;
    }> = await this.ds.query(
      `WITH l AS (
         SELECT o.id AS order_id, c.marketplace, p.category, pr.province_code, pr.province_name,
                ol.quantity, ol.quantity::bigint * ol.unit_price_vnd AS revenue,
                (SELECT cc.star FROM ocop_current_cert(p.id, (coalesce(o.remote_created_at, o.imported_at) AT TIME ZONE 'Asia/Ho_Chi_Minh')::date) cc
                  WHERE cc.status IN ('ACTIVE','EXPIRING')) AS star
           FROM order_line ol
           JOIN marketplace_order o ON o.id = ol.order_id
           JOIN channel c ON c.id = o.channel_id
           JOIN variant v ON v.id = ol.variant_id
           JOIN product p ON p.id = v.product_id
           JOIN producer pr ON pr.id = o.producer_id
          WHERE ol.state IN ('RESERVED','SOLD','OVERSOLD')
            AND (coalesce(o.remote_created_at, o.imported_at) AT TIME ZONE 'Asia/Ho_Chi_Minh')::date BETWEEN $1::date AND $2::date
            ${w.length ? `AND ${w.join(" AND ")}` : ""})
       SELECT GROUPING(star)::int AS g_star, GROUPING(category)::int AS g_cat,
              GROUPING(province_code, province_name)::int AS g_prov, GROUPING(marketplace)::int AS g_mkt,
              star, category, province_code, province_name, marketplace,
              count(DISTINCT order_id)::int AS orders, coalesce(sum(quantity), 0)::int AS quantity,
              coalesce(sum(revenue), 0)::text AS revenue
         FROM l
        GROUP BY GROUPING SETS ((), (star), (category), (province_code, province_name), (marketplace))`,
      params,
    );
    let totals: SalesFigures = { orders: 0, quantity: 0, revenueVnd: 0 };
    const out: Array<{
      dim: string;
      key: string;
      name: string | null;
      label: string;
      orders: number;
      quantity: number;
      revenue: string;
    }> = [];
    for (const r of rows) {
      const figures = { orders: r.orders, quantity: r.quantity, revenue: r.revenue };
      if (r.g_star && r.g_cat && r.g_prov && r.g_mkt) {
        totals = { orders: r.orders, quantity: r.quantity, revenueVnd: Number(r.revenue) };
      } else if (!r.g_star) {
        out.push({
          dim: "star",
          key: r.star === null ? "NONE" : String(r.star),
          name: null,
          label: "",
          ...figures,
        });
      } else if (!r.g_cat) {
        out.push({ dim: "category", key: r.category!, name: null, label: "", ...figures });
      } else if (!r.g_prov) {
        out.push({
          dim: "province",
          key: r.province_code ?? "UNKNOWN",
          name: r.province_name,
          label: "",
          ...figures,
        });
      } else {
        out.push({ dim: "marketplace", key: r.marketplace!, name: null, label: "", ...figures });
      }
    }
    return { totals, rows: out };
  }

  private async expiring(viewer: Viewer, f: ReportFilter, today: string): Promise<ExpiringMonth[]> {
    const params: unknown[] = [today];
    const w = this.scoped(viewer, f, Scope.READ_CATALOGUE, params, "p.producer_id", "pr.province_code");
    const rows: Array<{ month: string; certificates: number; products: number }> = await this.ds.query(
      `SELECT to_char(c.valid_until, 'YYYY-MM') AS month, count(*)::int AS certificates,
              count(DISTINCT c.product_id)::int AS products
         FROM ocop_certification c
         JOIN product p ON p.id = c.product_id
         JOIN producer pr ON pr.id = p.producer_id
        WHERE c.revoked_at IS NULL AND c.superseded_at IS NULL
          AND c.valid_until >= $1::date
          AND c.valid_until < (date_trunc('month', $1::date) + interval '12 months')::date
          AND p.status <> 'ARCHIVED'
          ${w.length ? `AND ${w.join(" AND ")}` : ""}
        GROUP BY 1`,
      params,
    );
    const byMonth = new Map(rows.map((r) => [r.month, r]));
    const out: ExpiringMonth[] = [];
    const [y, m] = today.split("-").map(Number);
    for (let i = 0; i < 12; i++) {
      const d = new Date(Date.UTC(y, m - 1 + i, 1));
      const month = d.toISOString().slice(0, 7);
      const r = byMonth.get(month);
      out.push({ month, certificates: r?.certificates ?? 0, products: r?.products ?? 0 });
    }
    return out;
  }

  private async withoutChannel(viewer: Viewer, f: ReportFilter): Promise<ProducerWithoutChannel[]> {
    const params: unknown[] = [];
    const w = this.scoped(viewer, f, Scope.READ_CATALOGUE, params, "pr.id", "pr.province_code");
    const rows: Array<{
      id: string;
      legal_name: string;
      province_code: string | null;
      province_name: string | null;
      products: number;
    }> = await this.ds.query(
      `SELECT pr.id, pr.legal_name, pr.province_code, pr.province_name,
              (SELECT count(*) FROM product p WHERE p.producer_id = pr.id AND p.status = 'ACTIVE')::int AS products
         FROM producer pr
        WHERE NOT EXISTS (SELECT 1 FROM channel c WHERE c.producer_id = pr.id AND c.status <> 'DISCONNECTED')
          ${w.length ? `AND ${w.join(" AND ")}` : ""}
        ORDER BY products DESC, pr.legal_name, pr.id
        LIMIT 1000`,
      params,
    );
    return rows.map((r) => ({
      producerId: toGlobalId("Producer", r.id),
      legalName: r.legal_name,
      provinceCode: r.province_code,
      provinceName: r.province_name,
      activeProducts: r.products,
    }));
  }
}

/** One CSV cell: quoted when it holds a comma, quote or line break; formula-like text is defused. */
function cell(v: string | number | null): string {
  if (v === null) return "";
  let s = String(v);
  // Excel runs cells starting with = + - @ as formulas: a producer name must never do that.
  if (typeof v === "string" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The report as one CSV table (section, key, name, figures): UTF-8; the HTTP route adds the BOM
 * that makes Excel read Vietnamese correctly. Header names are Vietnamese and English.
 */
export function reportCsv(r: ProgrammeReport): string {
  const head = [
    "muc/section",
    "ma/key",
    "ten/name",
    "don_hang/orders",
    "so_luong/quantity",
    "doanh_thu_vnd/revenue_vnd",
    "chung_nhan/certificates",
    "san_pham/products",
  ];
  const out: Array<Array<string | number | null>> = [head];
  const period = `${r.filter.from}..${r.filter.to}`;
  out.push(["TOTAL", period, "", r.totals.orders, r.totals.quantity, r.totals.revenueVnd, null, null]);
  const sales = (section: string, rows: SalesRow[]) =>
    rows.forEach((x) => out.push([section, x.key, x.label, x.orders, x.quantity, x.revenueVnd, null, null]));
  sales("BY_STAR", r.byStar);
  sales("BY_CATEGORY", r.byCategory);
  sales("BY_PROVINCE", r.byProvince);
  sales("BY_MARKETPLACE", r.byMarketplace);
  for (const e of r.expiringByMonth)
    out.push(["EXPIRING", e.month, "", null, null, null, e.certificates, e.products]);
  for (const p of r.producersWithoutChannel)
    out.push(["NO_CHANNEL", p.producerId, p.legalName, null, null, null, null, p.activeProducts]);
  return out.map((row) => row.map(cell).join(",")).join("\r\n") + "\r\n";
}
