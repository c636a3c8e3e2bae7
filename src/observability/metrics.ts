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
  waiting: number;
  active: number;
  age: number | null;
}

interface ChannelRow {
  id: string;
  marketplace: string;
  status: string;
  access: number | null;
  refresh: number | null;
}

/**
 * Runs a fixed query as a named prepared statement on the DataSource's pg pool: planning these
 * (the pg-boss job table is partitioned) costs several times their execution, and a scrape runs
 * them every time. Falls back to an ordinary query for drivers without a pg pool.
 */
async function prepared<T>(ds: DataSource, name: string, text: string): Promise<T[]> {
  const pool = (ds.driver as unknown as { master?: { query?: unknown } }).master as
    | { query(q: { name: string; text: string }): Promise<{ rows: T[] }> }
    | undefined;
  if (typeof pool?.query !== "function") return ds.query(text);
  return (await pool.query({ name, text })).rows;
}

/** pg-boss may not be installed in this database (tests without a queue): remembered per DataSource. */
const noQueueSchema = new WeakSet<DataSource>();

// Per queue: waiting and active counts (index-only on job_i14) and the age of the oldest due waiting
// job (first entry of job_i11); never a scan of retained completed jobs.
const QUEUE_SQL = `
  SELECT q.name,
         (SELECT count(*) FROM pgboss.job j WHERE j.name = q.name AND j.state IN ('created', 'retry'))::int AS waiting,
         (SELECT count(*) FROM pgboss.job j WHERE j.name = q.name AND j.state = 'active')::int AS active,
         (SELECT extract(epoch FROM now() - greatest(j.created_on, j.start_after)) FROM pgboss.job j
           WHERE j.name = q.name AND j.state < 'active' AND NOT j.blocked AND j.start_after <= now()
           ORDER BY j.priority DESC, j.created_on LIMIT 1)::float8 AS age
    FROM pgboss.queue q`;

const CHANNEL_SQL = `
  SELECT id, marketplace, status,
         extract(epoch FROM access_expires_at - now())::float8 AS access,
         extract(epoch FROM refresh_expires_at - now())::float8 AS refresh
    FROM channel WHERE status <> 'DISCONNECTED'`;

async function queueRows(ds: DataSource): Promise<QueueRow[] | null> {
  if (noQueueSchema.has(ds)) return null;
  try {
    return await prepared<QueueRow>(ds, "ocop_metrics_queue", QUEUE_SQL);
  } catch (e) {
    if (/does not exist/.test((e as Error).message)) {
      noQueueSchema.add(ds);
      return null;
    }
    throw e;
  }
}

/** The database side of a scrape: two prepared queries, in parallel. */
export async function readScrapeRows(
  ds: DataSource,
): Promise<{ queue: QueueRow[] | null; channels: ChannelRow[] }> {
  const [queue, channels] = await Promise.all([
    queueRows(ds),
    prepared<ChannelRow>(ds, "ocop_metrics_channels", CHANNEL_SQL),
  ]);
  return { queue, channels };
}

/** The whole exposition text: process metrics, then the gauges read from the database now. */
export async function renderMetrics(ds: DataSource): Promise<string> {
  const scrape = new Registry();
  scrape.setDefaultLabels({ service: "ocop-hub" });
  const { queue, channels } = await readScrapeRows(ds);
  if (queue) {
    const jobs = new Gauge({
      name: "ocop_queue_jobs",
      help: "Jobs in the durable queue by queue and state (waiting = created or retry; active).",
      labelNames: ["queue", "state"] as const,
      registers: [scrape],
    });
    const age = new Gauge({
      name: "ocop_queue_oldest_job_age_seconds",
      help: "How long the oldest due, waiting job of each queue has waited (0 when none waits).",
      labelNames: ["queue"] as const,
      registers: [scrape],
    });
    for (const r of queue) {
      jobs.set({ queue: r.name, state: "waiting" }, r.waiting);
      jobs.set({ queue: r.name, state: "active" }, r.active);
      age.set({ queue: r.name }, Math.max(0, r.age ?? 0));
    }
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
