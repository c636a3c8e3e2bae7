import fs from "node:fs";
import path from "node:path";
import {
  pushSignature,
  requestSignature,
  sameSignature,
  signatureBase,
  signLazadaRequest,
} from "../../src/channels/connectors/lazada/lazada.signing";
import { classifyLazada } from "../../src/channels/connectors/lazada/lazada.errors";
import type { OutgoingRequest } from "../../src/channels/connectors/http/types";

interface Vector {
  id: string;
  marketplace: string;
  kind: string;
  inputs: Record<string, unknown>;
  base_string: string;
  expected_signature: string;
}

const vectors = (
  JSON.parse(fs.readFileSync(path.join(__dirname, "../fixtures/marketplace-vectors.json"), "utf8")) as {
    vectors: Vector[];
  }
).vectors.filter((v) => v.marketplace === "lazada");

describe("Lazada signing vectors", () => {
  it("has the request and push vectors", () => {
    expect(vectors.map((v) => v.id).sort()).toEqual([
      "lazada-1-doc-example",
      "lazada-2-sdk-snapshot-sort-order",
      "lazada-7-push-authorization",
    ]);
  });

  for (const v of vectors.filter((x) => x.kind === "request_sign")) {
    it(`request vector ${v.id}`, () => {
      const { app_secret, api_path, params } = v.inputs as {
        app_secret: string;
        api_path: string;
        params: Record<string, string | number>;
      };
      expect(signatureBase(api_path, params)).toBe(v.base_string);
      expect(requestSignature(api_path, params, app_secret)).toBe(v.expected_signature);
      // `sign` itself is never part of the base
      expect(requestSignature(api_path, { ...params, sign: "X" }, app_secret)).toBe(v.expected_signature);
    });
  }

  for (const v of vectors.filter((x) => x.kind.startsWith("webhook"))) {
    it(`push vector ${v.id}`, () => {
      const { app_key, app_secret, raw_body } = v.inputs as {
        app_key: string;
        app_secret: string;
        raw_body: string;
      };
      const sig = pushSignature(app_key, app_secret, Buffer.from(raw_body, "utf8"));
      expect(sig).toBe(v.expected_signature);
      expect(sameSignature(sig, v.expected_signature.toUpperCase())).toBe(true);
      expect(sameSignature(sig, v.expected_signature.replace(/.$/, "0"))).toBe(false);
      expect(sameSignature(sig, undefined)).toBe(false);
      const tampered = Buffer.from(raw_body.replace("unpaid", "pending"), "utf8");
      expect(pushSignature(app_key, app_secret, tampered)).not.toBe(v.expected_signature);
    });
  }
});

describe("signLazadaRequest", () => {
  const input = {
    appKey: "123456",
    appSecret: "helloworld",
    accessToken: "test",
    shopId: "1",
    now: 1517820392000,
  };

  it("reproduces the doc example when the hook adds the system params", () => {
    const req: OutgoingRequest = {
      method: "GET",
      path: "/order/get",
      query: { order_id: "1234" },
      headers: {},
      auth: "shop",
      endpoint: "order.get",
    };
    signLazadaRequest(req, input);
    expect(req.query).toMatchObject({
      app_key: "123456",
      timestamp: "1517820392000",
      sign_method: "sha256",
      access_token: "test",
    });
    expect(req.query.sign).toBe("4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A");
  });

  it("signs form-body params of a POST and leaves the token out of app calls", () => {
    const req: OutgoingRequest = {
      method: "POST",
      path: "/auth/token/create",
      query: {},
      headers: {},
      body: new URLSearchParams({ code: "0_abc" }),
      auth: "app",
      endpoint: "auth",
    };
    signLazadaRequest(req, input);
    expect(req.query.access_token).toBeUndefined();
    const expected = requestSignature(
      "/auth/token/create",
      { app_key: "123456", timestamp: "1517820392000", sign_method: "sha256", code: "0_abc" },
      "helloworld",
    );
    expect(req.query.sign).toBe(expected);
  });

  it("re-signs with a fresh timestamp on a retry", () => {
    const req: OutgoingRequest = {
      method: "GET",
      path: "/orders/get",
      query: {},
      headers: {},
      auth: "shop",
      endpoint: "x",
    };
    signLazadaRequest(req, input);
    const first = req.query.sign;
    signLazadaRequest(req, { ...input, now: input.now + 1000 });
    expect(req.query.timestamp).toBe(String(input.now + 1000));
    expect(req.query.sign).not.toBe(first);
  });

  it("skips file parts of a multipart upload", () => {
    const form = new FormData();
    form.append("image", new Blob([new Uint8Array([1, 2, 3])]), "a.jpg");
    const req: OutgoingRequest = {
      method: "POST",
      path: "/image/upload",
      query: {},
      headers: {},
      body: form,
      auth: "shop",
      endpoint: "x",
    };
    signLazadaRequest(req, input);
    const { sign, ...rest } = req.query;
    expect(sign).toBe(requestSignature("/image/upload", rest, "helloworld"));
  });
});

describe("classifyLazada", () => {
  const view = (body: unknown, status = 200, headers: Record<string, string> = {}) => ({
    status,
    headers,
    body,
  });

  it.each([
    [{ code: "0", data: {} }, "success"],
    [
      {
        code: "501",
        message: "E501: Update product failed",
        detail: [{ seller_sku: "A", message: "SELLER_SKU_NOT_FOUND" }],
      },
      "success",
    ],
    [{ code: "501", message: "E501: Update product failed" }, "fatal"],
    [
      {
        type: "ISV",
        code: "IllegalAccessToken",
        message: "The specified access token is invalid or expired",
      },
      "refresh_token",
    ],
    [{ type: "ISV", code: "IllegalRefreshToken", message: "invalid" }, "needs_reauth"],
    [
      {
        type: "ISV",
        code: "IncompleteSignature",
        message: "The request signature does not conform to lazop standards",
      },
      "fatal",
    ],
    [{ type: "ISV", code: "204", message: "E204: Too many SKU in one request" }, "fatal"],
    [{ type: "SYSTEM", code: "ServiceUnavailable", message: "temporary" }, "retry"],
    [
      { type: "ISP", code: "E901", message: "Limit service request speed in server side temporarily." },
      "rate_limited",
    ],
    [{ code: "0", result: { success: false, error_code: "X1", error_msg: "bad" } }, "fatal"],
  ])("%j → %s", (body, kind) => {
    expect(classifyLazada(view(body)).kind).toBe(kind);
  });

  it("reads the ban length of ApiCallLimit as the retry delay", () => {
    const c = classifyLazada(
      view({
        type: "ISP",
        code: "ApiCallLimit",
        message: "Api access frequency exceeds the limit. this ban will last 2 seconds",
      }),
    );
    expect(c).toMatchObject({ kind: "rate_limited", code: "ApiCallLimit", retryAfterMs: 2000 });
  });

  it("treats HTTP 429 and 5xx by status even without an envelope", () => {
    expect(classifyLazada(view("Too Many Requests", 429, { "retry-after": "3" }))).toMatchObject({
      kind: "rate_limited",
      retryAfterMs: 3000,
    });
    expect(classifyLazada(view("Service Unavailable", 503)).kind).toBe("retry");
    expect(classifyLazada(view("<html>oops</html>", 200)).kind).toBe("fatal");
  });
});
