import fs from "node:fs";
import path from "node:path";
import { classifyTiktokResponse } from "../../src/channels/connectors/tiktok-shop/tiktok-shop.errors";
import {
  signTiktokRequest,
  tiktokBaseString,
  tiktokSign,
  tiktokWebhookSignature,
} from "../../src/channels/connectors/tiktok-shop/tiktok-shop.signing";
import type { HttpResponseView, OutgoingRequest } from "../../src/channels/connectors/http/types";

interface Vector {
  id: string;
  marketplace: string;
  kind: string;
  inputs: Record<string, any>;
  base_string: string;
  expected_signature: string;
}

const vectors = (
  JSON.parse(fs.readFileSync(path.join(__dirname, "../fixtures/marketplace-vectors.json"), "utf8")) as {
    vectors: Vector[];
  }
).vectors.filter((v) => v.marketplace === "tiktok");

describe("TikTok Shop signing vectors", () => {
  it("has the request and webhook vectors", () => {
    expect(vectors.map((v) => v.id)).toEqual(
      expect.arrayContaining([
        "tiktok-1-doc-example-get",
        "tiktok-2-sdk-unit-test",
        "tiktok-8-webhook-authorization",
      ]),
    );
  });

  for (const v of vectors.filter((x) => x.kind.startsWith("request_sign"))) {
    it(`reproduces ${v.id}`, () => {
      const { app_secret, path: p, query } = v.inputs;
      expect(tiktokBaseString(p, query, null)).toBe(v.base_string);
      expect(tiktokSign(app_secret, p, query, null)).toBe(v.expected_signature);
    });
  }

  for (const v of vectors.filter((x) => x.kind.startsWith("webhook"))) {
    it(`reproduces ${v.id}`, () => {
      const { app_key, app_secret, raw_body } = v.inputs;
      expect(tiktokWebhookSignature(app_key, app_secret, Buffer.from(raw_body, "utf8"))).toBe(
        v.expected_signature,
      );
    });
  }

  it("signRequest reproduces the doc example through the hook, token in the header", () => {
    const req: OutgoingRequest = {
      method: "GET",
      path: "/authorization/202309/shops",
      query: {},
      headers: {},
      auth: "app",
      endpoint: "authorization.shops",
    };
    signTiktokRequest(req, {
      appKey: "29a39d",
      appSecret: "e59af819cc",
      accessToken: "TTP_x",
      shopId: null,
      now: 1623812664_000,
    });
    expect(req.query).toEqual({
      app_key: "29a39d",
      timestamp: 1623812664,
      sign: "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8",
    });
    expect(req.headers["x-tts-access-token"]).toBe("TTP_x");
  });

  it("signs the exact JSON body sent, adds shop_cipher to shop calls, and re-signs idempotently", () => {
    const req: OutgoingRequest = {
      method: "POST",
      path: "/product/202309/products/1/prices/update",
      query: {},
      headers: {},
      body: { skus: [{ id: "9", price: { amount: "199000", currency: "VND" } }] },
      auth: "shop",
      endpoint: "x",
    };
    const input = {
      appKey: "k",
      appSecret: "s",
      accessToken: "t",
      shopId: "1",
      now: 1_700_000_000_000,
      extra: { shop_cipher: "ROW_c" },
    };
    signTiktokRequest(req, input);
    const body = req.body as string;
    expect(typeof body).toBe("string");
    expect(req.query.shop_cipher).toBe("ROW_c");
    const q = Object.fromEntries(Object.entries(req.query).map(([k, v]) => [k, String(v)]));
    expect(req.query.sign).toBe(tiktokSign("s", req.path, q, body));
    // Body changes the signature: it is covered.
    expect(req.query.sign).not.toBe(tiktokSign("s", req.path, q, null));
    const first = req.query.sign;
    signTiktokRequest(req, input);
    expect(req.query.sign).toBe(first);
  });

  it("never sends shop_cipher to authorization or image upload, and leaves token calls unsigned", () => {
    const input = {
      appKey: "k",
      appSecret: "s",
      accessToken: "t",
      shopId: "1",
      now: 1_700_000_000_000,
      extra: { shop_cipher: "c" },
    };
    const upload: OutgoingRequest = {
      method: "POST",
      path: "/product/202309/images/upload",
      query: {},
      headers: {},
      auth: "shop",
      endpoint: "u",
    };
    signTiktokRequest(upload, input);
    expect(upload.query.shop_cipher).toBeUndefined();
    const token: OutgoingRequest = {
      method: "GET",
      path: "/api/v2/token/get",
      query: { app_key: "k" },
      headers: {},
      auth: "app",
      endpoint: "t",
    };
    signTiktokRequest(token, { ...input, accessToken: null });
    expect(token.query).toEqual({ app_key: "k" });
  });
});

describe("TikTok Shop classify", () => {
  const res = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseView => ({
    status,
    headers,
    body,
  });
  const env = (code: number, message = "m") => ({ code, message, request_id: "r" });

  it.each([
    [res(200, { ...env(0, "Success"), data: {} }), "success"],
    [res(429, env(36009002)), "rate_limited"],
    [res(200, env(36009002)), "rate_limited"],
    [res(401, env(105002, "Expired credentials.")), "refresh_token"],
    [
      res(401, env(36009004, "Invalid credentials. The x-tts-access-token header is invalid.")),
      "refresh_token",
    ],
    [
      res(401, env(36009004, "Invalid timestamp. The value of the timestamp query parameter must not …")),
      "fatal",
    ],
    [res(401, env(106001, "Invalid credentials. The 'sign' query parameter is invalid.")), "fatal"],
    [res(200, env(105005)), "needs_reauth"],
    [res(401, env(101000)), "needs_reauth"],
    [res(500, env(36009007)), "retry"],
    [res(503, "<html>overloaded</html>"), "retry"],
    [res(502, ""), "retry"],
    [res(200, env(12019022, "sku ID is invalid")), "fatal"],
    [res(404, env(36009009)), "fatal"],
    [res(200, "not json"), "fatal"],
  ])("classifies %#", (r, kind) => {
    expect(classifyTiktokResponse(r).kind).toBe(kind);
  });

  it("keeps TikTok's code and message, and reads Retry-After", () => {
    const c = classifyTiktokResponse(res(429, env(36009002, "Too many requests."), { "retry-after": "2" }));
    expect(c).toEqual({
      kind: "rate_limited",
      code: "36009002",
      message: "Too many requests.",
      retryAfterMs: 2000,
    });
    expect(classifyTiktokResponse(res(200, env(12052073, "The product price is invalid")))).toEqual({
      kind: "fatal",
      code: "12052073",
      message: "The product price is invalid",
    });
  });
});
