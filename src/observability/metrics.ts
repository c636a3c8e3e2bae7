/**
 * The `/metrics` scrape: the process registry (registry.ts) plus gauges read from the database at
 * scrape time, and the inbound webhook counters kept by the receiver.
 */
import type { DataSource } from "typeorm";
import { Counter, Gauge, Registry } from "prom-client";
import { webhookCounters } from "../orders/webhook.routes";
import { registry } from "./registry";

export * from "./registry";

// Inbound marketplace webhooks: the receiver keeps plain per-process counters; exposed as counters here.
const WEBHOOK_RESULTS = ["received", "rejected", "refused", "stored", "duplicates", "jobs"] as const;
new Counter({
  name: "ocop_webhook_receipts_total",
  help: "Inbound marketplace webhooks by marketplace and result (received, rejected = bad signature or too old, refused = unknown channel or unreadable, stored, duplicates, jobs queued).",
  labelNames: ["marketplace", "result"] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const [marketplace, c] of Object.entries(webhookCounters()))
      for (const result of WEBHOOK_RESULTS) this.inc({ marketplace, result }, c[result]);
  },
});

interface QueueRow {
  name: string;
  state: string;
  n: number;
  age: number | null;
}

interface ChannelRow {
  id: string;
  marketplace: string;
  status: string;
  access: number | null;
  refresh: number | null;
}

/** pg-boss may not be installed in this database (tests without a queue): remembered per DataSource. */
const noQueueSchema = new WeakSet<DataSource>();

async function queueRows(ds: DataSource): Promise<QueueRow[] | null> {
  if (noQueueSchema.has(ds)) return null;
  try {
    // Live states only (job_i14); the age is how long the oldest due job has been waiting.
    return await ds.query(
      `SELECT name, state::text AS state, count(*)::int AS n,
              extract(epoch FROM max(now() - greatest(created_on, start_after)))::float8 AS age
         FROM pgboss.job WHERE state < 'completed' GROUP BY name, state`,
    );
  } catch (e) {
    if (/does not exist/.test((e as Error).message)) {
      noQueueSchema.add(ds);
      return null;
    }
    throw e;
  }
}

/** The whole exposition text: process metrics, then the gauges read from the database now. */
export async function renderMetrics(ds: DataSource): Promise<string> {
  const scrape = new Registry();
  scrape.setDefaultLabels({ service: "ocop-hub" });
  const [queue, channels] = await Promise.all([
    queueRows(ds),
    ds.query(
      `SELECT id, marketplace, status,
              extract(epoch FROM access_expires_at - now())::float8 AS access,
              extract(epoch FROM refresh_expires_at - now())::float8 AS refresh
         FROM channel WHERE status <> 'DISCONNECTED'`,
    ) as Promise<ChannelRow[]>,
  ]);
  if (queue) {
    const jobs = new Gauge({
      name: "ocop_queue_jobs",
      help: "Jobs in the durable queue by queue and state (created and retry are waiting).",
      labelNames: ["queue", "state"] as const,
      registers: [scrape],
    });
    const age = new Gauge({
      name: "ocop_queue_oldest_job_age_seconds",
      help: "How long the oldest due, waiting job of each queue has waited.",
      labelNames: ["queue"] as const,
      registers: [scrape],
    });
    const ages = new Map<string, number>();
    for (const r of queue) {
      jobs.set({ queue: r.name, state: r.state }, r.n);
      if (r.state === "created" || r.state === "retry")
        ages.set(r.name, Math.max(ages.get(r.name) ?? 0, Math.max(0, r.age ?? 0)));
      else if (!ages.has(r.name)) ages.set(r.name, 0);
    }
    for (const [name, s] of ages) age.set({ queue: name }, s);
  }
  const expiry = new Gauge({
    name: "ocop_channel_token_expiry_seconds",
    help: "Seconds until a channel's marketplace token expires (negative: already expired), by token kind.",
    labelNames: ["channel_id", "marketplace", "token"] as const,
    registers: [scrape],
  });
  const byStatus = new Gauge({
    name: "ocop_channels",
    help: "Connected channels by marketplace and status.",
    labelNames: ["marketplace", "status"] as const,
    registers: [scrape],
  });
  for (const c of channels) {
    byStatus.inc({ marketplace: c.marketplace, status: c.status });
    if (c.access != null)
      expiry.set({ channel_id: c.id, marketplace: c.marketplace, token: "access" }, Math.round(c.access));
    if (c.refresh != null)
      expiry.set({ channel_id: c.id, marketplace: c.marketplace, token: "refresh" }, Math.round(c.refresh));
  }
  const [processText, scrapeText] = await Promise.all([registry.metrics(), scrape.metrics()]);
  return processText + scrapeText;
}
