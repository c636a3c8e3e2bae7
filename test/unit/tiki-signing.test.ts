import fs from "node:fs";
import path from "node:path";
import { classifyTiki, readTikiError } from "../../src/channels/connectors/tiki/tiki.errors";
import {
  formatTikiTime,
  normalizeStatus,
  parseTikiTime,
} from "../../src/channels/connectors/tiki/tiki.mapper";
import {
  basicAuthorization,
  signTiki,
  verifyWebhookSignature,
  webhookSignature,
} from "../../src/channels/connectors/tiki/tiki.signing";
import type { HttpResponseView, OutgoingRequest } from "../../src/channels/connectors/http/types";

interface Vector {
  id: string;
  marketplace: string;
  inputs: Record<string, string>;
  base_string: string;
  expected_signature: string;
}

const vectors = (
  JSON.parse(fs.readFileSync(path.join(__dirname, "../fixtures/marketplace-vectors.json"), "utf8")) as {
    vectors: Vector[];
  }
).vectors.filter((v) => v.marketplace === "tiki");

const res = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseView => ({
  status,
  headers,
  body,
});

const request = (auth: "app" | "shop", headers: Record<string, string> = {}): OutgoingRequest => ({
  method: "GET",
  path: "/integration/v2/sellers/me",
  query: {},
  headers,
  auth,
  endpoint: "seller.me",
});

describe("tiki signing vectors", () => {
  it("has at least one tiki vector", () => {
    expect(vectors.length).toBeGreaterThan(0);
  });

  it.each(vectors.map((v) => [v.id, v] as const))("%s", (_id, v) => {
    expect(`${v.inputs.client_id}:${v.inputs.client_secret}`).toBe(v.base_string);
    expect(basicAuthorization(v.inputs.client_id, v.inputs.client_secret)).toBe(v.expected_signature);
    // The SignHook puts exactly that header on an app-level (token endpoint) call.
    const req = request("app");
    signTiki(req, {
      appKey: v.inputs.client_id,
      appSecret: v.inputs.client_secret,
      accessToken: null,
      shopId: null,
      now: 0,
    });
    expect(req.headers.Authorization).toBe(v.expected_signature);
  });
});

describe("signTiki", () => {
  const input = { appKey: "k", appSecret: "s", accessToken: "tok-123", shopId: "1", now: 1 };

  it("sends the access token as a Bearer header on shop calls and adds nothing else", () => {
    const req = request("shop");
    signTiki(req, input);
    expect(req.headers).toEqual({ Authorization: "Bearer tok-123" });
    expect(req.query).toEqual({});
  });

  it("refuses a shop call without a token", () => {
    expect(() => signTiki(request("shop"), { ...input, accessToken: null })).toThrow(/access token/);
  });

  it("keeps an Authorization header an app call already carries", () => {
    const req = request("app", { Authorization: "Bearer fresh" });
    signTiki(req, input);
    expect(req.headers.Authorization).toBe("Bearer fresh");
  });
});

describe("tiki webhook signature", () => {
  const body = Buffer.from(
    '{"id":"e1","type":"ORDER_STATUS_UPDATED","payload":{"order_code":"1","status":"canceled"}}',
  );

  it("is sha1= plus lower-hex HMAC-SHA1 of the raw body", () => {
    // The published HMAC-SHA1 example (RFC 2104 test usage, also on Wikipedia's HMAC page).
    expect(webhookSignature("key", "The quick brown fox jumps over the lazy dog")).toBe(
      "sha1=de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9",
    );
  });

  it("accepts the right signature and rejects a tampered body, a wrong secret or no header", () => {
    const sig = webhookSignature("secret", body);
    expect(verifyWebhookSignature("secret", body, sig)).toBe(true);
    expect(verifyWebhookSignature("secret", body, sig.toUpperCase().replace("SHA1=", "sha1="))).toBe(true);
    const tampered = Buffer.from(body.toString().replace("canceled", "complete"));
    expect(verifyWebhookSignature("secret", tampered, sig)).toBe(false);
    expect(verifyWebhookSignature("other", body, sig)).toBe(false);
    expect(verifyWebhookSignature("secret", body, undefined)).toBe(false);
    expect(verifyWebhookSignature("secret", body, "sha1=00")).toBe(false);
  });
});

