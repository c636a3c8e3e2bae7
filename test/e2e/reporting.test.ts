/**
 * Programme reporting over real imported orders (the order import path): sums by star (the star in
 * force on the order's day), category, province and marketplace; cancelled, returned-to-stock,
 * unmapped and out-of-period lines left out; Vietnam-day boundaries; revenue past 2^31 as BigInt;
 * certificates expiring per month; producers without a channel; tenancy; the CSV route (BOM, auth).
 */
import { ApiKeyRole } from "../../src/auth/api-key.entity";
import { toGlobalId } from "../../src/common/graphql/global-id";
import { ManualClock } from "../../src/common/time";
import { importOrders } from "../../src/orders/order-import.service";
import { startTestHub, TestHub } from "../support/test-hub";
import { insertCatalogue, insertChannel, order } from "../support/order-fixture";
import { reportRoutes } from "../../src/reporting/report.routes";

let hub: TestHub;
const clock = new ManualClock(new Date("2026-11-26T05:00:00Z"));
let A: { producerId: string }, B: { producerId: string }, C: { producerId: string; name: string };
const FILTER = { from: "2026-11-01", to: "2026-11-30" };
const at = (iso: string) => Date.parse(iso);

async function certify(productId: string, star: number, validUntil: string): Promise<void> {
  await hub.db.dataSource.query(
    `INSERT INTO ocop_certification (product_id, star, decision_number, decision_date, issuer_level, issuer_name, valid_until, validity_basis, verification)
     VALUES ($1, $2, $3, '2024-01-10', 'PROVINCE', 'UBND tỉnh', $4, 'DECISION_DATE', 'A')`,
    [productId, star, `${star}-${validUntil}/QĐ-UBND`, validUntil],
  );
}

beforeAll(async () => {
  hub = await startTestHub({ clock, routes: (services) => [reportRoutes(services)] });
  const ds = hub.db.dataSource;
  const rt = hub.services.sync;
  const a = await insertCatalogue(ds, { "A-1": 100 });
  const b = await insertCatalogue(ds, { "B-1": 100 });
  const c = await insertCatalogue(ds, { "C-1": 5 });
  await ds.query(
    `UPDATE producer SET province_code = '01', province_name = 'Thành phố Hà Nội' WHERE id = $1`,
    [a.producerId],
  );
  await ds.query(`UPDATE producer SET province_code = '68', province_name = 'Tỉnh Lâm Đồng' WHERE id = $1`, [
    b.producerId,
  ]);
  await ds.query(`UPDATE product SET category = 'BEVERAGE' WHERE id = $1`, [b.productId]);
  // A legal name Excel would run as a formula, with a comma and quotes: the CSV must defuse and quote it.
  await ds.query(`UPDATE producer SET legal_name = $2 WHERE id = $1`, [c.producerId, '=HTX "Đèo", Cả']);
  await certify(a.productId, 4, "2027-01-10");
  await certify(b.productId, 3, "2026-11-15"); // in force through 15 Nov (Vietnam)
  await certify(c.productId, 4, "2027-10-31"); // last month of the 12-month window
  await certify(c.productId, 3, "2026-12-20");
  await ds.query(`UPDATE ocop_certification SET revoked_at = now() WHERE valid_until = '2026-12-20'`);
  const shopee = await insertChannel(ds, a.producerId, "shopee");
  const tiki = await insertChannel(ds, b.producerId, "tiki");
  const lazada = await insertChannel(ds, b.producerId, "lazada");
  const o = (lines: Parameters<typeof order>[0], iso: string) =>
    order(lines, { createdAt: at(iso), updatedAt: at(iso) });
  const o1 = o([{ sku: "A-1", quantity: 3, unitPriceVnd: 100_000 }], "2026-11-10T03:00:00Z");
  // 3 × 1,000,000,000 đ: totals past GraphQL's 32-bit Int.
  const o2 = o(
    [
      { sku: "A-1", quantity: 3, unitPriceVnd: 1_000_000_000 },
      { sku: "KHONG-RO", quantity: 7, unitPriceVnd: 1 },
    ],
    "2026-11-12T03:00:00Z",
  );
  const outOfPeriod = o([{ sku: "A-1", quantity: 9, unitPriceVnd: 1 }], "2026-10-31T16:59:00Z"); // 23:59 on 31 Oct in VN
  const nextMonthInVn = o([{ sku: "A-1", quantity: 9, unitPriceVnd: 1 }], "2026-11-30T17:30:00Z"); // 00:30 on 1 Dec in VN
  const firstDayInVn = o([{ sku: "A-1", quantity: 1, unitPriceVnd: 10 }], "2026-10-31T17:30:00Z"); // 00:30 on 1 Nov in VN
  await importOrders(rt, shopee, [o1, o2, outOfPeriod, nextMonthInVn, firstDayInVn], "PULL");
  const o3 = o([{ sku: "B-1", quantity: 2, unitPriceVnd: 50_000 }], "2026-11-15T16:00:00Z"); // 23:00 on 15 Nov: 3 sao
  await importOrders(rt, tiki, [o3], "PULL");
  const o4 = o([{ sku: "B-1", quantity: 1, unitPriceVnd: 50_000 }], "2026-11-15T17:00:00Z"); // 00:00 on 16 Nov: expired
  const cancelled = o([{ sku: "B-1", quantity: 4, unitPriceVnd: 50_000 }], "2026-11-18T03:00:00Z");
  await importOrders(rt, lazada, [o4, cancelled], "PULL");
  await importOrders(
    rt,
    lazada,
    [{ ...cancelled, status: "CANCELLED", remoteStatus: "CANCELLED", updatedAt: at("2026-11-18T04:00:00Z") }],
    "PULL",
  );
  A = a;
  B = b;
  C = { producerId: c.producerId, name: '=HTX "Đèo", Cả' };
});

