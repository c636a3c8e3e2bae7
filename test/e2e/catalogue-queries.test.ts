/**
 * Catalogue reads over HTTP on the seeded catalogue: search, filters, paging, node lookups,
 * OCOP statistics, imports, and a fixed number of SQL statements per page (DataLoader).
 */
import { startTestHub, TestHub } from "../support/test-hub";
import { seedIfEmpty } from "../../src/catalogue/seed/seed.service";
import { createLogger } from "../../src/common/logger";

let sqlCount = 0;
let hub: TestHub;
let producerId: string;

const SEARCH = `query($q: String, $first: Int) { products(filter: { search: $q }, first: $first) { totalCount nodes { name } } }`;

beforeAll(async () => {
  hub = await startTestHub({ onQuery: () => sqlCount++ });
  await seedIfEmpty(hub.db.dataSource, createLogger("silent"));
  const r = await hub.gql(
    `{ products(first: 1, filter: { search: "Ninh Thới" }) { nodes { producer { id } } } }`,
  );
  producerId = r.data.products.nodes[0].producer.id;
  for (const name of ["Bưởi Thồ Tân Triều", "Buôi Thơ", "Trà xanh Tân Cương"]) {
    const c = await hub.gql(
      `mutation($input: CreateProductInput!) { createProduct(input: $input) { userErrors { field code } } }`,
      {
        input: {
          producerId,
          name,
          category: "FOOD",
          variants: [{ sku: `T-${name.length}-${name.charCodeAt(1)}` }],
        },
      },
    );
    expect(c.data.createProduct.userErrors).toEqual([]);
  }
});
afterAll(() => hub.close());

describe("Vietnamese search", () => {
  it.each([["buoi tho"], ["BƯỞI THỒ"], ["Bưởi Thồ".normalize("NFD")], ["bưởi   thồ"]])(
    "%p finds what a Vietnamese user means",
    async (q) => {
      const r = await hub.gql(SEARCH, { q });
      const names = r.data.products.nodes.map((n: { name: string }) => n.name);
      expect(names).toEqual(expect.arrayContaining(["Bưởi Thồ Tân Triều", "Buôi Thơ"]));
    },
  );

  it("ranks exact-accent matches first", async () => {
    const a = await hub.gql(SEARCH, { q: "Bưởi Thồ" });
    expect(a.data.products.nodes[0].name).toBe("Bưởi Thồ Tân Triều");
    const b = await hub.gql(SEARCH, { q: "Buôi Thơ" });
    expect(b.data.products.nodes[0].name).toBe("Buôi Thơ");
  });

  it("matches whole words only, with đ = d and common variants", async () => {
    const tra = await hub.gql(SEARCH, { q: "tra", first: 100 });
    const names: string[] = tra.data.products.nodes.map((n: { name: string }) => n.name);
    expect(names).toContain("Trà xanh Tân Cương");
    expect(names.some((n) => /trái/i.test(n))).toBe(false);
    const dong = await hub.gql(SEARCH, { q: "dong trung ha thao", first: 50 });
    expect(dong.data.products.totalCount).toBeGreaterThanOrEqual(3);
    for (const n of dong.data.products.nodes) expect(n.name.toLowerCase()).toContain("đông trùng hạ thảo");
    const macca = await hub.gql(SEARCH, { q: "mắc ca" });
    const macca2 = await hub.gql(SEARCH, { q: "macca" });
    expect(macca.data.products.totalCount).toBe(macca2.data.products.totalCount);
    expect(macca.data.products.totalCount).toBeGreaterThanOrEqual(5);
  });

  it("returns nothing for a query with no letters, and refuses an overlong one", async () => {
    const r = await hub.gql(SEARCH, { q: "!!!" });
    expect(r.data.products.totalCount).toBe(0);
    const long = await hub.gql(SEARCH, { q: "a".repeat(201) });
    expect(long.errors?.[0].extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "filter.search",
      reason: "TOO_LONG",
    });
  });
});

