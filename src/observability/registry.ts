/**
 * Process-wide Prometheus metrics (prom-client); no imports of hub code, so any module (the
 * marketplace HTTP client included) can record into it without an import cycle. See metrics.ts
 * for the scrape. Two kinds of metrics overall:
 * - process counters and histograms, updated where things happen (HTTP requests, GraphQL
 *   operations, marketplace calls, sync items, propagation, outbound webhook attempts);
 * - database-derived gauges (queue depth and age, token expiry, channels by status), computed at
 *   scrape time by two small indexed queries, into a registry built per scrape so that two hubs in
 *   one process (tests) never mix their numbers.
 *
 * Label cardinality is bounded on purpose: HTTP routes are Fastify route patterns (not URLs),
 * GraphQL operation names are capped (MAX_OPERATION_NAMES, then "other"), marketplace endpoints
 * come from the connectors' own fixed endpoint names, and per-channel gauges grow with channels only.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export const registry = new Registry();
registry.setDefaultLabels({ service: "ocop-hub" });
collectDefaultMetrics({ register: registry, prefix: "ocop_process_" });

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const httpDuration = new Histogram({
  name: "ocop_http_request_duration_seconds",
  help: "HTTP request latency by method, route pattern and status class.",
  labelNames: ["method", "route", "status"] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const graphqlDuration = new Histogram({
  name: "ocop_graphql_operation_duration_seconds",
  help: "GraphQL operation latency by operation name, type and outcome.",
  labelNames: ["operation", "type", "outcome"] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const marketplaceCalls = new Counter({
  name: "ocop_marketplace_api_calls_total",
  help: "Marketplace API call attempts by marketplace, endpoint and outcome (success, retry, rate_limited, refresh_token, needs_reauth, fatal).",
  labelNames: ["marketplace", "endpoint", "outcome"] as const,
  registers: [registry],
});

// By marketplace only: endpoints × 12 buckets would multiply the exposition for little use (the
// calls counter has the endpoint).
export const marketplaceCallDuration = new Histogram({
  name: "ocop_marketplace_api_call_duration_seconds",
  help: "Marketplace API call attempt latency by marketplace.",
  labelNames: ["marketplace"] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const syncItems = new Counter({
  name: "ocop_sync_items_total",
  help: "Sync item results recorded by this process, by item kind and status.",
  labelNames: ["kind", "status"] as const,
  registers: [registry],
});

export const propagationSeconds = new Histogram({
  name: "ocop_stock_propagation_seconds",
  help: "Order received on one marketplace → new stock confirmed on another channel, by target marketplace.",
  labelNames: ["marketplace"] as const,
  buckets: [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 900],
  registers: [registry],
});

export const outboundWebhookAttempts = new Counter({
  name: "ocop_outbound_webhook_attempts_total",
  help: "Outbound webhook delivery attempts by outcome (delivered, http_error, network_error, refused).",
  labelNames: ["outcome"] as const,
  registers: [registry],
});

export const alertEvaluations = new Counter({
  name: "ocop_alert_evaluations_total",
  help: "Alert rule evaluations run by this process (one per tick across the cluster).",
  registers: [registry],
});

/** Called by the outbox dispatcher when a stock change caused by an order is confirmed on another channel. */
export function observePropagation(marketplace: string, seconds: number): void {
  if (Number.isFinite(seconds) && seconds >= 0) propagationSeconds.observe({ marketplace }, seconds);
}

/** Called by the shared marketplace HTTP client once per attempt. */
export function recordMarketplaceCall(
  marketplace: string,
  endpoint: string,
  outcome: string,
  ms: number,
): void {
  marketplaceCalls.inc({ marketplace, endpoint, outcome });
  marketplaceCallDuration.observe({ marketplace }, ms / 1000);
}

/** Called where sync items are recorded. */
export function recordSyncItems(items: ReadonlyArray<{ kind: string; status: string }>): void {
  if (items.length === 1) {
    syncItems.inc({ kind: items[0].kind, status: items[0].status });
    return;
  }
  const n = new Map<string, number>();
  for (const i of items) n.set(`${i.kind}\u0000${i.status}`, (n.get(`${i.kind}\u0000${i.status}`) ?? 0) + 1);
  for (const [k, v] of n) {
    const [kind, status] = k.split("\u0000");
    syncItems.inc({ kind, status }, v);
  }
}

export const MAX_OPERATION_NAMES = 200;
const seenOperations = new Set<string>();
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Operation names are client-chosen: only well-formed ones, and only the first MAX_OPERATION_NAMES. */
export function operationLabel(name: string | null | undefined): string {
  if (!name) return "anonymous";
  if (!OPERATION_NAME.test(name)) return "other";
  if (seenOperations.has(name)) return name;
  if (seenOperations.size >= MAX_OPERATION_NAMES) return "other";
  seenOperations.add(name);
  return name;
}

export const METRICS_CONTENT_TYPE = registry.contentType;