afterAll(async () => {
  await hub?.close();
});

const QUERY = `query($f: ProgrammeReportFilter!) { programmeReport(filter: $f) {
  generatedOn
  totals { orders quantity revenueVnd }
  byStar { key label orders quantity revenueVnd }
  byCategory { key label orders quantity revenueVnd }
  byProvince { key label orders quantity revenueVnd }
  byMarketplace { key label orders quantity revenueVnd }
  expiringByMonth { month certificates products }
  producersWithoutChannel { producerId legalName activeProducts }
  csv
} }`;

test("sums by star (in force on the order's day), category, province and marketplace", async () => {
  const r = await hub.gql(QUERY, { f: FILTER });
  expect(r.errors).toBeUndefined();
  const p = r.data.programmeReport;
  // o1 + o2 (A-1 only) + firstDayInVn + o3 + o4; not the cancelled, unmapped or out-of-period lines.
  expect(p.totals).toEqual({
    orders: 5,
    quantity: 10,
    revenueVnd: 300_000 + 3_000_000_000 + 10 + 100_000 + 50_000,
  });
  expect(p.byStar).toEqual([
    { key: "4", label: "4 sao", orders: 3, quantity: 7, revenueVnd: 3_000_300_010 },
    { key: "3", label: "3 sao", orders: 1, quantity: 2, revenueVnd: 100_000 },
    { key: "NONE", label: "không sao", orders: 1, quantity: 1, revenueVnd: 50_000 },
  ]);
  expect(p.byCategory).toEqual([
    { key: "FOOD", label: "Thực phẩm", orders: 3, quantity: 7, revenueVnd: 3_000_300_010 },
    { key: "BEVERAGE", label: "Đồ uống", orders: 2, quantity: 3, revenueVnd: 150_000 },
  ]);
  expect(p.byProvince).toEqual([
    { key: "01", label: "Thành phố Hà Nội", orders: 3, quantity: 7, revenueVnd: 3_000_300_010 },
    { key: "68", label: "Tỉnh Lâm Đồng", orders: 2, quantity: 3, revenueVnd: 150_000 },
  ]);
  expect(p.byMarketplace).toEqual([
    { key: "shopee", label: "Shopee", orders: 3, quantity: 7, revenueVnd: 3_000_300_010 },
    { key: "tiki", label: "Tiki", orders: 1, quantity: 2, revenueVnd: 100_000 },
    { key: "lazada", label: "Lazada", orders: 1, quantity: 1, revenueVnd: 50_000 },
  ]);
  for (const dim of [p.byStar, p.byCategory, p.byProvince, p.byMarketplace]) {
    expect(dim.reduce((n: number, x: { revenueVnd: number }) => n + x.revenueVnd, 0)).toBe(
      p.totals.revenueVnd,
    );
    expect(dim.reduce((n: number, x: { quantity: number }) => n + x.quantity, 0)).toBe(p.totals.quantity);
  }
});

test("certificates expiring per month over the next 12 months; producers without a channel", async () => {
  const p = (await hub.gql(QUERY, { f: FILTER })).data.programmeReport;
  expect(p.generatedOn).toBe("2026-11-26");
  expect(p.expiringByMonth).toHaveLength(12);
  expect(p.expiringByMonth[0].month).toBe("2026-11");
  expect(p.expiringByMonth[11].month).toBe("2027-10");
  const nonZero = p.expiringByMonth.filter((m: { certificates: number }) => m.certificates > 0);
  // B's expired on 15 Nov (before today), C's 3-star is revoked.
  expect(nonZero).toEqual([
    { month: "2027-01", certificates: 1, products: 1 },
    { month: "2027-10", certificates: 1, products: 1 },
  ]);
  expect(p.producersWithoutChannel).toEqual([
    { producerId: toGlobalId("Producer", C.producerId), legalName: C.name, activeProducts: 1 },
  ]);
});

