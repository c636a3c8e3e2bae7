/**
 * Marketplace webhooks: `POST /webhooks/<marketplace>/<channelId>`. The body is kept as the exact bytes
 * received (signatures are computed over them), verified by the marketplace's connector, stored in
 * webhook_event with a unique (channel, event key) so a redelivery is acknowledged but does no work,
 * and the new order events are handed to the job queue as ONE order-import job. The request never
 * calls the marketplace: it answers 2xx as soon as the events are durable.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ChannelStatus } from "../channels/channel.entity";
import type { AppCredentials, MarketplaceCode, WebhookEvent } from "../channels/connectors/connector";
import { PgCredentialStore } from "../channels/credential-store";
import type { JobQueue } from "../sync/jobs";
import type { SyncRuntime } from "../sync/runtime";

export interface WebhookDeps {
  rt: SyncRuntime;
  queue: () => JobQueue | null;
  /**
   * Public origin the marketplaces call (e.g. "https://hub.example.vn"), for marketplaces that sign
   * the URL (Shopee). Default: the request's own protocol and Host header.
   */
  publicOrigin?: string;
  /** Largest webhook body accepted, bytes (default 256 KiB). */
  bodyLimit?: number;
  /**
   * Pushes of one channel arriving within this many ms share one import job (default 10): a burst of
   * 100 orders costs two detail calls, not 100. Each push is answered only once its job is queued.
   */
  coalesceMs?: number;
}

/** How old a push may be, by the time it says it was sent; marketplaces retry within minutes. */
export const WEBHOOK_MAX_AGE_MS = 60 * 60 * 1000;
/** How far in the future a push's send time may be (clock skew). */
export const WEBHOOK_MAX_SKEW_MS = 5 * 60 * 1000;

/** Per-process counters, by marketplace, for the metrics endpoint and tests. */
export interface WebhookCounters {
  received: number;
  /** Bad or missing signature (401). */
  rejected: number;
  /** Unknown channel, wrong marketplace, disconnected (404) or unreadable body (400). */
  refused: number;
  /** Events stored for the first time. */
  stored: number;
  /** Events already stored (redeliveries). */
  duplicates: number;
  /** Order-import jobs queued. */
  jobs: number;
}

const counters = new Map<string, WebhookCounters>();

export function webhookCounters(): Record<string, WebhookCounters> {
  return Object.fromEntries([...counters].map(([k, v]) => [k, { ...v }]));
}

