/**
 * Hostile requests against the hub (production mode, real OCOP seed): depth 50, 1,000 aliases, a
 * 10 MB body and 500 batched operations. Each must be refused in ≤ 50 ms with a clear error while a
 * normal query keeps being served; the normal query's p99 is measured with the hostile traffic and,
 * in the same run, without it (baseline).
 * Run: npm run bench:hostile-queries   (BENCH_SECONDS per phase, default 6)
 *
 * 1,000 aliases (6,000 tokens) are stopped by the parser's token cap (2,000) before alias counting,
 * which refuses 31 or more in smaller documents (test/e2e/limits.test.ts).
 * The server's rate budget is raised so the normal client measures latency, not its own budget;
 * the hostile requests are refused before any budget is charged (validation, body or batch checks).
 */
import "reflect-metadata";
import http from "node:http";
import { createServices } from "../src/app/services";
import { createServer } from "../src/app/server";
import { ApiKeyService } from "../src/auth/api-key.service";
import { ApiKeyRole } from "../src/auth/api-key.entity";
import { seedIfEmpty } from "../src/catalogue/seed/seed.service";
import { createDataSource } from "../src/common/database";
import { createLogger } from "../src/common/logger";
import { machine, percentile, scratchDatabase, startChild, stopChild } from "./support";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const NORMAL_CLIENTS = 2;
const HOSTILE_CLIENTS = 4;
export const NORMAL_QUERY = `{ products(first: 20) { nodes { id name producer { id legalName } variants { sku priceVnd } } } }`;

/** `products → nodes → producer → products …` down to `depth` levels, leaf included. */
export function deepQuery(depth: number): string {
  const chain = ["products(first: 1)", "nodes", "producer"];
  const leaf = ["totalCount", "id", "id"];
  let open = "";
  for (let i = 0; i < depth - 1; i++) open += `${chain[i % 3]} { `;
  return `{ ${open}${leaf[(depth - 2 + 3) % 3]}${" }".repeat(depth - 1)} }`;
}

export interface HostileRequest {
  name: string;
  body: string | Buffer;
  headers: Record<string, string>;
  /** Expected HTTP status and error code. */
  status: number;
  code: string;
}

export function hostileQueries(key: string): HostileRequest[] {
  const headers = { "content-type": "application/json", authorization: `Bearer ${key}` };
  const aliases = Array.from({ length: 1000 }, (_, i) => `a${i}: productSets { number }`).join(" ");
  const big = Buffer.alloc(10 * 1024 * 1024, " ");
  big.write(`{"query":"{ productSets { number } }","pad":"`, 0);
  big.write(`"}`, big.length - 2);
  const batch = JSON.stringify(Array.from({ length: 500 }, () => ({ query: NORMAL_QUERY })));
  return [
    {
      name: "depth 50",
      body: JSON.stringify({ query: deepQuery(50) }),
      headers,
      status: 400,
      code: "QUERY_TOO_DEEP",
    },
    {
      name: "1,000 aliases",
      body: JSON.stringify({ query: `{ ${aliases} }` }),
      headers,
      status: 400,
      code: "QUERY_TOO_LARGE",
    },
    { name: "10 MB body", body: big, headers, status: 413, code: "PAYLOAD_TOO_LARGE" },
    { name: "500 batched operations", body: batch, headers, status: 400, code: "BATCH_NOT_SUPPORTED" },
  ];
}

interface Timed {
  ms: number;
  status: number;
  code: string | null;
}

export interface RawResponse {
  ms: number;
  status: number;
  text: string;
  headers: http.IncomingHttpHeaders;
}

/**
 * POSTs with node:http rather than fetch. A body over 1 MiB is announced with `Expect:
 * 100-continue` (as curl does) and only sent once the server agrees; a server that refuses it
 * answers first. A write error after the answer is ignored.
 */
export function postRaw(
  url: string,
  body: string | Buffer,
  headers: Record<string, string>,
): Promise<RawResponse> {
  const t0 = performance.now();
  const large = Buffer.byteLength(body) > 1024 * 1024;
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(
      url,
      {
        method: "POST",
        headers: large
          ? { ...headers, expect: "100-continue", "content-length": String(Buffer.byteLength(body)) }
          : headers,
        agent: false,
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            ms: performance.now() - t0,
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString("utf8"),
            headers: res.headers,
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", (err) => {
      if (!answered) reject(err);
    });
    if (large) {
      req.on("continue", () => req.end(body));
      req.flushHeaders();
    } else req.end(body);
  });
}