test("filters by province and producer; a producer key sees only its own figures", async () => {
  const byProvince = (await hub.gql(QUERY, { f: { ...FILTER, provinceCode: "68" } })).data.programmeReport;
  expect(byProvince.totals).toEqual({ orders: 2, quantity: 3, revenueVnd: 150_000 });
  const byProducer = (
    await hub.gql(QUERY, { f: { ...FILTER, producerId: toGlobalId("Producer", A.producerId) } })
  ).data.programmeReport;
  expect(byProducer.totals).toEqual({ orders: 3, quantity: 7, revenueVnd: 3_000_300_010 });

  const keyB = await hub.issueKey(ApiKeyRole.PRODUCER, B.producerId);
  const own = (await hub.gql(QUERY, { f: FILTER }, { key: keyB })).data.programmeReport;
  expect(own.totals).toEqual({ orders: 2, quantity: 3, revenueVnd: 150_000 });
  expect(own.byMarketplace.map((m: { key: string }) => m.key)).toEqual(["tiki", "lazada"]);
  expect(own.producersWithoutChannel).toEqual([]);
  expect(own.expiringByMonth.every((m: { certificates: number }) => m.certificates === 0)).toBe(true);
  // Asking for another producer gives nothing, not their figures.
  const other = (
    await hub.gql(
      QUERY,
      { f: { ...FILTER, producerId: toGlobalId("Producer", A.producerId) } },
      { key: keyB },
    )
  ).data.programmeReport;
  expect(other.totals).toEqual({ orders: 0, quantity: 0, revenueVnd: 0 });
  // A catalogue-only key sees no sales (orders need READ_ORDERS).
  const reader = await hub.issueKey(ApiKeyRole.INTEGRATOR_READ);
  const r = (await hub.gql(QUERY, { f: FILTER }, { key: reader })).data.programmeReport;
  expect(r.totals).toEqual({ orders: 0, quantity: 0, revenueVnd: 0 });
  expect(r.producersWithoutChannel).toHaveLength(1);
});

test("a bad period is refused with a message in the caller's language", async () => {
  const r = await hub.gql(QUERY, { f: { from: "2026-12-01", to: "2026-11-01" } }, { lang: "en" });
  expect(r.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
  expect(r.errors?.[0].message).toContain('Invalid report period: "from" must be on or before "to"');
});

test("CSV over HTTP: bearer auth, UTF-8 with BOM, the same figures", async () => {
  const origin = new URL(hub.url).origin;
  const url = `${origin}/reports/programme.csv?from=${FILTER.from}&to=${FILTER.to}`;
  expect((await fetch(url)).status).toBe(401);
  expect((await fetch(url, { headers: { authorization: "Bearer ohk_nope" } })).status).toBe(401);
  const res = await fetch(url, { headers: { authorization: `Bearer ${hub.adminKey}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
  const bytes = new Uint8Array(await res.arrayBuffer());
  expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes).slice(1);
  const lines = text.split("\r\n");
  expect(lines[0]).toBe(
    "muc/section,ma/key,ten/name,don_hang/orders,so_luong/quantity,doanh_thu_vnd/revenue_vnd,chung_nhan/certificates,san_pham/products",
  );
  expect(lines).toContain("TOTAL,2026-11-01..2026-11-30,,5,10,3000450010,,");
  expect(lines).toContain("BY_STAR,4,4 sao,3,7,3000300010,,");
  expect(lines).toContain("BY_PROVINCE,68,Tỉnh Lâm Đồng,2,3,150000,,");
  expect(lines).toContain("EXPIRING,2027-01,,,,,1,1");
  expect(lines).toContain(`NO_CHANNEL,${toGlobalId("Producer", C.producerId)},"'=HTX ""Đèo"", Cả",,,,,1`);
  // The GraphQL field carries the same table (without the BOM).
  const gql = (await hub.gql(QUERY, { f: FILTER })).data.programmeReport.csv;
  expect(gql).toBe(text);
  const bad = await fetch(`${origin}/reports/programme.csv?from=2026-13-01&to=2026-11-30`, {
    headers: { authorization: `Bearer ${hub.adminKey}` },
  });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { field: string }).field).toBe("filter.from");
});