function count(marketplace: string, key: keyof WebhookCounters, n = 1): void {
  let c = counters.get(marketplace);
  if (!c) {
    c = { received: 0, rejected: 0, refused: 0, stored: 0, duplicates: 0, jobs: 0 };
    counters.set(marketplace, c);
  }
  c[key] += n;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ORDER_KINDS = new Set<WebhookEvent["kind"]>(["order.created", "order.status"]);

interface ChannelRow {
  id: string;
  marketplace: MarketplaceCode;
  shop_id: string | null;
  status: ChannelStatus;
  credentials_version: number;
}

export function webhookRoutes(deps: WebhookDeps): (app: FastifyInstance) => Promise<void> {
  const { rt } = deps;
  const batcher = new ImportBatcher(deps.queue, deps.coalesceMs ?? 10);
  // App credentials are decrypted once per credentials version, not on every push.
  const apps = new Map<string, { version: number; app: AppCredentials }>();

  async function appOf(ch: ChannelRow): Promise<AppCredentials> {
    const hit = apps.get(ch.id);
    if (hit && hit.version === ch.credentials_version) return hit.app;
    const creds = await new PgCredentialStore(rt.ds, rt.box, ch.id).load();
    const app = { appKey: creds.appKey, appSecret: creds.appSecret };
    apps.set(ch.id, { version: ch.credentials_version, app });
    return app;
  }

  async function handle(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { marketplace, channelId } = req.params as { marketplace: string; channelId: string };
    const connector = Object.hasOwn(rt.connectors, marketplace)
      ? rt.connectors[marketplace as MarketplaceCode]
      : undefined;
    const label = connector ? marketplace : "unknown";
    count(label, "received");
    if (!connector?.verifyWebhook || !connector.parseWebhook || !UUID_RE.test(channelId)) {
      count(label, "refused");
      return void reply.code(404).send({ error: "unknown webhook endpoint" });
    }
    const [ch]: ChannelRow[] = await rt.ds.query(
      `SELECT id, marketplace, shop_id, status, credentials_version FROM channel WHERE id = $1`,
      [channelId],
    );
    if (!ch || ch.marketplace !== marketplace || ch.status === ChannelStatus.DISCONNECTED) {
      count(label, "refused");
      return void reply.code(404).send({ error: "unknown webhook endpoint" });
    }
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const request = {
      rawBody,
      headers: flatHeaders(req.headers),
      url: `${deps.publicOrigin ?? `${req.protocol}://${req.headers.host ?? req.hostname}`}${req.url}`,
    };
    let valid = false;
    try {
      valid = connector.verifyWebhook(request, await appOf(ch));
    } catch (e) {
      rt.log.warn({ err: e, channelId, marketplace }, "webhook verification could not run");
    }
    if (!valid) {
      count(label, "rejected");
      rt.log.warn({ channelId, marketplace, bytes: rawBody.length }, "webhook signature rejected");
      return void reply.code(401).send({ error: "invalid signature" });
    }
    // Replay window where the envelope says when it was sent: a signed push older than an hour (or
    // from the future) is refused even if its event key was pruned from the dedupe table; what it
    // carried is caught by the scheduled order pull.
    let sentAt: number | null = null;
    try {
      sentAt = connector.webhookSentAt?.(request) ?? null;
    } catch {
      sentAt = null;
    }
    const now = rt.clock.now().getTime();
    if (sentAt !== null && (now - sentAt > WEBHOOK_MAX_AGE_MS || sentAt - now > WEBHOOK_MAX_SKEW_MS)) {
      count(label, "rejected");
      rt.log.warn({ channelId, marketplace, sentAt }, "webhook outside the replay window");
      return void reply.code(401).send({ error: "stale or future timestamp" });
    }
    let events: WebhookEvent[];
    try {
      events = connector.parseWebhook(request);
    } catch (e) {
      count(label, "refused");
      rt.log.warn({ err: e, channelId, marketplace }, "webhook body could not be parsed");
      return void reply.code(400).send({ error: "unreadable body" });
    }
    // A push for another shop signed with the same app key is not this channel's business.
    const mine = events.filter((e) => !e.shopId || !ch.shop_id || e.shopId === ch.shop_id);
    if (mine.length === 0) return void reply.code(200).send();

    const inserted: Array<{ id: string; kind: string; external_order_id: string | null }> = await rt.ds.query(
      `INSERT INTO webhook_event (channel_id, event_key, kind, external_order_id, payload)
       SELECT $1, t.* FROM unnest($2::text[], $3::text[], $4::text[], $5::jsonb[]) AS t
       ON CONFLICT (channel_id, event_key) DO NOTHING
       RETURNING id::text, kind, external_order_id`,
      [
        ch.id,
        mine.map((e) => e.eventKey),
        mine.map((e) => e.kind),
        mine.map((e) => e.externalOrderId ?? null),
        mine.map((e) => JSON.stringify(e.raw ?? null)),
      ],
    );
    count(label, "stored", inserted.length);
    count(label, "duplicates", mine.length - inserted.length);
    const orderEvents = inserted.filter(
      (e) => ORDER_KINDS.has(e.kind as WebhookEvent["kind"]) && e.external_order_id,
    );
    if (orderEvents.length > 0) {
      try {
        await batcher.add(
          ch.id,
          orderEvents.map((e) => e.external_order_id!),
          orderEvents.map((e) => e.id),
          String(req.id),
        );
        count(label, "jobs");
      } catch (e) {
        // Forget the events so the marketplace's retry is not taken for a duplicate and lost.
        await rt.ds.query(`DELETE FROM webhook_event WHERE id = ANY($1::bigint[])`, [
          inserted.map((x) => x.id),
        ]);
        rt.log.error({ err: e, channelId, marketplace }, "webhook accepted but could not be queued");
        return void reply.code(503).send({ error: "try again later" });
      }
    }
    return void reply.code(200).send();
  }

  return async (app: FastifyInstance) => {
    await app.register(async (scope) => {
      // Only inside this scope: every body stays a Buffer, whatever its content type.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser(
        "*",
        { parseAs: "buffer", bodyLimit: deps.bodyLimit ?? 256 * 1024 },
        (_req, body, done) => done(null, body),
      );
      scope.post("/webhooks/:marketplace/:channelId", handle);
    });
  };
}

/** Most orders one job carries; beyond it a new job starts (keeps a job's detail calls short). */
const MAX_ORDERS_PER_JOB = 200;

interface PendingJob {
  ids: Set<string>;
  eventIds: string[];
  requestId: string;
  /** Settles when the job is queued (or could not be). */
  done: Promise<void>;
  /** Closes the batch: no more events join it, and it is sent. */
  close: () => void;
}

/** Gathers the order events of concurrent pushes per channel into one OrderImportJob. */
class ImportBatcher {
  private readonly open = new Map<string, PendingJob>();
  constructor(
    private readonly queue: () => JobQueue | null,
    private readonly coalesceMs: number,
  ) {}

  add(channelId: string, ids: string[], eventIds: string[], requestId: string): Promise<void> {
    const job = this.open.get(channelId) ?? this.start(channelId, requestId);
    for (const id of ids) job.ids.add(id);
    job.eventIds.push(...eventIds);
    if (job.ids.size >= MAX_ORDERS_PER_JOB) job.close();
    return job.done;
  }

  private start(channelId: string, requestId: string): PendingJob {
    let go!: () => void;
    const gate = new Promise<void>((resolve) => (go = resolve));
    const job: PendingJob = { ids: new Set(), eventIds: [], requestId, done: gate, close: () => undefined };
    const timer = setTimeout(() => job.close(), this.coalesceMs);
    job.close = () => {
      clearTimeout(timer);
      if (this.open.get(channelId) === job) this.open.delete(channelId);
      go();
    };
    job.done = gate.then(() => this.send(channelId, job));
    this.open.set(channelId, job);
    return job;
  }

  private async send(channelId: string, job: PendingJob): Promise<void> {
    const queue = this.queue();
    if (!queue) throw new Error("no job queue in this process");
    await queue.enqueueOrderImport({
      channelId,
      externalOrderIds: [...job.ids],
      source: "WEBHOOK",
      webhookEventIds: job.eventIds,
      requestId: job.requestId,
    });
  }
}

function flatHeaders(h: FastifyRequest["headers"]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}
