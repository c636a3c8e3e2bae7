/**
 * How the hub serves the console build (no browser needed): / and /console redirect (keeping an
 * OAuth callback's query), assets are gzipped when asked and cached for good, client routes get
 * index.html, a missing asset is a 404, nothing outside the build folder is readable, and an
 * unbuilt console answers 503 with what to run.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import Fastify, { FastifyInstance } from "fastify";
import { consoleRoutes } from "../../src/app/console.routes";

let dir: string;
let app: FastifyInstance;
let base: string;

/** Over real HTTP (light-my-request's inject needs an ESM-only dependency under jest). */
async function get(
  url: string,
  headers: Record<string, string> = {},
  on: FastifyInstance | string = base,
): Promise<{ statusCode: number; headers: Record<string, string>; body: string; raw: Buffer }> {
  const res = await fetch(`${typeof on === "string" ? on : ""}${url}`, { headers, redirect: "manual" });
  const raw = Buffer.from(await res.arrayBuffer());
  return {
    statusCode: res.status,
    headers: Object.fromEntries(res.headers as unknown as Iterable<[string, string]>),
    body: raw.toString("utf8"),
    raw,
  };
}
const JS = `console.log(${JSON.stringify("Mật ong ".repeat(200))});`;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "console-routes-"));
  fs.mkdirSync(path.join(dir, "build", "assets"), { recursive: true });
  fs.writeFileSync(path.join(dir, "build", "index.html"), "<!doctype html><title>OCOP Hub</title>");
  fs.writeFileSync(path.join(dir, "build", "assets", "index-abc.js"), JS);
  fs.writeFileSync(path.join(dir, "secret.txt"), "planted-secret");
  app = Fastify();
  consoleRoutes({ dir: path.join(dir, "build") })(app);
  await app.listen({ port: 0, host: "127.0.0.1" });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("redirects / and /console, keeping the query of an OAuth callback", async () => {
  const root = await get("/");
  expect([root.statusCode, root.headers.location]).toEqual([302, "/console/"]);
  const cb = await get("/console?state=abc&code=123&shop_id=9");
  expect([cb.statusCode, cb.headers.location]).toEqual([302, "/console/?state=abc&code=123&shop_id=9"]);
});

test("serves index.html for client routes, without caching it", async () => {
  for (const url of ["/console/", "/console/products/123", "/console/?code=1"]) {
    const r = await get(url);
    expect(r.statusCode).toBe(200);
    expect(r.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(r.headers["cache-control"]).toBe("no-cache");
    expect(r.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(r.body).toContain("<title>OCOP Hub</title>");
  }
});

test("serves hashed assets gzipped when asked, cached as immutable", async () => {
  // node:http, not fetch: fetch would decompress the body before the test sees it.
  const gz = await new Promise<{ statusCode: number; headers: Record<string, any>; raw: Buffer }>(
    (ok, fail) =>
      http
        .get(`${base}/console/assets/index-abc.js`, { headers: { "accept-encoding": "gzip, br" } }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () =>
            ok({ statusCode: res.statusCode!, headers: res.headers, raw: Buffer.concat(chunks) }),
          );
        })
        .on("error", fail),
  );
  expect(gz.statusCode).toBe(200);
  expect(gz.headers["content-encoding"]).toBe("gzip");
  expect(gz.headers["cache-control"]).toContain("immutable");
  expect(zlib.gunzipSync(gz.raw).toString()).toBe(JS);
  expect(gz.raw.length).toBeLessThan(Buffer.byteLength(JS));
  const plain = await get("/console/assets/index-abc.js", { "accept-encoding": "identity" });
  expect(plain.headers["content-encoding"]).toBeUndefined();
  expect(plain.body).toBe(JS);
});

test("a missing asset is a 404, and nothing outside the build folder is served", async () => {
  expect((await get("/console/assets/index-old.js")).statusCode).toBe(404);
  // Raw paths over node:http (fetch would normalise the dots away before sending).
  for (const p of [
    "/console/../secret.txt",
    "/console/%2e%2e/secret.txt",
    "/console/..%2fsecret.txt",
    "/console/assets/..%2f..%2fsecret.txt",
  ]) {
    const body = await new Promise<string>((ok, fail) =>
      http
        .get({ host: "127.0.0.1", port: new URL(base).port, path: p }, (res) => {
          let text = "";
          res.on("data", (c) => (text += c));
          res.on("end", () => ok(text));
        })
        .on("error", fail),
    );
    expect(body).not.toContain("planted-secret");
  }
});

test("an unbuilt console answers 503 saying what to run", async () => {
  const bare = Fastify();
  consoleRoutes({ dir: path.join(dir, "missing") })(bare);
  await bare.listen({ port: 0, host: "127.0.0.1" });
  const r = await get(
    "/console/",
    {},
    `http://127.0.0.1:${(bare.server.address() as { port: number }).port}`,
  );
  expect(r.statusCode).toBe(503);
  expect(r.body).toContain("npm run build");
  await bare.close();
});
