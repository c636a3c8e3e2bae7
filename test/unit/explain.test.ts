/** explainFailure: remote codes of all four marketplaces → our code, vi/en message and hint. */
import { classifyFailure, explainFailure, EXPLANATIONS } from "../../src/sync/explain";
import type { MarketplaceCode } from "../../src/channels/connectors/connector";

const cases: Array<[MarketplaceCode, string, string | undefined, string, string]> = [
  // marketplace, remoteCode, remoteMessage, kind, expected
  ["shopee", "error_server", "Too many requests", "stock", "RATE_LIMITED"],
  ["shopee", "error_server", "Internal error", "stock", "REMOTE_UNAVAILABLE"],
  ["shopee", "invalid_acceess_token", "Invalid access_token.", "price", "AUTH_EXPIRED"],
  ["shopee", "error_auth", "Invalid refresh_token.", "price", "NEEDS_REAUTH"],
  ["shopee", "failure_list", "Wrong model_id.", "stock", "SKU_NOT_FOUND_REMOTE"],
  ["shopee", "failure_list", "Stock should be between 0 and 999999.", "stock", "STOCK_INVALID"],
  ["shopee", "failure_list", "System busy, try later", "stock", "REMOTE_UNAVAILABLE"],
  ["shopee", "error_price_out_of_range", "Price should be between", "price", "PRICE_OUT_OF_RANGE"],
  ["shopee", "invalid_value", "price must be a positive whole number of đồng", "price", "PRICE_OUT_OF_RANGE"],
  ["shopee", "product.error_category_invalid", "Invalid category ID 1", "listing", "CATEGORY_NOT_MAPPED"],
  ["shopee", "product.error_attribute_invalid", "attribute 100 is mandatory", "listing", "MISSING_ATTRIBUTE"],
  ["shopee", "error_invalid_image_format", "Image format should be JPG or PNG.", "listing", "IMAGE_REJECTED"],
  ["lazada", "SELLER_SKU_NOT_FOUND", "Update product failed", "stock", "SKU_NOT_FOUND_REMOTE"],
  ["lazada", "BIZ_CHECK_PRICE_IS_ZERO", undefined, "price", "PRICE_OUT_OF_RANGE"],
  ["lazada", "BIZ_CHECK_QUANTITY_INVALID", undefined, "stock", "STOCK_INVALID"],
  ["lazada", "ApiCallLimit", "ban will last 1 seconds", "stock", "RATE_LIMITED"],
  ["lazada", "IllegalRefreshToken", "refresh token invalid", "stock", "NEEDS_REAUTH"],
  ["lazada", "BIZ_CHECK_SELLER_SKU_DUPLICATE", undefined, "listing", "DUPLICATE_SKU_REMOTE"],
  ["tiktok-shop", "36009002", "Too many requests", "stock", "RATE_LIMITED"],
  ["tiktok-shop", "105002", "access token expired", "stock", "AUTH_EXPIRED"],
  ["tiktok-shop", "105005", "missing scope", "stock", "NEEDS_REAUTH"],
  ["tiktok-shop", "12052073", "The product price is invalid", "price", "PRICE_OUT_OF_RANGE"],
  ["tiktok-shop", "12019022", "sku ID is invalid", "stock", "SKU_NOT_FOUND_REMOTE"],
  ["tiktok-shop", "12052201", "title length invalid", "listing", "TITLE_TOO_LONG"],
  ["tiki", "HTTP_429", "Too Many Requests", "stock", "RATE_LIMITED"],
  ["tiki", "invalid_grant", "The refresh token is malformed", "stock", "NEEDS_REAUTH"],
  ["tiki", "PRODUCT_NOT_FOUND", "Product 1 not found", "price", "SKU_NOT_FOUND_REMOTE"],
  ["tiki", "HTTP_503", "Service Unavailable", "stock", "REMOTE_UNAVAILABLE"],
];

describe("explainFailure", () => {
  it.each(cases)("%s %s (%s) → %s", (marketplace, remoteCode, remoteMessage, kind, expected) => {
    expect(classifyFailure({ marketplace, remoteCode, remoteMessage, kind })).toBe(expected);
  });

  it("keeps our own code when the caller knows it", () => {
    expect(classifyFailure({ code: "NO_PRICE", marketplace: "tiki", kind: "price" })).toBe("NO_PRICE");
    expect(
      classifyFailure({
        code: "REMOTE_NOT_APPLIED",
        remoteCode: "READ_BACK",
        marketplace: "shopee",
        kind: "stock",
      }),
    ).toBe("REMOTE_NOT_APPLIED");
  });

  it("falls back to REMOTE_REJECTED quoting the marketplace's message", () => {
    const e = explainFailure({
      remoteCode: "E999",
      remoteMessage: "Sản phẩm bị khóa",
      marketplace: "lazada",
      kind: "stock",
    });
    expect(e.code).toBe("REMOTE_REJECTED");
    expect(e.messageVi).toBe('Lazada từ chối cập nhật tồn kho (Lazada: "Sản phẩm bị khóa").');
    expect(e.messageEn).toBe('Lazada rejected the stock update (Lazada: "Sản phẩm bị khóa").');
  });

  it("gives every code a Vietnamese and English message and hint", () => {
    for (const code of Object.keys(EXPLANATIONS)) {
      const e = explainFailure({ code, marketplace: "tiktok-shop", kind: "price" });
      expect(e.code).toBe(code);
      for (const text of [e.messageVi, e.messageEn, e.hintVi, e.hintEn])
        expect(text.length).toBeGreaterThan(10);
      expect(e.messageVi).not.toBe(e.messageEn);
      expect(e.hintVi).not.toBe(e.hintEn);
    }
  });
});
