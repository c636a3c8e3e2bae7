import {
  isoVn,
  normalizeStatus,
  parseLazadaTime,
  parseVndAmount,
  productPayload,
  toOrderLines,
  type LazadaOrderItem,
} from "../../src/channels/connectors/lazada/lazada.mapper";

describe("Lazada mapper", () => {
  it("writes filters in Vietnam time and reads Lazada's date strings back", () => {
    const ms = Date.parse("2024-06-01T02:30:15.789Z");
    expect(isoVn(ms)).toBe("2024-06-01T09:30:15+07:00");
    expect(parseLazadaTime("2024-06-01 09:30:15 +0700")).toBe(Date.parse("2024-06-01T02:30:15Z"));
    expect(parseLazadaTime("2024-06-01T09:30:15+07:00")).toBe(Date.parse("2024-06-01T02:30:15Z"));
    expect(parseLazadaTime("1717209015000")).toBe(1717209015000);
    expect(parseLazadaTime("not a date")).toBeNull();
  });

  it("reads decimal money strings as whole đồng", () => {
    expect(parseVndAmount("150000.00")).toBe(150000);
    expect(parseVndAmount(99000)).toBe(99000);
    expect(parseVndAmount("")).toBeNull();
  });

  it("takes the least advanced live item status as the order status", () => {
    expect(normalizeStatus(["pending", "ready_to_ship"])).toBe("PENDING");
    expect(normalizeStatus(["canceled", "shipped"])).toBe("SHIPPED");
    expect(normalizeStatus(["canceled"])).toBe("CANCELLED");
    expect(normalizeStatus(["confirmed"])).toBe("COMPLETED");
    expect(normalizeStatus(["failed_delivery"])).toBe("RETURNED");
  });

  it("groups per-unit order items into lines and leaves cancelled units out", () => {
    const item = (id: number, sku: string, status = "pending"): LazadaOrderItem => ({
      order_item_id: id,
      order_id: 1,
      sku,
      sku_id: `S-${sku}`,
      product_id: 9,
      name: "Cà phê",
      variation: "gói 250g",
      item_price: "120000.00",
      status,
      created_at: "2024-06-01 09:30:15 +0700",
      updated_at: "2024-06-01 09:30:15 +0700",
    });
    const lines = toOrderLines([item(12, "A"), item(11, "A"), item(13, "B"), item(14, "B", "canceled")]);
    expect(lines).toEqual([
      expect.objectContaining({
        externalLineId: "11",
        sku: "A",
        quantity: 2,
        unitPriceVnd: 120000,
        title: "Cà phê - gói 250g",
      }),
      expect.objectContaining({ externalLineId: "13", sku: "B", quantity: 1 }),
    ]);
  });

  it("builds a JSON payload that keeps NFC Vietnamese text and puts variants on the sale property", () => {
    const nfd = "Cà phê Đắk Nông".normalize("NFD");
    const payload = JSON.parse(
      productPayload(
        {
          key: "CF-1",
          title: nfd,
          description: "Mô tả",
          categoryId: "10000011",
          attributes: { coffee_type: "Cà phê hạt" },
          images: ["https://img/1.jpg"],
          weightGrams: 250,
          variants: [
            { sku: "CF-1", optionName: "gói 250g", priceVnd: 120000, stock: 5 },
            { sku: "CF-2", optionName: "gói 500g", priceVnd: 230000, stock: 3, externalSkuId: "77" },
          ],
        },
        "variation",
      ),
    );
    const p = payload.Request.Product;
    expect(p.Attributes.name).toBe("Cà phê Đắk Nông".normalize("NFC"));
    expect(p.Attributes.brand).toBe("No Brand");
    expect(p.Skus.Sku[0]).toEqual({
      SellerSku: "CF-1",
      price: "120000",
      quantity: "5",
      package_weight: "0.250",
      variation: "gói 250g",
    });
    // a create ignores remote ids; only updates address SKUs by SkuId
    expect(p.Skus.Sku[1].SkuId).toBeUndefined();
    expect(p.ItemId).toBeUndefined();
  });
});
