import {
  clearRegisteredSecrets,
  redact,
  redactString,
  registerSecret,
} from "../../src/channels/connectors/http/redact";

afterEach(() => clearRegisteredSecrets());

describe("redact", () => {
  it("hides secret-named keys at any depth, whatever their spelling", () => {
    const out = redact({
      partner_id: 2001887,
      sign: "abc",
      nested: {
        access_token: "t1",
        refreshToken: "t2",
        "client-secret": "s",
        list: [{ Authorization: "Bearer x" }],
      },
      app_secret: "s2",
      partnerKey: "pk",
      signature: "sig",
      shop_id: 42,
    });
    expect(out).toEqual({
      partner_id: 2001887,
      sign: "[REDACTED]",
      nested: {
        access_token: "[REDACTED]",
        refreshToken: "[REDACTED]",
        "client-secret": "[REDACTED]",
        list: [{ Authorization: "[REDACTED]" }],
      },
      app_secret: "[REDACTED]",
      partnerKey: "[REDACTED]",
      signature: "[REDACTED]",
      shop_id: 42,
    });
  });

  it("hides an authorization code but keeps short envelope error codes", () => {
    const out = redact({
      code: "0_100132_2DL4DV3jcU1UOT7WGI1A4rY91",
      error: { code: "IllegalAccessToken" },
      c2: { code: 0 },
    });
    expect(out).toEqual({ code: "[REDACTED]", error: { code: "IllegalAccessToken" }, c2: { code: 0 } });
  });

  it("hides secret query parameters in URLs and keeps the rest", () => {
    const url =
      "https://partner.shopeemobile.com/api/v2/product/get_item_list?partner_id=1&timestamp=1732&access_token=eyJabc.def&shop_id=9&sign=9f8e7d&code=4a5b";
    expect(redactString(url)).toBe(
      "https://partner.shopeemobile.com/api/v2/product/get_item_list?partner_id=1&timestamp=1732&access_token=[REDACTED]&shop_id=9&sign=[REDACTED]&code=[REDACTED]",
    );
  });

  it("hides secrets inside JSON text and bearer headers", () => {
    const text = `{"refresh_token":"r-123","expire_in":14400,"sign": "x\\"y","request_id":"q"} Authorization: Bearer abc.DEF-123`;
    expect(redactString(text)).toBe(
      `{"refresh_token":"[REDACTED]","expire_in":14400,"sign": "[REDACTED]","request_id":"q"} Authorization: Bearer [REDACTED]`,
    );
  });

  it("hides registered literal secrets wherever they appear, in strings, errors and objects", () => {
    registerSecret("shpk-0123456789abcdef");
    registerSecret("abc"); // too short to register: would hide ordinary words
    const err = new Error("HMAC key shpk-0123456789abcdef rejected for abc");
    expect(redactString("key=shpk-0123456789abcdef!")).toBe("key=[REDACTED]!");
    expect(redact({ detail: ["see shpk-0123456789abcdef"], e: err })).toEqual({
      detail: ["see [REDACTED]"],
      e: "Error: HMAC key [REDACTED] rejected for abc",
    });
  });

  it("hides per-call secrets passed explicitly, and survives cycles and buffers", () => {
    const o: Record<string, unknown> = {
      msg: "token tok-live-99999 failed",
      raw: Buffer.from("secret bytes"),
    };
    o.self = o;
    expect(redact(o, ["tok-live-99999"])).toEqual({
      msg: "token [REDACTED] failed",
      raw: "<12 bytes>",
      self: "[Circular]",
    });
  });

  it("leaves text without secrets unchanged, including Vietnamese", () => {
    const s = "Cà phê Đắk Nông – hạt rang 500g: giá 125000 đ (code=E001? no)";
    expect(redactString("Cà phê Đắk Nông – hạt rang 500g")).toBe("Cà phê Đắk Nông – hạt rang 500g");
    expect(redactString(s)).toBe(s);
  });
});
