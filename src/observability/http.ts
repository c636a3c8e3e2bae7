/**
 * The HTTP side of metrics: request latency for every route, GraphQL operation latency (an Apollo
 * plugin) and the `/metrics` endpoint.
 *
 * `/metrics` is open by default, as Prometheus endpoints usually are on a private network (the hub
 * binds 127.0.0.1 unless told otherwise). It shows counts, latencies, channel ids and token expiry
 * times, never secrets, names or order data. Set HUB_METRICS_TOKEN to require
 * `Authorization: Bearer <token>` (Prometheus `authorization` / `bearer_token`) when the port is
 * reachable from outside.
 */
import crypto from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { ApolloServerPlugin } from "@apollo/server";
import type { DataSource } from "typeorm";
import {
  METRICS_CONTENT_TYPE,
  graphqlDuration,
  httpDuration,
  operationLabel,
  renderMetrics,
} from "./metrics";

export interface MetricsRouteOptions {
  dataSource: DataSource;
  /** Bearer token required on /metrics; default process.env.HUB_METRICS_TOKEN; null/empty = open. */
  token?: string | null;
}

function statusClass(code: number): string {
  return `${Math.floor(code / 100)}xx`;
}

function sameSecret(a: string, b: string): boolean {
  const ha = crypto.createHash("sha256").update(a).digest();
  const hb = crypto.createHash("sha256").update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

/** Request latency on every route, and GET /metrics. Called once on the root Fastify instance. */
export function installMetrics(app: FastifyInstance, opts: MetricsRouteOptions): void {
  const token = opts.token === undefined ? (process.env.HUB_METRICS_TOKEN ?? null) : opts.token;
  app.addHook("onResponse", async (request, reply) => {
    // The route pattern, never the raw URL: ids in paths must not become label values.
    const route = request.routeOptions?.url ?? "unmatched";
    httpDuration.observe(
      { method: request.method, route, status: statusClass(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.get("/metrics", async (request, reply) => {
    if (token) {
      const header = request.headers.authorization ?? "";
      const given = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
      if (!given || !sameSecret(given, token)) {
        return reply
          .code(401)
          .header("www-authenticate", 'Bearer realm="metrics"')
          .send({ error: "metrics token required" });
      }
    }
    const text = await renderMetrics(opts.dataSource);
    return reply.header("content-type", METRICS_CONTENT_TYPE).header("cache-control", "no-store").send(text);
  });
}

/** GraphQL latency by operation (name capped), type (query/mutation) and outcome (ok/error). */
export function graphqlMetricsPlugin<T extends object>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse(rc) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const body = rc.response.body;
          const failed =
            (rc.errors?.length ?? 0) > 0 ||
            (body.kind === "single" && (body.singleResult.errors?.length ?? 0) > 0);
          graphqlDuration.observe(
            {
              operation: operationLabel(rc.operationName ?? rc.operation?.name?.value),
              type: rc.operation?.operation ?? "unknown",
              outcome: failed ? "error" : "ok",
            },
            seconds,
          );
        },
      };
    },
  };
}

/**
 * A process without the API (`--role worker`) still counts marketplace calls, sync items and
 * deliveries: HUB_METRICS_PORT serves its /metrics (and /healthz) on a port of its own.
 */
export async function startMetricsServer(opts: {
  dataSource: DataSource;
  port: number;
  host: string;
}): Promise<{ url: string; close(): Promise<void> }> {
  const { default: Fastify } = await import("fastify");
  const app = Fastify({ logger: false });
  installMetrics(app, { dataSource: opts.dataSource });
  app.get("/healthz", async () => ({ status: "ok" }));
  const url = await app.listen({ port: opts.port, host: opts.host });
  return { url: `${url}/metrics`, close: () => app.close() };
}
