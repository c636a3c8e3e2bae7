import { startTestHub, TestHub } from "../support/test-hub";
import { ApiKeyRole } from "../../src/auth/api-key.entity";

const CREATE_PRODUCER = `mutation($input: CreateProducerInput!) { createProducer(input: $input) { producer { id legalName type address { provinceCode provinceName wardCode wardName } } userErrors { field code message } } }`;
const CREATE_PRODUCT = `mutation($input: CreateProductInput!) { createProduct(input: $input) {
  product { id name slug category variants { id sku priceVnd stock { onHand reserved available } } }
  userErrors { field code message } } }`;

describe("catalogue API over HTTP", () => {
  let hub: TestHub;
  let producerId: string;
  beforeAll(async () => {
    hub = await startTestHub();
    const r = await hub.gql(CREATE_PRODUCER, {
      input: {
        legalName: "Hợp tác xã Cà phê Bích Thao",
        address: { raw: "Thôn 10, xã Trường Xuân, tỉnh Lâm Đồng", wardCode: "24730" },
      },
    });
    expect(r.errors).toBeUndefined();
    expect(r.data.createProducer.userErrors).toEqual([]);
    producerId = r.data.createProducer.producer.id;
    expect(r.data.createProducer.producer.type).toBe("COOPERATIVE");
    expect(r.data.createProducer.producer.address.provinceName).toMatch(/Lâm Đồng/);
  });
  afterAll(() => hub.close());

  it("refuses requests without a valid key", async () => {
    const none = await hub.gql(`{ products { totalCount } }`, {}, { key: null });
    expect(none.errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
    const bad = await hub.gql(`{ products { totalCount } }`, {}, { key: "ohk_not-a-real-key" });
    expect(bad.errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("creates a product with variants and stock, and finds it without accents", async () => {
    const r = await hub.gql(CREATE_PRODUCT, {
      input: {
        producerId,
        name: "Cà phê bột nguyên chất".normalize("NFD"),
        productSetNo: 13,
        variants: [
          { sku: "BT-CF-250", packSpec: "gói 250g", priceVnd: 95000, initialStock: 40 },
          { sku: "BT-CF-500", packSpec: "gói 500g", priceVnd: 180000 },
        ],
      },
    });
    expect(r.data.createProduct.userErrors).toEqual([]);
    const p = r.data.createProduct.product;
    expect(p.name).toBe("Cà phê bột nguyên chất".normalize("NFC"));
    expect(p.category).toBe("FOOD");
    expect(p.variants[0].stock).toEqual({ onHand: 40, reserved: 0, available: 40 });

    for (const q of ["ca phe bot", "CÀ PHÊ", "cafe", "Bích Thao"]) {
      const s = await hub.gql(
        `query($q: String) { products(filter: { search: $q }) { totalCount nodes { name } } }`,
        { q },
      );
      expect({ q, n: s.data.products.totalCount }).toEqual({ q, n: 1 });
    }
    const none = await hub.gql(`{ products(filter: { search: "ca phe sua" }) { totalCount } }`);
    expect(none.data.products.totalCount).toBe(0);
  });

  it("rejects bad input with userErrors in Vietnamese or English and changes nothing", async () => {
    const before = await hub.gql(`{ products { totalCount } }`);
    const bad = {
      input: { producerId, name: "", category: "FOOD", variants: [{ sku: "bad sku!", priceVnd: -5 }] },
    };
    const vi = await hub.gql(CREATE_PRODUCT, bad);
    expect(vi.data.createProduct.product).toBeNull();
    const fields = vi.data.createProduct.userErrors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(["name", "variants.0.priceVnd", "variants.0.sku"]);
    expect(vi.data.createProduct.userErrors.find((e: any) => e.field === "variants.0.sku").message).toMatch(
      /SKU chỉ gồm/,
    );
    const en = await hub.gql(CREATE_PRODUCT, bad, { lang: "en-US,en;q=0.9" });
    expect(en.data.createProduct.userErrors.find((e: any) => e.field === "variants.0.sku").message).toMatch(
      /A SKU uses/,
    );
    const after = await hub.gql(`{ products { totalCount } }`);
    expect(after.data.products.totalCount).toBe(before.data.products.totalCount);
  });

  it("keeps producer keys to their own producer", async () => {
    const other = await hub.gql(CREATE_PRODUCER, { input: { legalName: "Công ty TNHH Seagull" } });
    const otherId = other.data.createProducer.producer.id;
    const key = await hub.issueKey(
      ApiKeyRole.PRODUCER,
      Buffer.from(Buffer.from(otherId, "base64url").toString().split(":")[1]).toString(),
    );
    const list = await hub.gql(`{ products { totalCount } producers { totalCount } }`, {}, { key });
    expect(list.data.products.totalCount).toBe(0);
    expect(list.data.producers.totalCount).toBe(1);
    const seen = await hub.gql(`query($id: ID!) { producer(id: $id) { id } }`, { id: producerId }, { key });
    expect(seen.data.producer).toBeNull();
    const write = await hub.gql(
      CREATE_PRODUCT,
      { input: { producerId, name: "X", category: "FOOD", variants: [{ sku: "X-1" }] } },
      { key },
    );
    expect(write.errors?.[0].extensions?.code).toBe("FORBIDDEN");
  });
});
