/**
 * Delivers outbound webhooks. A `webhook_delivery` row is the durable job: the triggers create it in
 * the transaction of the change, and this worker claims due rows with FOR UPDATE SKIP LOCKED (any
 * number of workers on any number of hosts share them), pushing `next_attempt_at` ahead by a lease
 * so a delivery whose worker died is picked up again when the lease runs out.
 *
 * Every attempt is recorded (status code, duration, error, a response excerpt). A 2xx answer
 * delivers; anything else is retried with exponential backoff (base × 2^(n−1), capped, ±20 %
 * jitter) until maxAttempts, then the delivery is FAILED (redeliverWebhook puts it back). Pending
 * deliveries of a paused subscription wait (and it gets no new events). Woken by NOTIFY
 * 'ocop_webhooks' (sent at commit by outbound_emit) with a poll as the safety net.
 */
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { Client } from "pg";
import type { DataSource } from "typeorm";
import type { SecretBox } from "../common/crypto";
import type { Logger } from "../common/logger";
import { outboundWebhookAttempts } from "../observability/registry";
import { guardedLookup, isPrivateAddress, PrivateAddressError, TargetPolicy } from "./target-policy";
import {
  ATTEMPT_HEADER,
  DELIVERY_ID_HEADER,
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  signPayload,
} from "./signing";

export interface DelivererOptions {
  ds: DataSource;
  box: SecretBox;
  log: Logger;
  policy: TargetPolicy;
  /** For LISTEN; none: polling only. */
  connectionString?: string | null;
  /** Poll for due deliveries, ms. Default 2,000. */
  pollMs?: number;
  /** Deliveries sent at once by this process. Default 8. */
  concurrency?: number;
  /** Per-attempt timeout, ms. Default 10,000. */
  timeoutMs?: number;
  /** Attempts before a delivery is FAILED. Default 8 (about 40 minutes with the default backoff). */
  maxAttempts?: number;
  /** First retry delay, ms. Default 10,000; doubles per attempt. */
  backoffBaseMs?: number;
  /** Longest retry delay, ms. Default 3,600,000. */
  backoffMaxMs?: number;
  /** Delete events (and their deliveries and attempts) older than this many days. Default 30. */
  retentionDays?: number;
}

interface Claimed {
  id: string;
  attempts: number;
  url: string;
  secret: Buffer;
  event_id: string;
  type: string;
  producer_id: string | null;
  payload: unknown;
  created_at: Date;
}

export interface AttemptOutcome {
  statusCode: number | null;
  error: string | null;
  excerpt: string | null;
  durationMs: number;
}

/** The exact bytes sent for an event (identical on every attempt; receivers dedupe by `id`). */
export function deliveryBody(e: {
  event_id: string;
  type: string;
  created_at: Date;
  payload: unknown;
}): string {
  return JSON.stringify({
    id: e.event_id,
    type: e.type,
    createdAt: new Date(e.created_at).toISOString(),
    data: e.payload,
  });
}

export function backoffMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const d = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(d * (0.8 + random() * 0.4));
}

/** One POST; never throws. Redirects are not followed (a 3xx is a failed attempt). */
export function postOnce(
  url: string,
  body: string,
  headers: Record<string, string>,
  policy: TargetPolicy,
  timeoutMs: number,
): Promise<AttemptOutcome> {
  const started = performance.now();
  const done = (o: Omit<AttemptOutcome, "durationMs">): AttemptOutcome => ({
    ...o,
    durationMs: Math.round(performance.now() - started),
  });
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return resolve(done({ statusCode: null, error: "invalid URL", excerpt: null }));
    }
    const host = target.hostname.replace(/^\[|\]$/g, "");
    // A literal IP never goes through `lookup`: check it here.
    if (!policy.allowPrivate && net.isIP(host) && isPrivateAddress(host))
      return resolve(done({ statusCode: null, error: new PrivateAddressError(host).message, excerpt: null }));
    const lib = target.protocol === "https:" ? https : http;
    const req = lib.request(
      target,
      {
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        lookup: guardedLookup(policy),
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          if (size < 1024) chunks.push(c);
          size += c.length;
        });
        res.on("end", () =>
          resolve(
            done({
              statusCode: res.statusCode ?? null,
              error: null,
              excerpt: Buffer.concat(chunks).toString("utf8").slice(0, 500) || null,
            }),
          ),
        );
        res.on("error", (e) =>
          resolve(done({ statusCode: res.statusCode ?? null, error: e.message, excerpt: null })),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on("error", (e) => resolve(done({ statusCode: null, error: e.message, excerpt: null })));
    req.end(body);
  });
}

