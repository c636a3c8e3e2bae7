/**
 * Serves the web console (the Vite build in dist/console) at /console, and redirects / there.
 * Files are read once and kept in memory with a gzip copy: the build is small and immutable
 * (hashed asset names), so every later request is a memory read. Unknown paths under /console
 * get index.html (the console routes on the client).
 */
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json",
};

interface CachedFile {
  type: string;
  body: Buffer;
  gzip: Buffer | null;
}

/** The repository (or installed package) root: the nearest folder up with a package.json. */
function packageRoot(from: string): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) return from;
    dir = up;
  }
  return dir;
}

export function consoleDir(): string {
  return process.env.HUB_CONSOLE_DIR ?? path.join(packageRoot(__dirname), "dist", "console");
}

export function consoleRoutes(opts: { dir?: string } = {}) {
  const dir = path.resolve(opts.dir ?? consoleDir());
  const cache = new Map<string, CachedFile | null>();

  const load = (rel: string): CachedFile | null => {
    if (cache.has(rel)) return cache.get(rel)!;
    const file = path.resolve(dir, rel);
    // Never outside the build folder, whatever the URL says.
    if (!file.startsWith(dir + path.sep)) return null;
    let found: CachedFile | null = null;
    try {
      const body = fs.readFileSync(file);
      const type = TYPES[path.extname(file)] ?? "application/octet-stream";
      const gzip = /text|javascript|json|svg/.test(type) && body.length > 512 ? zlib.gzipSync(body) : null;
      found = { type, body, gzip };
    } catch {
      found = null;
    }
    // index.html is re-read after a rebuild in development; hashed assets never change.
    if (rel !== "index.html") cache.set(rel, found);
    return found;
  };

  const send = (req: FastifyRequest, reply: FastifyReply, f: CachedFile, immutable: boolean) => {
    reply.header("content-type", f.type);
    reply.header("cache-control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
    reply.header("x-content-type-options", "nosniff");
    if (f.type.startsWith("text/html")) {
      // The console talks only to its own origin's /graphql.
      reply.header(
        "content-security-policy",
        "default-src 'self'; img-src 'self' data: http: https:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
      );
    }
    reply.header("vary", "accept-encoding");
    if (f.gzip && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) {
      reply.header("content-encoding", "gzip");
      return reply.send(f.gzip);
    }
    return reply.send(f.body);
  };

  return (app: FastifyInstance) => {
    app.get("/", async (_req, reply) => reply.redirect("/console/"));
    // The query survives: a marketplace's OAuth callback may come back to /console?code=…&state=….
    app.get("/console", async (req, reply) => {
      const q = req.url.indexOf("?");
      return reply.redirect(`/console/${q >= 0 ? req.url.slice(q) : ""}`);
    });
    app.get("/console/*", async (req, reply) => {
      const rel = decodeURIComponent(String((req.params as { "*": string })["*"] ?? ""));
      if (rel && !rel.endsWith("/")) {
        const f = load(rel);
        if (f) return send(req, reply, f, rel.startsWith("assets/"));
        // A missing asset is a 404, not the page (a stale tab asking for an old chunk).
        if (rel.startsWith("assets/") || path.extname(rel))
          return reply.code(404).send({ error: "not found" });
      }
      const index = load("index.html");
      if (!index) {
        return reply
          .code(503)
          .type("text/plain; charset=utf-8")
          .send(
            "Giao diện web chưa được build: chạy `npm run build`. / The console is not built: run `npm run build`.",
          );
      }
      return send(req, reply, index, false);
    });
  };
}
