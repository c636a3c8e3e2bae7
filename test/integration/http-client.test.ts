/**
 * The shared marketplace HTTP client against a tiny local node:http server: rate-limit answers,
 * transient errors, timeouts, token refresh, revoked authorization, body pass-through, redaction.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import crypto from "node:crypto";
import type {
  ChannelContext,
  Credentials,
  CredentialStore,
  TokenSet,
} from "../../src/channels/connectors/connector";
import { MarketplaceHttpClient } from "../../src/channels/connectors/http/marketplace-http.client";
import { resetRateBudgets } from "../../src/channels/connectors/http/rate-budget";
import {
  ClassifyHook,
  ConnectorError,
  NeedsReauthError,
  OutgoingRequest,
  SignHook,
} from "../../src/channels/connectors/http/types";

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

type Handler = (
  req: Seen,
  n: number,
) => { status: number; body?: unknown; headers?: Record<string, string> } | "hang";

let server: http.Server;
let baseUrl: string;
let handler: Handler;
let seen: Seen[];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const s: Seen = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      seen.push(s);
      const answer = handler(s, seen.length);
      if (answer === "hang") return; // never answers: the client must time out
      res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
      res.end(JSON.stringify(answer.body ?? {}));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  seen = [];
  resetRateBudgets();
});

const APP_SECRET = "app-secret-0123456789abcdef";

/** HMAC over path + timestamp + token, as the real marketplaces do in various shapes. */
const sign: SignHook = (req, input) => {
  req.query.timestamp = Math.floor(input.now / 1000);
  req.query.ts_ms = input.now;
  if (input.accessToken) req.query.access_token = input.accessToken;
  req.query.sign = crypto
    .createHmac("sha256", input.appSecret)
    .update(`${req.path}${req.query.ts_ms}${input.accessToken ?? ""}`)
    .digest("hex");
};

const classify: ClassifyHook = (res) => {
  const body = res.body as { error?: string; message?: string };
  if (res.status === 200 && !body.error) return { kind: "success" };
  const code = body.error ?? `HTTP_${res.status}`;
  const message = body.message ?? "";
  if (code === "rate_limited") return { kind: "rate_limited", code, message };
  if (code === "token_expired") return { kind: "refresh_token", code, message };
  if (code === "auth_revoked") return { kind: "needs_reauth", code, message };
  if (res.status >= 500) return { kind: "retry", code, message };
  if (res.status === 429) return { kind: "fatal", code, message }; // the client must still treat 429 as rate-limited
  return { kind: "fatal", code, message };
};

class MemoryStore implements CredentialStore {
  reauthReasons: string[] = [];
  constructor(public creds: Credentials) {}
  async load() {
    return { ...this.creds };
  }
  async refreshExclusive(_seen: string | null | undefined, refresh: (c: Credentials) => Promise<TokenSet>) {
    const t = await refresh(this.creds);
    this.creds = { ...this.creds, accessToken: t.accessToken, refreshToken: t.refreshToken };
    return { ...this.creds };
  }
  async markNeedsReauth(reason: string) {
    this.reauthReasons.push(reason);
  }
}

let shopSeq = 0;
function context(token = "access-token-old-123456") {
  const store = new MemoryStore({
    appKey: "k1",
    appSecret: APP_SECRET,
    accessToken: token,
    refreshToken: "refresh-1-abcdef",
  });
  // A distinct shop per test keeps the process-wide rate budgets apart.
  const ctx: ChannelContext = {
    channelId: `ch-${++shopSeq}`,
    baseUrl,
    shopId: `shop-${shopSeq}`,
    credentials: store,
  };
  return { ctx, store };
}

function client(extra: Partial<ConstructorParameters<typeof MarketplaceHttpClient>[0]> = {}) {
  return new MarketplaceHttpClient({
    marketplace: "shopee",
    sign,
    classify,
    ratePolicy: { requestsPerSecond: 50, burst: 10 },
    backoffBaseMs: 20,
    timeoutMs: 2000,
    ...extra,
  });
}

function get(path = "/api/v2/product/get_item_list"): OutgoingRequest {
  return {
    method: "GET",
    path,
    query: { page_size: 50 },
    headers: {},
    auth: "shop",
    endpoint: "product.list",
  };
}

const ok = { status: 200, body: { response: { items: [1, 2] } } };