export class WebhookDeliverer {
  private readonly o: Required<Omit<DelivererOptions, "connectionString">> & {
    connectionString: string | null;
  };
  private client: Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private running: Promise<void> | null = null;
  private again = false;
  private lastPrune = 0;
  /** Attempts made by this process (tests, logs). */
  attempts = 0;

  constructor(opts: DelivererOptions) {
    this.o = {
      connectionString: opts.connectionString ?? null,
      pollMs: 2_000,
      concurrency: 8,
      timeoutMs: 10_000,
      maxAttempts: 8,
      backoffBaseMs: 10_000,
      backoffMaxMs: 3_600_000,
      retentionDays: 30,
      ...opts,
    };
  }

  async start(): Promise<void> {
    if (this.o.connectionString) await this.listen();
    this.schedule(0);
  }

  /** LISTEN for new deliveries; when the connection drops, polling goes on and it reconnects. */
  private async listen(): Promise<void> {
    const c = new Client({
      connectionString: this.o.connectionString!,
      application_name: "ocop-hub:webhooks",
    });
    const lost = (err?: Error) => {
      if (this.client !== c) return;
      this.client = null;
      c.removeAllListeners("error");
      c.on("error", () => undefined);
      void c.end().catch(() => undefined);
      if (this.stopped) return;
      this.o.log.warn({ err: err?.message }, "outbound webhook LISTEN connection lost; reconnecting");
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        if (!this.stopped)
          void this.listen()
            .then(() => this.kick())
            .catch(() => lost());
      }, 1_000);
    };
    c.on("notification", () => this.kick());
    c.on("error", lost);
    c.on("end", () => lost());
    this.client = c;
    try {
      await c.connect();
      await c.query("LISTEN ocop_webhooks");
    } catch (e) {
      if (this.client === c) lost(e as Error);
      else throw e;
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), ms);
  }

  /** Runs a pass now (or right after the current one). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .then(() => undefined)
      .catch((err) => this.o.log.error({ err }, "outbound webhook pass failed"))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        } else this.schedule(this.o.pollMs);
      });
  }

  /** Claims and sends due deliveries until none is due. */
  async pass(): Promise<number> {
    let sent = 0;
    for (;;) {
      if (this.stopped) return sent;
      const batch = await this.claim(this.o.concurrency);
      if (batch.length === 0) break;
      // One delivery's fault (say, the database hiccups while recording it) must not stop the others;
      // its lease runs out and it is tried again.
      const results = await Promise.allSettled(batch.map((d) => this.deliver(d)));
      for (const r of results)
        if (r.status === "rejected") this.o.log.error({ err: r.reason }, "outbound webhook delivery failed");
      sent += batch.length;
    }
    if (Date.now() - this.lastPrune > 3_600_000) {
      this.lastPrune = Date.now();
      await this.o.ds.query(
        `DELETE FROM outbound_event WHERE created_at < now() - make_interval(days => $1::int)`,
        [this.o.retentionDays],
      );
    }
    return sent;
  }

  private async claim(limit: number): Promise<Claimed[]> {
    const leaseSeconds = Math.ceil(this.o.timeoutMs / 1000) + 30;
    const res: unknown[] = await this.o.ds.query(
      `WITH due AS (
         SELECT d.id FROM webhook_delivery d
           JOIN webhook_subscription s ON s.id = d.subscription_id AND s.active
          WHERE d.status = 'PENDING' AND d.next_attempt_at <= now()
          ORDER BY d.next_attempt_at
          LIMIT $1 FOR UPDATE OF d SKIP LOCKED)
       UPDATE webhook_delivery d
          SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => $2::int)
         FROM due, webhook_subscription s, outbound_event e
        WHERE d.id = due.id AND s.id = d.subscription_id AND e.id = d.event_id
       RETURNING d.id, d.attempts, s.url, s.secret, e.id AS event_id, e.type, e.producer_id, e.payload, e.created_at`,
      [limit, leaseSeconds],
    );
    // TypeORM answers an UPDATE … RETURNING with [rows, affected].
    return (Array.isArray(res[0]) ? res[0] : res) as Claimed[];
  }

  private async deliver(d: Claimed): Promise<void> {
    const body = deliveryBody(d);
    const timestamp = Math.floor(Date.now() / 1000);
    let outcome: AttemptOutcome;
    let secret: string | null = null;
    try {
      secret = this.o.box.open(d.secret);
    } catch (e) {
      outcome = {
        statusCode: null,
        error: `secret unreadable: ${(e as Error).message}`,
        excerpt: null,
        durationMs: 0,
      };
    }
    const [{ n }] = await this.o.ds.query(
      `SELECT count(*)::int + 1 AS n FROM webhook_attempt WHERE delivery_id = $1`,
      [d.id],
    );
    if (secret !== null) {
      outcome = await postOnce(
        d.url,
        body,
        {
          "content-type": "application/json",
          "user-agent": "ocop-hub-webhooks/1",
          [EVENT_ID_HEADER]: d.event_id,
          [EVENT_TYPE_HEADER]: d.type,
          [DELIVERY_ID_HEADER]: d.id,
          [ATTEMPT_HEADER]: String(n),
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signPayload(secret, timestamp, body),
        },
        this.o.policy,
        this.o.timeoutMs,
      );
    }
    const o = outcome!;
    this.attempts++;
    const ok = o.statusCode !== null && o.statusCode >= 200 && o.statusCode < 300;
    const refused = /internal address|secret unreadable|invalid URL/.test(o.error ?? "");
    const final = ok || refused || d.attempts >= this.o.maxAttempts;
    const status = ok ? "DELIVERED" : final ? "FAILED" : "PENDING";
    const error = o.error ?? (ok ? null : `HTTP ${o.statusCode}`);
    outboundWebhookAttempts.inc({
      outcome: ok
        ? "delivered"
        : refused
          ? "refused"
          : o.statusCode !== null
            ? "http_error"
            : "network_error",
    });
    await this.o.ds.query(
      `WITH a AS (
         INSERT INTO webhook_attempt (delivery_id, attempt, duration_ms, status_code, error, response_excerpt)
         VALUES ($1, $2, $3, $4, $5, $6))
       UPDATE webhook_delivery
          SET status = $7, last_status_code = $4, last_error = $5,
              delivered_at = CASE WHEN $7 = 'DELIVERED' THEN now() END,
              next_attempt_at = now() + make_interval(secs => $8::float8 / 1000)
        WHERE id = $1`,
      [
        d.id,
        n,
        o.durationMs,
        o.statusCode,
        error,
        o.excerpt,
        status,
        final ? 0 : backoffMs(d.attempts, this.o.backoffBaseMs, this.o.backoffMaxMs),
      ],
    );
    if (!ok)
      this.o.log.info(
        { deliveryId: d.id, eventType: d.type, attempt: n, statusCode: o.statusCode, err: o.error, status },
        "outbound webhook attempt failed",
      );
  }

  /** Resolves when no pass is running (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.idle();
    const c = this.client;
    this.client = null;
    if (c) await c.end().catch(() => undefined);
  }
}