async function send(url: string, body: string | Buffer, headers: Record<string, string>): Promise<Timed> {
  const res = await postRaw(url, body, headers);
  let code: string | null = null;
  try {
    code = JSON.parse(res.text).errors?.[0]?.extensions?.code ?? null;
  } catch {
    code = "NOT_JSON";
  }
  return { ms: res.ms, status: res.status, code };
}

/** Runs `clients` loops of `next` until `until`, collecting every timing. */
async function loop(clients: number, until: number, next: (i: number) => Promise<Timed>): Promise<Timed[]> {
  const out: Timed[] = [];
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = c; performance.now() < until; i += clients) out.push(await next(i));
    }),
  );
  return out;
}

function summary(ts: Timed[]): string {
  const ms = ts.map((t) => t.ms).sort((a, b) => a - b);
  return `n=${ts.length} p50=${percentile(ms, 50).toFixed(1)} ms p99=${percentile(ms, 99).toFixed(1)} ms max=${ms[ms.length - 1]?.toFixed(1)} ms`;
}

async function serve(url: string): Promise<void> {
  const ds = createDataSource({ url, poolSize: 10, applicationName: "bench-hostile" });
  await ds.initialize();
  const services = createServices(ds, { maxPageSize: 100, mode: "production" });
  const { app } = await createServer({
    dataSource: ds,
    services,
    logger: createLogger("silent"),
    limits: { rate: { capacity: 1e9, restorePerSecond: 1e9 } },
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  process.send!({ port: (app.server.address() as { port: number }).port });
  process.on("SIGTERM", () => void app.close().then(() => ds.destroy().then(() => process.exit(0))));
}

async function main(): Promise<void> {
  const db = await scratchDatabase("hostile");
  try {
    await seedIfEmpty(db.ds, { info: () => undefined, warn: () => undefined });
    const key = (await new ApiKeyService(db.ds).issue({ name: "bench", role: ApiKeyRole.INTEGRATOR_READ }))
      .key;
    const { port, child } = await startChild(__filename, ["serve", db.url], { NODE_ENV: "production" });
    const url = `http://127.0.0.1:${port}/graphql`;
    const headers = { "content-type": "application/json", authorization: `Bearer ${key}` };
    const normalBody = JSON.stringify({ query: NORMAL_QUERY });
    const normal = () => send(url, normalBody, headers);
    const hostile = hostileQueries(key);
    try {
      await loop(NORMAL_CLIENTS, performance.now() + 1500, normal); // warm-up
      for (const h of hostile) await send(url, h.body, h.headers);
      const baseline = await loop(NORMAL_CLIENTS, performance.now() + SECONDS * 1000, normal);
      const until = performance.now() + SECONDS * 1000;
      const [underAttack, attacks] = await Promise.all([
        loop(NORMAL_CLIENTS, until, normal),
        loop(HOSTILE_CLIENTS, until, (i) => {
          const h = hostile[i % hostile.length];
          return send(url, h.body, h.headers).then((t) => ({
            ...t,
            code: `${h.name}|${t.status}|${t.code}`,
          }));
        }),
      ]);
      const lines = [
        `hostile queries: ${machine()}; ${SECONDS} s per phase; normal query at ${NORMAL_CLIENTS} concurrent clients, ${HOSTILE_CLIENTS} hostile clients`,
        `normal query, baseline (no hostile traffic):   ${summary(baseline)}  errors=${baseline.filter((t) => t.status !== 200).length}`,
        `normal query, under hostile traffic:           ${summary(underAttack)}  errors=${underAttack.filter((t) => t.status !== 200).length}`,
      ];
      let allOk = true;
      for (const h of hostile) {
        const mine = attacks.filter((t) => t.code!.startsWith(`${h.name}|`));
        const right = mine.filter((t) => t.code === `${h.name}|${h.status}|${h.code}`).length;
        const ms = mine.map((t) => t.ms).sort((a, b) => a - b);
        const ok = right === mine.length && percentile(ms, 99) <= 50;
        allOk &&= ok;
        lines.push(
          `${h.name.padEnd(24)} → ${h.status} ${h.code.padEnd(20)} ${summary(mine)}  wrong answers=${mine.length - right}  ${ok ? "OK" : "FAIL"}`,
        );
      }
      lines.push(
        `target (every hostile request refused in ≤ 50 ms at p99, right code): ${allOk ? "MET" : "NOT MET"}`,
      );
      console.log(lines.join("\n"));
    } finally {
      await stopChild(child);
    }
  } finally {
    await db.drop();
  }
}

if (require.main === module) {
  if (process.argv[2] === "serve") void serve(process.argv[3]);
  else
    main().catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