describe("MarketplaceHttpClient over real HTTP", () => {
  it("retries a 429 after Retry-After, re-signing with a fresh timestamp, and returns the body", async () => {
    handler = (_s, n) => (n === 1 ? { status: 429, body: {}, headers: { "retry-after": "0.2" } } : ok);
    let t = 1_700_000_000_000;
    const c = client({ now: () => (t += 7) });
    const { ctx } = context();
    const started = Date.now();
    await expect(c.send(ctx, get())).resolves.toEqual({ response: { items: [1, 2] } });
    expect(seen).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190); // honoured Retry-After: 0.2 s
    const first = new URL(seen[0].url, baseUrl).searchParams;
    const second = new URL(seen[1].url, baseUrl).searchParams;
    expect(first.get("ts_ms")).not.toBe(second.get("ts_ms"));
    expect(first.get("sign")).not.toBe(second.get("sign"));
    expect(second.get("page_size")).toBe("50");
  });

  it("treats an envelope rate-limit code like a 429 and does not burn attempts on it", async () => {
    handler = (_s, n) => (n <= 3 ? { status: 200, body: { error: "rate_limited" } } : ok);
    const c = client({ maxAttempts: 1 });
    await expect(c.send(context().ctx, get())).resolves.toBeDefined();
    expect(seen).toHaveLength(4);
  });

  it("retries 503 with backoff and gives up after maxAttempts with a retriable ConnectorError", async () => {
    handler = (_s, n) => (n <= 2 ? { status: 503, body: { error: "busy" } } : ok);
    await expect(client().send(context().ctx, get())).resolves.toBeDefined();
    expect(seen).toHaveLength(3);

    seen = [];
    handler = () => ({ status: 503, body: { error: "busy", message: "system busy" } });
    const err = (await client({ maxAttempts: 3 })
      .send(context().ctx, get())
      .catch((e) => e)) as ConnectorError;
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err.kind).toBe("retry");
    expect(err.retriable).toBe(true);
    expect(err.status).toBe(503);
    expect(seen).toHaveLength(3);
  });

  it("retries a call that times out", async () => {
    handler = (_s, n) => (n === 1 ? "hang" : ok);
    const started = Date.now();
    await expect(client({ timeoutMs: 150 }).send(context().ctx, get())).resolves.toBeDefined();
    expect(seen).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("refreshes once on an expired token, then retries with the new token", async () => {
    handler = (s) =>
      new URL(s.url, baseUrl).searchParams.get("access_token") === "access-token-new-654321"
        ? ok
        : { status: 401, body: { error: "token_expired", message: "access token expired" } };
    const { ctx, store } = context();
    let refreshes = 0;
    const refresh = async () => {
      refreshes++;
      await store.refreshExclusive(null, async () => ({
        accessToken: "access-token-new-654321",
        refreshToken: "refresh-2-abcdef",
        accessExpiresAt: Date.now() + 3_600_000,
        refreshExpiresAt: null,
      }));
    };
    await expect(client().send(ctx, get(), refresh)).resolves.toBeDefined();
    expect(refreshes).toBe(1);
    expect(seen).toHaveLength(2);
    expect(store.reauthReasons).toEqual([]);
  });

  it("refreshes again when the new token is refused too (expired again while the retry waited)", async () => {
    // Found by the fault suite: the marketplace expired the shop's tokens between a successful refresh
    // and the retry, and the hub sent a healthy shop to its seller for re-authorization.
    handler = (_s, n) =>
      n <= 2 ? { status: 401, body: { error: "token_expired", message: "access token expired" } } : ok;
    const { ctx, store } = context();
    let refreshes = 0;
    await expect(
      client().send(ctx, get(), async () => {
        refreshes++;
      }),
    ).resolves.toBeDefined();
    expect(refreshes).toBe(2);
    expect(seen).toHaveLength(3);
    expect(store.reauthReasons).toEqual([]);
  });

  it("marks the channel NEEDS_REAUTH when the token is still refused after three refreshes", async () => {
    handler = () => ({ status: 401, body: { error: "token_expired", message: "invalid token" } });
    const { ctx, store } = context();
    let refreshes = 0;
    const err = await client()
      .send(ctx, get(), async () => {
        refreshes++;
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(NeedsReauthError);
    expect(refreshes).toBe(3);
    expect(seen).toHaveLength(4);
    expect(store.reauthReasons).toHaveLength(1);
    expect(store.reauthReasons[0]).toContain("still refused after 3 token refreshes");
  });

  it("marks NEEDS_REAUTH at once on a revoked authorization, without retrying or refreshing", async () => {
    handler = () => ({ status: 403, body: { error: "auth_revoked", message: "seller revoked the app" } });
    const { ctx, store } = context();
    const refresh = jest.fn(async () => undefined);
    await expect(client().send(ctx, get(), refresh)).rejects.toBeInstanceOf(NeedsReauthError);
    expect(refresh).not.toHaveBeenCalled();
    expect(seen).toHaveLength(1);
    expect(store.reauthReasons[0]).toContain("auth_revoked");
  });

  it("refreshes before the call when the stored token has already expired", async () => {
    handler = () => ok;
    const { ctx, store } = context();
    store.creds.accessExpiresAt = Date.now() - 1000;
    const refresh = jest.fn(async () => {
      store.creds = {
        ...store.creds,
        accessToken: "access-token-fresh-1",
        accessExpiresAt: Date.now() + 3_600_000,
      };
    });
    await client().send(ctx, get(), refresh);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(new URL(seen[0].url, baseUrl).searchParams.get("access_token")).toBe("access-token-fresh-1");
  });

  it("sends a pre-serialised JSON string byte for byte and serialises objects once", async () => {
    handler = () => ok;
    const raw = '{"item_id":1,  "name":"Cà phê Đắk Nông"}';
    await client().send(context().ctx, { ...get(), method: "POST", body: raw });
    expect(seen[0].body.toString("utf8")).toBe(raw);
    expect(seen[0].headers["content-type"]).toBe("application/json");

    await client().send(context().ctx, {
      ...get(),
      method: "POST",
      body: { price: 125000, title: "Trà Shan tuyết" },
    });
    expect(JSON.parse(seen[1].body.toString("utf8"))).toEqual({ price: 125000, title: "Trà Shan tuyết" });
  });

  it("passes multipart bodies through unchanged", async () => {
    handler = () => ok;
    const png = crypto.randomBytes(2048);
    const form = new FormData();
    form.append("image", new Blob([png], { type: "image/png" }), "anh.png");
    await client().send(context().ctx, { ...get("/api/v2/media/upload_image"), method: "POST", body: form });
    const ct = String(seen[0].headers["content-type"]);
    expect(ct).toMatch(/^multipart\/form-data; boundary=/);
    expect(seen[0].body.includes(png)).toBe(true);

    const bytes = crypto.randomBytes(512);
    await client().send(context().ctx, {
      ...get(),
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: bytes,
    });
    expect(seen[1].body.equals(bytes)).toBe(true);
    expect(seen[1].headers["content-type"]).toBe("application/octet-stream");
  });

  it("never puts secrets in a ConnectorError", async () => {
    handler = (s) => ({
      status: 400,
      body: { error: "bad_param", message: `rejected ${s.url} with secret ${APP_SECRET}` },
    });
    const err = (await client()
      .send(context().ctx, get())
      .catch((e) => e)) as ConnectorError;
    expect(err.kind).toBe("fatal");
    expect(err.message).toContain("bad_param");
    expect(err.message).not.toContain("access-token-old-123456");
    expect(err.message).not.toContain(APP_SECRET);
    expect(err.message).toMatch(/sign=\[REDACTED\]/);
  });

  it("sendApp signs without a token and returns the body", async () => {
    handler = () => ({
      status: 200,
      body: { access_token: "tok-from-exchange-xyz", refresh_token: "r-xyz-123456" },
    });
    const body = await client().sendApp<{ access_token: string }>(
      baseUrl,
      { appKey: "k1", appSecret: APP_SECRET },
      {
        method: "POST",
        path: "/api/v2/auth/token/get",
        query: {},
        headers: {},
        body: { code: "abc" },
        auth: "app",
        endpoint: "auth.token",
      },
    );
    expect(body.access_token).toBe("tok-from-exchange-xyz");
    const q = new URL(seen[0].url, baseUrl).searchParams;
    expect(q.get("access_token")).toBeNull();
    expect(q.get("sign")).toMatch(/^[0-9a-f]{64}$/);
  });
});