describe("filters, paging and nodes", () => {
  it("filters by star, category, province and certification status", async () => {
    const r = await hub.gql(`{
      five: products(filter: { star: 5 }) { totalCount nodes { currentStar } }
      herbal: products(filter: { category: HERBAL }) { totalCount }
      lamDong: products(filter: { provinceCode: "68" }) { totalCount nodes { producer { address { provinceName } } } }
      expiring: products(filter: { certificationStatus: EXPIRING }, first: 100) { totalCount nodes { currentCertification { status } } }
      all: products { totalCount }
    }`);
    expect(r.errors).toBeUndefined();
    expect(r.data.five.totalCount).toBe(10);
    expect(r.data.five.nodes.every((n: { currentStar: number }) => n.currentStar === 5)).toBe(true);
    expect(r.data.herbal.totalCount).toBe(14);
    expect(r.data.lamDong.totalCount).toBe(67);
    for (const n of r.data.lamDong.nodes) expect(n.producer.address.provinceName).toMatch(/Lâm Đồng/);
    expect(r.data.expiring.totalCount).toBeGreaterThan(0);
    for (const n of r.data.expiring.nodes) expect(n.currentCertification.status).toBe("EXPIRING");
    expect(r.data.all.totalCount).toBe(115);
  });

  it("pages with cursors and caps the page size", async () => {
    const p1 = await hub.gql(
      `{ products(first: 40) { totalCount pageInfo { hasNextPage endCursor } nodes { id } } }`,
    );
    const seen = new Set<string>(p1.data.products.nodes.map((n: { id: string }) => n.id));
    let cursor = p1.data.products.pageInfo.endCursor;
    let more = p1.data.products.pageInfo.hasNextPage;
    while (more) {
      const p = await hub.gql(
        `query($after: String) { products(first: 40, after: $after) { pageInfo { hasNextPage endCursor } nodes { id } } }`,
        { after: cursor },
      );
      for (const n of p.data.products.nodes) {
        expect(seen.has(n.id)).toBe(false);
        seen.add(n.id);
      }
      cursor = p.data.products.pageInfo.endCursor;
      more = p.data.products.pageInfo.hasNextPage;
    }
    expect(seen.size).toBe(p1.data.products.totalCount);
    const tooBig = await hub.gql(`{ products(first: 1000) { totalCount } }`);
    expect(tooBig.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    const badCursor = await hub.gql(`{ products(after: "nope") { totalCount } }`);
    expect(badCursor.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("resolves node(id) for every type and looks variants up by SKU", async () => {
    const r = await hub.gql(
      `{ products(first: 1, filter: { search: "Mắm nêm Seagull" }) { nodes { id producer { id } variants { id sku } certifications { id } } } }`,
    );
    const p = r.data.products.nodes[0];
    for (const [id, type] of [
      [p.id, "Product"],
      [p.producer.id, "Producer"],
      [p.variants[0].id, "Variant"],
      [p.certifications[0].id, "OcopCertification"],
    ]) {
      const n = await hub.gql(`query($id: ID!) { node(id: $id) { __typename id } }`, { id });
      expect(n.data.node).toEqual({ __typename: type, id });
    }
    const v = await hub.gql(
      `query($sku: String!, $pid: ID!) { variant(sku: $sku, producerId: $pid) { id stock { onHand reserved available } } }`,
      {
        sku: p.variants[0].sku,
        pid: p.producer.id,
      },
    );
    expect(v.data.variant.id).toBe(p.variants[0].id);
    expect(v.data.variant.stock.onHand).toBeGreaterThanOrEqual(20);
    const garbage = await hub.gql(`{ node(id: "bm9wZQ") { id } }`);
    expect(garbage.data.node).toBeNull();
  });

  it("uses a fixed number of SQL statements for a page, whatever its size", async () => {
    const q = `query($first: Int) { products(first: $first) { totalCount nodes { name producer { legalName address { provinceName } }
      variants { sku priceVnd stock { onHand available } } certifications { star status validUntil } currentStar } } }`;
    const count = async (first: number) => {
      await hub.gql(q, { first }); // warm any per-process cache (API key lookup)
      sqlCount = 0;
      await hub.gql(q, { first });
      return sqlCount;
    };
    const small = await count(5);
    const large = await count(50);
    expect(large).toBe(small);
    expect(large).toBeLessThanOrEqual(8);
  });
});

describe("OCOP statistics", () => {
  it("counts the seed as a provincial report would", async () => {
    const r = await hub.gql(
      `{ ocopStats(filter: { provinceCode: "68" }) { totalProducts byStar { star count } byCategory { category count } summary } }`,
      {},
      { lang: "en" },
    );
    expect(r.errors).toBeUndefined();
    const s = r.data.ocopStats;
    expect(s.byStar.reduce((a: number, b: { count: number }) => a + b.count, 0)).toBe(s.totalProducts);
    expect(s.summary).toMatch(
      /^\d+ products: \d+ five-star, \d+ potential five-star, \d+ four-star, \d+ three-star; Food \d+/,
    );
    const vi = await hub.gql(`{ ocopStats { totalProducts withoutCertificationInForce summary } }`);
    expect(vi.data.ocopStats.summary).toMatch(/sản phẩm 5 sao/);
    // Every product is counted once: either at a current star or as having none in force.
    const all = await hub.gql(`{ products { totalCount } }`);
    expect(vi.data.ocopStats.totalProducts + vi.data.ocopStats.withoutCertificationInForce).toBe(
      all.data.products.totalCount,
    );
  });
});

describe("importProducts", () => {
  const header =
    "id,name,producer,producer_type,star,category,category_source,province,district,commune,address,province_2025,commune_2025,commune_2025_code,year,decision,decision_date,expires,issuer,score,ref_price_vnd,ref_unit,verification,source_repo,source_path,source_url,notes";
  it("commits valid rows, reports bad ones with row and field, and changes nothing on re-import", async () => {
    const csv = [
      header,
      "IMP-1,Chè Shan tuyết,HTX Chè Suối Giàng,COOPERATIVE,4,Thực phẩm,,,,,,Lào Cai,,,2025,12/QĐ-UBND,2025-03-01,,UBND tỉnh Lào Cai,75.5,120000,gói 200g,A,,,,",
      "IMP-2,Mật ong bạc hà,HTX Mật ong Mèo Vạc,COOPERATIVE,7,Thực phẩm,,,,,,Tuyên Quang,,,2025,,,,,,,,B1,,,,",
      "IMP-3,Rượu ngô,Cơ sở Rượu ngô Bắc Hà,,3,Đồ uống,,,,,,Lào Cai,,,2024,,2024-13-40,,,,,,B1,,,,",
    ].join("\n");
    const q = `mutation($csv: String!) { importProducts(csv: $csv) { created updated unchanged failed rows { row outcome errors { field code message } product { name } } userErrors { code } } }`;
    const r = await hub.gql(q, { csv });
    expect(r.errors).toBeUndefined();
    const res = r.data.importProducts;
    expect([res.created, res.failed]).toEqual([1, 2]);
    expect(res.rows.map((x: { row: number; outcome: string }) => [x.row, x.outcome])).toEqual([
      [2, "CREATED"],
      [3, "FAILED"],
      [4, "FAILED"],
    ]);
    expect(res.rows[1].errors[0].field).toBe("star");
    expect(res.rows[2].errors[0].field).toBe("decision_date");
    const again = await hub.gql(q, { csv });
    expect([again.data.importProducts.created, again.data.importProducts.unchanged]).toEqual([0, 1]);
    const missing = await hub.gql(q, { csv: "id,name\nX,Y" });
    expect(missing.data.importProducts.userErrors[0].code).toBe("CSV_MISSING_COLUMNS");
  });
});
