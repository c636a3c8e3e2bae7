/** Shopee signing against every published vector, the request hook, push signatures and classify(). */
import fs from "node:fs";
import path from "node:path";
import { classifyShopee } from "../../src/channels/connectors/shopee/shopee.errors";
import {
  hmacSha256Hex,
  sameSignature,
  shopeeBaseString,
  shopeePushSignature,
  shopeeSign,
  signShopeeRequest,
} from "../../src/channels/connectors/shopee/shopee.signing";
import type { OutgoingRequest } from "../../src/channels/connectors/http/types";

interface Vector {
  id: string;
  marketplace: string;
  inputs: Record<string, any>;
  base_string: string;
  expected_signature: string;
}

const vectors = (
  JSON.parse(fs.readFileSync(path.join(__dirname, "../fixtures/marketplace-vectors.json"), "utf8")) as {
    vectors: Vector[];
  }
).vectors.filter((v) => v.marketplace === "shopee");

describe("shopee signing vectors", () => {
  it("has the three published shopee vectors", () => {
    expect(vectors.map((v) => v.id).sort()).toEqual([
      "shopee-2-shop-api",
      "shopee-6-sdk-unit-test-primitive",
      "shopee-7-push-authorization",
    ]);
  });

  it.each(vectors.map((v) => [v.id, v] as const))("%s", (_id, v) => {
    const i = v.inputs;
    if (v.id === "shopee-2-shop-api") {
      const parts = {
        partnerId: i.partner_id,
        path: i.path,
        timestamp: i.timestamp,
        accessToken: i.access_token,
        shopId: i.shop_id,
      };
      expect(shopeeBaseString(parts)).toBe(v.base_string);
      expect(shopeeSign(i.partner_key, parts)).toBe(v.expected_signature);
    } else if (v.id === "shopee-6-sdk-unit-test-primitive") {
      expect((i.parts as string[]).join("")).toBe(v.base_string);
      expect(hmacSha256Hex(i.partner_key, v.base_string)).toBe(v.expected_signature);
    } else {
      const raw = Buffer.from(i.raw_body, "utf8");
      expect(shopeePushSignature(i.partner_key, i.callback_url, raw)).toBe(v.expected_signature);
      expect(sameSignature(v.expected_signature, v.expected_signature.toUpperCase())).toBe(true);
      const tampered = Buffer.from(i.raw_body.replace("READY_TO_SHIP", "CANCELLED"), "utf8");
      expect(shopeePushSignature(i.partner_key, i.callback_url, tampered)).not.toBe(v.expected_signature);
    }
  });
});

describe("signShopeeRequest", () => {
  const base = (auth: "app" | "shop"): OutgoingRequest => ({
    method: "GET",
    path: "/api/v2/shop/get_shop_info",
    query: { language: "vi" },
    headers: {},
    auth,
    endpoint: "shop.get_shop_info",
  });

  it("puts the common parameters in the query and signs the shop base string", () => {
    const v = vectors.find((x) => x.id === "shopee-2-shop-api")!.inputs;
    const req = base("shop");
    signShopeeRequest(req, {
      appKey: String(v.partner_id),
      appSecret: v.partner_key,
      accessToken: v.access_token,
      shopId: String(v.shop_id),
      now: v.timestamp * 1000 + 999,
    });
    expect(req.query).toEqual({
      language: "vi",
      partner_id: "2001887",
      timestamp: 1655714431,
      access_token: v.access_token,
      shop_id: "14701711",
      sign: "9261c164e84b7bf61aff409e1c724a476b57967918858c4c254550e0408a86a2",
    });
  });

  it("signs public calls without token or shop id", () => {
    const req = base("app");
    signShopeeRequest(req, {
      appKey: "2001887",
      appSecret: "k",
      accessToken: null,
      shopId: null,
      now: 1_000_000,
    });
    expect(req.query.access_token).toBeUndefined();
    expect(req.query.sign).toBe(hmacSha256Hex("k", "2001887/api/v2/shop/get_shop_info1000"));
  });

  it("refuses a shop call without a token", () => {
    expect(() =>
      signShopeeRequest(base("shop"), {
        appKey: "1",
        appSecret: "k",
        accessToken: null,
        shopId: "2",
        now: 0,
      }),
    ).toThrow(/access token/);
  });
});

describe("classifyShopee", () => {
  const env = (error: string, message = "", status = 200) => ({
    status,
    headers: {},
    body: { request_id: "r", error, message },
  });

  it.each([
    [
      "success",
      { status: 200, headers: {}, body: { request_id: "r", error: "", message: "", response: {} } },
      "success",
    ],
    ["wrong sign", env("error_sign", "Wrong sign.", 403), "fatal"],
    ["stale timestamp", env("error_param", "Invalid timestamp", 400), "fatal"],
    ["namespaced param error", env("product.error_param", "invalid field ItemId"), "fatal"],
    [
      "expired token (misspelt name)",
      env("invalid_acceess_token", "Invalid access_token.", 403),
      "refresh_token",
    ],
    ["expired token", env("invalid_access_token", "Invalid access_token."), "refresh_token"],
    ["error_auth on access token", env("error_auth", "Invalid access_token."), "refresh_token"],
    ["refused refresh token", env("error_auth", "Invalid refresh_token."), "needs_reauth"],
    ["shop left the partner", env("error_auth", "Invalid partner_id or shopid."), "needs_reauth"],
    ["missing API permission", env("error_auth", "No permission to current api."), "fatal"],
    ["refresh token expired", env("refresh_token_expired", "expired"), "needs_reauth"],
    [
      "too many requests",
      env("error_server", "Too many requests, please try again later", 429),
      "rate_limited",
    ],
    [
      "too many requests with 200",
      env("error_server", "Too many requests, please try again later"),
      "rate_limited",
    ],
    ["ads rate limit", env("ads.rate_limit.exceed_shop_api", "limit"), "rate_limited"],
    ["server busy", env("error_server", "Something wrong. Please try later.", 500), "retry"],
    ["inner error on 200", env("error_inner", "System error"), "retry"],
    ["system busy", env("product.error_system_busy", "busy"), "retry"],
    ["gateway 502 without envelope", { status: 502, headers: {}, body: "<html>Bad Gateway</html>" }, "retry"],
    ["bare 429", { status: 429, headers: { "retry-after": "2" }, body: "" }, "rate_limited"],
    ["2xx that is not JSON", { status: 200, headers: {}, body: "ok" }, "fatal"],
    ["unknown item", env("error_item_not_found", "Item_id is not found."), "fatal"],
  ])("%s", (_name, res, kind) => {
    expect(classifyShopee(res).kind).toBe(kind);
  });

  it("keeps the error name verbatim and honours Retry-After", () => {
    const cls = classifyShopee({
      status: 429,
      headers: { "retry-after": "3" },
      body: { error: "error_server", message: "Too many requests" },
    });
    expect(cls).toEqual({
      kind: "rate_limited",
      code: "error_server",
      message: "Too many requests",
      retryAfterMs: 3000,
    });
  });
});
