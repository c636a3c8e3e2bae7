/**
 * The two servers compared by bench/catalogue-read, each in its own process:
 *  - `hub`: the real hub (Fastify + Apollo + type-graphql + TypeORM + DataLoader);
 *  - `baseline`: bare node:http + pg returning the same JSON from one hand-written SQL query.
 * argv: <hub|baseline> <databaseUrl> [apiKey]
 */
import "reflect-metadata";
import http from "node:http";
import { Pool } from "pg";
import { createDataSource } from "../src/common/database";
import { createServices } from "../src/app/services";
import { createServer } from "../src/app/server";
import { createLogger } from "../src/common/logger";

const [kind, url] = process.argv.slice(2);

/** Same fields, same order, same page as the hub's `products(first: 50)` in bench/catalogue-read. */
export const BASELINE_SQL = `
SELECT json_build_object('data', json_build_object('products', json_build_object('nodes', coalesce(json_agg(x ORDER BY x_key, x_id), '[]'::json)))) AS body
FROM (
  SELECT p.search_key AS x_key, p.id AS x_id, json_build_object(
    'id', p.id, 'name', p.name,
    'producer', json_build_object('id', pr.id, 'legalName', pr.legal_name),
    'variants', (SELECT coalesce(json_agg(json_build_object('id', v.id, 'sku', v.sku, 'priceVnd', v.price_vnd,
                   'stock', json_build_object('onHand', s.on_hand, 'reserved', s.reserved, 'available', s.on_hand - s.reserved))
                   ORDER BY v.position, v.sku), '[]'::json)
                 FROM variant v JOIN stock_level s ON s.variant_id = v.id WHERE v.product_id = p.id),
    'certifications', (SELECT coalesce(json_agg(json_build_object('star', c.star, 'validUntil', c.valid_until,
                   'status', ocop_cert_status(c.valid_until, c.superseded_at, c.revoked_at, (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date))
                   ORDER BY c.decision_date DESC NULLS LAST, c.created_at DESC), '[]'::json)
                 FROM ocop_certification c WHERE c.product_id = p.id)
  ) AS x
  FROM product p JOIN producer pr ON pr.id = p.producer_id
  WHERE p.status = 'ACTIVE'
  ORDER BY p.search_key, p.id
  LIMIT 50
) t`;

async function main(): Promise<void> {
  if (kind === "baseline") {
    const pool = new Pool({ connectionString: url, max: 10 });
    const server = http.createServer(async (req, res) => {
      // Read (and ignore) the body, as a GraphQL server must.
      for await (const _ of req);
      const { rows } = await pool.query(BASELINE_SQL);
      const body = JSON.stringify(rows[0].body);
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
    server.listen(0, "127.0.0.1", () => process.send!({ port: (server.address() as { port: number }).port }));
    process.on("SIGTERM", () => server.close(() => pool.end().then(() => process.exit(0))));
    return;
  }
  const ds = createDataSource({ url, poolSize: 10, applicationName: "bench-hub" });
  await ds.initialize();
  const services = createServices(ds, { maxPageSize: 100, mode: "production" });
  // One key at 32 connections measures throughput, not that key's rate budget (on in production mode).
  const { app } = await createServer({
    dataSource: ds,
    services,
    logger: createLogger("silent"),
    limits: { rate: false },
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  process.send!({ port: (app.server.address() as { port: number }).port });
  process.on(
    "SIGTERM",
    () =>
      void app
        .close()
        .then(() => ds.destroy())
        .then(() => process.exit(0)),
  );
}

if (require.main === module) void main();