describe("classifyTiki", () => {
  it("2xx is success", () => {
    expect(classifyTiki(res(200, { data: [] }))).toEqual({ kind: "success" });
  });

  it("a 2xx that wraps success:false is classified by its inner status", () => {
    const body = {
      success: false,
      error: { status_code: 401, message: "Unauthorized", message_code: "INVALID_TOKEN" },
    };
    expect(classifyTiki(res(200, body))).toEqual({
      kind: "refresh_token",
      code: "INVALID_TOKEN",
      message: "Unauthorized",
    });
  });

  it("401 from the gateway asks for one token refresh", () => {
    const body = {
      success: false,
      error: { status_code: 401, message: "Token is expired", message_code: "TOKEN_EXPIRED" },
    };
    expect(classifyTiki(res(401, body))).toEqual({
      kind: "refresh_token",
      code: "TOKEN_EXPIRED",
      message: "Token is expired",
    });
  });

  it("invalid_grant from the token endpoint needs the seller to authorize again", () => {
    const c = classifyTiki(
      res(400, { error: "invalid_grant", error_description: "The refresh token was already used." }),
    );
    expect(c).toEqual({
      kind: "needs_reauth",
      code: "invalid_grant",
      message: "The refresh token was already used.",
    });
  });

  it("invalid_client is fatal (our app credentials are wrong, the seller cannot fix it)", () => {
    expect(classifyTiki(res(401, { error: "invalid_client", error_description: "bad client" })).kind).toBe(
      "fatal",
    );
  });

  it("429 is rate_limited; 500, 503 and 408 are retried", () => {
    const limited = {
      success: false,
      error: { status_code: 429, message: "Too Many Requests", message_code: "TOO_MANY_REQUESTS" },
    };
    expect(classifyTiki(res(429, limited, { "retry-after": "1" }))).toEqual({
      kind: "rate_limited",
      code: "TOO_MANY_REQUESTS",
      message: "Too Many Requests",
    });
    expect(
      classifyTiki(
        res(503, {
          success: false,
          error: { status_code: 503, message: "Service Unavailable", message_code: "SERVICE_UNAVAILABLE" },
        }),
      ).kind,
    ).toBe("retry");
    expect(classifyTiki(res(500, "<html>oops</html>"))).toEqual({
      kind: "retry",
      code: "HTTP_500",
      message: "<html>oops</html>",
    });
    expect(classifyTiki(res(408, {})).kind).toBe("retry");
  });

  it("400/403/404/422 are fatal and keep Tiki's code and messages", () => {
    expect(
      classifyTiki(res(422, { message_code: "BATCH_SIZE_EXCEEDED", errors: ["data: at most 50"] })),
    ).toEqual({
      kind: "fatal",
      code: "BATCH_SIZE_EXCEEDED",
      message: "data: at most 50",
    });
    expect(classifyTiki(res(400, { errors: ["a", "b"] }))).toEqual({
      kind: "fatal",
      code: "HTTP_400",
      message: "a; b",
    });
    expect(classifyTiki(res(403, { msg: "Permission denied" }))).toEqual({
      kind: "fatal",
      code: "HTTP_403",
      message: "Permission denied",
    });
    expect(classifyTiki(res(404, { error: { message: "Not found" } }))).toEqual({
      kind: "fatal",
      code: "HTTP_404",
      message: "Not found",
    });
  });

  it("readTikiError falls back on the status when the body says nothing", () => {
    expect(readTikiError(502, null)).toEqual({ code: "HTTP_502", message: "HTTP 502", oauthError: null });
  });
});

describe("tiki time and status mapping", () => {
  it("formats and parses Vietnam wall-clock time (UTC+7)", () => {
    const ms = Date.UTC(2025, 0, 31, 17, 30, 5, 900);
    expect(formatTikiTime(ms)).toBe("2025-02-01 00:30:05");
    expect(parseTikiTime("2025-02-01 00:30:05")).toBe(Date.UTC(2025, 0, 31, 17, 30, 5));
    expect(parseTikiTime("01/02/2025")).toBeNaN();
  });

  it("maps Tiki order statuses", () => {
    expect(normalizeStatus("queueing")).toBe("PENDING");
    expect(normalizeStatus("waiting_payment")).toBe("UNPAID");
    expect(normalizeStatus("ready_to_ship")).toBe("READY_TO_SHIP");
    expect(normalizeStatus("shipping")).toBe("SHIPPED");
    expect(normalizeStatus("successful_delivery")).toBe("DELIVERED");
    expect(normalizeStatus("complete")).toBe("COMPLETED");
    expect(normalizeStatus("canceled")).toBe("CANCELLED");
    expect(normalizeStatus("returned")).toBe("RETURNED");
  });
});
