/**
 * Connected marketplace shops: connecting (OAuth or credentials given directly), reading, settings,
 * pause / resume / disconnect. Credentials only ever go through saveCredentials (sealed in the
 * channel row); nothing here returns, logs or puts a secret into an error. Producer keys reach only
 * their own producer's channels (the Viewer rules).
 */
import crypto from "node:crypto";
import cron from "node-cron";
import type { EntityManager } from "typeorm";
import { Channel, ChannelStatus, MarketplaceCode } from "./channel.entity";
import { saveCredentials } from "./credential-store";
import { ChannelSettings, PriceRule, ScheduleKind, StockRule, settingsOf } from "./channel-settings";
import type { AppCredentials, MarketplaceConnector, TokenSet } from "./connectors/connector";
import { ConnectorError } from "./connectors/http/types";
import type { SyncRuntime } from "../sync/runtime";
import type { JobQueue } from "../sync/jobs";
import { createRun } from "../sync/sync-run.service";
import { SyncKind, SyncTrigger } from "../sync/entities/sync-run.entity";
import { Scope, Viewer, assertScope, canSeeProducer, producerFilter } from "../auth/viewer";
import { UserErrors, UserErrorSpec } from "../common/errors";
import { validateInput } from "../common/validation";
import { MAX_UNIT_PRICE_VND } from "../common/money";
import { nfc } from "../common/text";
import { OcopClaimTemplate, validateClaimTemplate } from "../ocop-claims/claim-template";
import type { PageWindow } from "../common/graphql/relay";

/** How long an authorization link stays usable (Shopee's own link expires after 5 minutes; others allow more). */
const AUTHORIZATION_TTL_MS = 30 * 60_000;
const SCHEDULE_KINDS: ScheduleKind[] = ["ORDERS", "STOCK", "PRICE", "RECONCILE", "REFRESH_TOKEN", "REVIEWS"];
const ROUNDING = ["UP", "DOWN", "NEAREST"];

export interface ConnectChannelInput {
  producerId: string;
  marketplace: MarketplaceCode;
  name: string;
  shopId?: string | null;
  baseUrl?: string | null;
  appKey: string;
  appSecret: string;
  accessToken?: string | null;
  refreshToken?: string | null;
  accessExpiresAt?: Date | null;
  refreshExpiresAt?: Date | null;
  extra?: Record<string, string> | null;
}

export interface AuthorizationUrlInput {
  producerId: string;
  marketplace: MarketplaceCode;
  redirectUri: string;
  baseUrl?: string | null;
  name?: string | null;
  /** Only when the hub is not configured with HUB_<MARKETPLACE>_APP_KEY/SECRET. Never returned. */
  appKey?: string | null;
  appSecret?: string | null;
}

export interface ChannelSettingsInput {
  priceRule?: { [K in keyof PriceRule]?: PriceRule[K] | null } | null;
  stockRule?: { [K in keyof StockRule]?: StockRule[K] | null } | null;
  /** A null cron removes that kind's schedule. */
  schedules?: Array<{ kind: ScheduleKind; cron: string | null }> | null;
  /** Only the fields given change. */
  ocopClaim?: {
    titleSuffix?: string | null;
    setAttribute?: boolean | null;
    addCertificateImage?: boolean | null;
    descriptionBlock?: { [K in keyof OcopClaimTemplate["descriptionBlock"]]?: boolean | null } | null;
  } | null;
}

export interface ChannelFilter {
  producerId?: string | null;
  marketplace?: MarketplaceCode | null;
  status?: ChannelStatus | null;
}

/** Env var prefix of a marketplace's app credentials: HUB_SHOPEE_APP_KEY, HUB_TIKTOK_SHOP_APP_SECRET… */
export function appEnvPrefix(code: MarketplaceCode): string {
  return `HUB_${code.toUpperCase().replace(/-/g, "_")}`;
}

/** http(s) URL without credentials or fragment; returned normalised without a trailing slash. */
export function parseBaseUrl(text: string, field: string): string {
  let u: URL;
  try {
    u = new URL(text.trim());
  } catch {
    throw UserErrors.one(field, "INVALID_FORMAT", { hint: "http(s)://host[:port]" });
  }
  if ((u.protocol !== "http:" && u.protocol !== "https:") || u.username || u.password || u.hash)
    throw UserErrors.one(field, "INVALID_FORMAT", { hint: "http(s)://host[:port]" });
  return u.toString().replace(/\/+$/, "");
}

function hashState(state: string): string {
  return crypto.createHash("sha256").update(state).digest("hex");
}

export class ChannelService {
  constructor(
    private readonly rt: SyncRuntime,
    private readonly env: NodeJS.ProcessEnv = process.env,
    /** Where catch-up work goes after a re-authorization; without one, the schedules catch up. */
    private readonly queue: JobQueue | null = null,
  ) {}

  // ---------- reading ----------

  async get(viewer: Viewer, id: string): Promise<Channel | null> {
    const ch = await this.rt.ds.getRepository(Channel).findOneBy({ id });
    return ch && canSeeProducer(viewer, ch.producerId) ? ch : null;
  }

  async list(viewer: Viewer, filter: ChannelFilter, win: PageWindow): Promise<Channel[]> {
    const { where, params } = this.where(viewer, filter);
    const rows: Array<{ id: string }> = await this.rt.ds.query(
      `SELECT id FROM channel ${where} ORDER BY created_at, id OFFSET $${params.length + 1} LIMIT $${params.length + 2}`,
      [...params, win.offset, win.limit + 1],
    );
    if (rows.length === 0) return [];
    const found = await this.rt.ds.getRepository(Channel).find({ where: rows.map((r) => ({ id: r.id })) });
    const byId = new Map(found.map((c) => [c.id, c]));
    return rows.map((r) => byId.get(r.id)!).filter(Boolean);
  }

  async count(viewer: Viewer, filter: ChannelFilter): Promise<number> {
    const { where, params } = this.where(viewer, filter);
    const [r] = await this.rt.ds.query(`SELECT count(*)::int AS n FROM channel ${where}`, params);
    return r.n;
  }

  private where(viewer: Viewer, f: ChannelFilter): { where: string; params: unknown[] } {
    const parts: string[] = [];
    const params: unknown[] = [];
    const scope = producerFilter(viewer);
    if (scope) parts.push(`producer_id = ANY($${params.push(scope)}::uuid[])`);
    if (f.producerId) parts.push(`producer_id = $${params.push(f.producerId)}`);
    if (f.marketplace) parts.push(`marketplace = $${params.push(f.marketplace)}`);
    if (f.status) parts.push(`status = $${params.push(f.status)}`);
    return { where: parts.length ? `WHERE ${parts.join(" AND ")}` : "", params };
  }

  /** When each kind last finished a run without failures. */
  async lastSuccess(channelId: string): Promise<Array<{ kind: string; at: Date }>> {
    return this.rt.ds.query(
      `SELECT kind, max(finished_at) AS at FROM sync_run
        WHERE channel_id = $1 AND status = 'FINISHED' AND outcome = 'SUCCEEDED' AND NOT dry_run
        GROUP BY kind ORDER BY kind`,
      [channelId],
    );
  }

  async listingCounts(channelId: string): Promise<Array<{ state: string; count: number }>> {
    return this.rt.ds.query(
      `SELECT state, count(*)::int AS count FROM listing WHERE channel_id = $1 GROUP BY state ORDER BY state`,
      [channelId],
    );
  }

  // ---------- connecting ----------

  /** Credentials given directly (an integrator that already holds tokens, or a sandbox shop). */
  async connect(viewer: Viewer, input: ConnectChannelInput): Promise<Channel> {
    const invalid = await validateInput(input);
    if (invalid.length) throw new UserErrors(invalid);
    const connector = this.connectorOf(input.marketplace, "marketplace");
    await this.assertProducer(viewer, input.producerId);
    const errors: UserErrorSpec[] = [];
    const name = nfc(input.name ?? "").trim();
    if (!name) errors.push({ field: "name", code: "REQUIRED" });
    if (name.length > 120) errors.push({ field: "name", code: "TOO_LONG", params: { max: 120 } });
    if (!input.appKey?.trim()) errors.push({ field: "appKey", code: "REQUIRED" });
    if (!input.appSecret?.trim()) errors.push({ field: "appSecret", code: "REQUIRED" });
    if (errors.length) throw new UserErrors(errors);
    const baseUrl = input.baseUrl ? parseBaseUrl(input.baseUrl, "baseUrl") : connector.defaultBaseUrl;
    const channel = await this.insertChannel({
      producerId: input.producerId,
      marketplace: input.marketplace,
      name,
      shopId: input.shopId?.trim() || null,
      baseUrl,
    });
    await saveCredentials(this.rt.ds, this.rt.box, channel.id, {
      appKey: input.appKey.trim(),
      appSecret: input.appSecret.trim(),
      accessToken: input.accessToken ?? null,
      refreshToken: input.refreshToken ?? null,
      accessExpiresAt: input.accessExpiresAt?.getTime() ?? null,
      refreshExpiresAt: input.refreshExpiresAt?.getTime() ?? null,
      extra: input.extra ?? undefined,
    });
    // Without a token nothing can be called until the seller authorizes: say so instead of failing later.
    if (!input.accessToken) {
      await this.rt.ds.query(`UPDATE channel SET status = $2 WHERE id = $1`, [
        channel.id,
        ChannelStatus.NEEDS_REAUTH,
      ]);
    }
    this.rt.log.info({ channelId: channel.id, marketplace: input.marketplace }, "channel connected");
    return (await this.rt.ds.getRepository(Channel).findOneBy({ id: channel.id }))!;
  }

  /** Starts the OAuth flow: a link the seller opens; `state` comes back on the callback. */
  async authorizationUrl(
    viewer: Viewer,
    input: AuthorizationUrlInput,
  ): Promise<{ url: string; state: string; expiresAt: Date }> {
    const invalid = await validateInput(input);
    if (invalid.length) throw new UserErrors(invalid);
    const connector = this.connectorOf(input.marketplace, "marketplace");
    await this.assertProducer(viewer, input.producerId);
    const redirectUri = parseBaseUrl(input.redirectUri, "redirectUri");
    const baseUrl = input.baseUrl ? parseBaseUrl(input.baseUrl, "baseUrl") : connector.defaultBaseUrl;
    const given =
      input.appKey && input.appSecret ? { appKey: input.appKey, appSecret: input.appSecret } : null;
    const app = given ?? this.configuredApp(input.marketplace);
    const state = crypto.randomBytes(24).toString("base64url");
    const now = this.rt.clock.now();
    const expiresAt = new Date(now.getTime() + AUTHORIZATION_TTL_MS);
    await this.rt.ds.query(`DELETE FROM channel_authorization WHERE expires_at < now()`);
    await this.rt.ds.query(
      `INSERT INTO channel_authorization
         (state_hash, producer_id, marketplace, name, redirect_uri, base_url, app_credentials, requested_by, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        hashState(state),
        input.producerId,
        input.marketplace,
        input.name ? nfc(input.name).trim() : null,
        redirectUri,
        baseUrl,
        given ? this.rt.box.sealJson(given) : null,
        viewer.actor,
        expiresAt,
      ],
    );
    const url = connector.authorizationUrl({
      app,
      baseUrl,
      redirectUri,
      state,
      now: () => now.getTime(),
    });
    return { url, state, expiresAt };
  }

  /** The seller came back: exchange the code (single-use state), create the channel, store its tokens. */
  async completeAuthorization(
    viewer: Viewer,
    state: string,
    callbackParams: Record<string, string>,
  ): Promise<Channel> {
    const rows: Array<{
      producer_id: string;
      marketplace: MarketplaceCode;
      name: string | null;
      redirect_uri: string;
      base_url: string;
      app_credentials: Buffer | null;
    }> = await this.rt.ds.query(
      `SELECT producer_id, marketplace, name, redirect_uri, base_url, app_credentials
         FROM channel_authorization WHERE state_hash = $1 AND expires_at > $2`,
      [hashState(state ?? ""), this.rt.clock.now()],
    );
    const req = rows[0];
    if (!req || !canSeeProducer(viewer, req.producer_id)) throw UserErrors.one("state", "AUTH_STATE_INVALID");
    assertScope(viewer, Scope.MANAGE_CHANNELS, req.producer_id);
    const connector = this.connectorOf(req.marketplace, "marketplace");
    const app = req.app_credentials
      ? this.rt.box.openJson<AppCredentials>(req.app_credentials)
      : this.configuredApp(req.marketplace);
    // Single use: whoever deletes the row first completes it.
    const [, deleted] = await this.rt.ds.query(`DELETE FROM channel_authorization WHERE state_hash = $1`, [
      hashState(state),
    ]);
    if (deleted === 0) throw UserErrors.one("state", "AUTH_STATE_INVALID");
    let tokens: TokenSet;
    try {
      tokens = await connector.exchangeCode({
        app,
        baseUrl: req.base_url,
        callbackParams: { ...callbackParams, state },
        redirectUri: req.redirect_uri,
        now: () => this.rt.clock.now().getTime(),
      });
    } catch (e) {
      if (e instanceof ConnectorError)
        throw UserErrors.one("callbackParams", "MARKETPLACE_REFUSED", { reason: e.code });
      throw e;
    }
    const shopId = tokens.shopId ?? callbackParams.shop_id ?? null;
    const tokenCredentials = {
      ...app,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      accessExpiresAt: tokens.accessExpiresAt,
      refreshExpiresAt: tokens.refreshExpiresAt,
      extra: tokens.extra,
    };
    const [existing]: Array<{ id: string; producer_id: string }> = shopId
      ? await this.rt.ds.query(
          `SELECT id, producer_id FROM channel WHERE marketplace = $1 AND shop_id = $2 AND status <> 'DISCONNECTED'`,
          [req.marketplace, shopId],
        )
      : [];
    if (existing) {
      if (existing.producer_id !== req.producer_id)
        throw UserErrors.one("shopId", "DUPLICATE", { label: "shopId", value: shopId ?? "" });
      return this.reauthorize(existing.id, tokenCredentials);
    }
    const channel = await this.insertChannel({
      producerId: req.producer_id,
      marketplace: req.marketplace,
      name: req.name ?? `${connector.displayName}${shopId ? ` ${shopId}` : ""}`,
      shopId,
      baseUrl: req.base_url,
    });
    await saveCredentials(this.rt.ds, this.rt.box, channel.id, tokenCredentials);
    this.rt.log.info({ channelId: channel.id, marketplace: req.marketplace }, "channel authorized");
    return (await this.rt.ds.getRepository(Channel).findOneBy({ id: channel.id }))!;
  }

  /**
   * The seller authorized a shop the hub already has (the way out of NEEDS_REAUTH): the same channel
   * takes the new tokens, so its listings, orders and history stay linked, and what waited meanwhile
   * catches up at once: every dirty listing is pushed, listings left PENDING are published, an order
   * pull resumes from the saved cursor, and webhooks stored meanwhile go to an import job.
   */
  private async reauthorize(
    channelId: string,
    creds: Parameters<typeof saveCredentials>[3],
  ): Promise<Channel> {
    // A paused channel stays paused: re-authorizing is not resuming.
    const [before]: Array<{ status: ChannelStatus }> = await this.rt.ds.query(
      `SELECT status FROM channel WHERE id = $1`,
      [channelId],
    );
    await saveCredentials(this.rt.ds, this.rt.box, channelId, creds);
    if (before?.status === ChannelStatus.PAUSED)
      await this.rt.ds.query(`UPDATE channel SET status = 'PAUSED' WHERE id = $1`, [channelId]);
    else {
      await this.rt.ds.query(
        `SELECT pg_notify('ocop_outbox', $1 || ':stock'), pg_notify('ocop_outbox', $1 || ':price'),
                pg_notify('ocop_outbox', $1 || ':content')`,
        [channelId],
      );
      if (this.queue) {
        const run = await createRun(this.rt.ds, {
          channelId,
          kind: SyncKind.ORDERS,
          trigger: SyncTrigger.EVENT,
          details: { reason: "re-authorized" },
        });
        await this.queue.enqueueRun(run.id);
        // Publishes that could not run while the shop was unreadable (their runs were cancelled).
        const [{ products }]: Array<{ products: string[] | null }> = await this.rt.ds.query(
          `SELECT array_agg(DISTINCT product_id::text) AS products FROM listing
            WHERE channel_id = $1 AND state = 'PENDING' AND content_review IS NULL`,
          [channelId],
        );
        if (products?.length) {
          const publish = await createRun(this.rt.ds, {
            channelId,
            kind: SyncKind.PUBLISH,
            trigger: SyncTrigger.EVENT,
            details: { productIds: products, requestedBy: "re-authorization" },
          });
          await this.queue.enqueueRun(publish.id);
        }
        // Webhooks stored while the shop could not be read: one import job takes them (and sweeps the rest).
        const pending: Array<{ id: string; external_order_id: string }> = await this.rt.ds.query(
          `SELECT id::text, external_order_id FROM webhook_event
            WHERE channel_id = $1 AND processed_at IS NULL AND external_order_id IS NOT NULL
            ORDER BY id LIMIT 500`,
          [channelId],
        );
        if (pending.length)
          await this.queue.enqueueOrderImport({
            channelId,
            externalOrderIds: [...new Set(pending.map((e) => e.external_order_id))],
            source: "WEBHOOK",
            webhookEventIds: pending.map((e) => e.id),
          });
      }
    }
    this.rt.log.info({ channelId, was: before?.status }, "channel re-authorized");
    return (await this.rt.ds.getRepository(Channel).findOneBy({ id: channelId }))!;
  }

  // ---------- settings and lifecycle ----------

  async updateSettings(viewer: Viewer, id: string, input: ChannelSettingsInput): Promise<Channel> {
    const channel = await this.writable(viewer, id);
    const current = settingsOf(channel.settings);
    const next: ChannelSettings = {
      priceRule: { ...current.priceRule, ...stripNulls<PriceRule>(input.priceRule) },
      stockRule: { ...current.stockRule, ...stripNulls<StockRule>(input.stockRule) },
      schedules: { ...current.schedules },
      ocopClaim: {
        ...current.ocopClaim,
        ...stripNulls<Omit<OcopClaimTemplate, "descriptionBlock">>({
          titleSuffix: input.ocopClaim?.titleSuffix,
          setAttribute: input.ocopClaim?.setAttribute,
          addCertificateImage: input.ocopClaim?.addCertificateImage,
        }),
        descriptionBlock: {
          ...current.ocopClaim.descriptionBlock,
          ...stripNulls<OcopClaimTemplate["descriptionBlock"]>(input.ocopClaim?.descriptionBlock),
        },
      },
    };
    if (input.stockRule && "maxUnits" in input.stockRule)
      next.stockRule.maxUnits = input.stockRule.maxUnits ?? null;
    for (const s of input.schedules ?? []) {
      // "" (not a missing key) turns a kind off: settingsOf fills missing kinds with defaults.
      if (s.cron === null || s.cron.trim() === "") next.schedules[s.kind] = "";
      else next.schedules[s.kind] = s.cron.trim().replace(/\s+/g, " ");
    }
    const errors = validateSettings(next);
    if (errors.length) throw new UserErrors(errors);
    const priceChanged = JSON.stringify(next.priceRule) !== JSON.stringify(current.priceRule);
    const stockChanged = JSON.stringify(next.stockRule) !== JSON.stringify(current.stockRule);
    const claimChanged = JSON.stringify(next.ocopClaim) !== JSON.stringify(current.ocopClaim);
    await this.rt.ds.transaction(async (m) => {
      // Keep keys this service does not own (lastAuthError…).
      await m.query(`UPDATE channel SET settings = settings || $2::jsonb, updated_at = now() WHERE id = $1`, [
        id,
        JSON.stringify(next),
      ]);
      // A rule change alters what every listing of the channel should show: bump in the same transaction.
      if (priceChanged) await touchChannelListings(m, id, "price");
      if (stockChanged) await touchChannelListings(m, id, "stock");
      if (claimChanged) await touchChannelListings(m, id, "content");
    });
    return (await this.rt.ds.getRepository(Channel).findOneBy({ id }))!;
  }

  async pause(viewer: Viewer, id: string): Promise<Channel> {
    return this.transition(
      viewer,
      id,
      [ChannelStatus.ACTIVE, ChannelStatus.PAUSED],
      ChannelStatus.PAUSED,
      "pause",
    );
  }

  async resume(viewer: Viewer, id: string): Promise<Channel> {
    return this.transition(
      viewer,
      id,
      [ChannelStatus.PAUSED, ChannelStatus.ACTIVE],
      ChannelStatus.ACTIVE,
      "resume",
    );
  }

  /** Stops all work, wipes the credentials and marks the listings DELISTED (remote items stay as they are). */
  async disconnect(viewer: Viewer, id: string): Promise<Channel> {
    await this.writable(viewer, id);
    await this.rt.ds.transaction(async (m) => {
      await m.query(
        `UPDATE channel SET status = 'DISCONNECTED', credentials = NULL, credentials_version = credentials_version + 1,
                access_expires_at = NULL, refresh_expires_at = NULL, updated_at = now() WHERE id = $1`,
        [id],
      );
      await m.query(`UPDATE listing SET state = 'DELISTED', updated_at = now() WHERE channel_id = $1`, [id]);
      await m.query(
        `UPDATE sync_run SET status = 'CANCELLED', finished_at = now() WHERE channel_id = $1 AND status = 'QUEUED'`,
        [id],
      );
    });
    this.rt.log.info({ channelId: id }, "channel disconnected");
    return (await this.rt.ds.getRepository(Channel).findOneBy({ id }))!;
  }

  private async transition(
    viewer: Viewer,
    id: string,
    from: ChannelStatus[],
    to: ChannelStatus,
    action: string,
  ): Promise<Channel> {
    const channel = await this.writable(viewer, id);
    if (!from.includes(channel.status))
      throw UserErrors.one("id", "CHANNEL_STATE", { status: channel.status, action });
    await this.rt.ds.query(
      `UPDATE channel SET status = $2, updated_at = now() WHERE id = $1 AND status = ANY($3)`,
      [id, to, from],
    );
    return (await this.rt.ds.getRepository(Channel).findOneBy({ id }))!;
  }

  // ---------- helpers ----------

  /** Loads a channel the viewer may change; unknown and foreign channels look the same (not found). */
  async writable(viewer: Viewer, id: string): Promise<Channel> {
    const ch = await this.get(viewer, id);
    if (!ch) throw UserErrors.one("id", "NOT_FOUND", { entity: "channel", id });
    assertScope(viewer, Scope.MANAGE_CHANNELS, ch.producerId);
    if (ch.status === ChannelStatus.DISCONNECTED)
      throw UserErrors.one("id", "CHANNEL_STATE", { status: ch.status, action: "change" });
    return ch;
  }

  private connectorOf(code: MarketplaceCode, field: string): MarketplaceConnector {
    const c = this.rt.connectors[code];
    if (!c)
      throw UserErrors.one(field, "INVALID_VALUE", {
        value: code,
        allowed: Object.keys(this.rt.connectors).join(", "),
      });
    return c;
  }

  private async assertProducer(viewer: Viewer, producerId: string): Promise<void> {
    const rows = await this.rt.ds.query(`SELECT 1 FROM producer WHERE id = $1`, [producerId]);
    if (rows.length === 0 || !canSeeProducer(viewer, producerId))
      throw UserErrors.one("producerId", "NOT_FOUND", { entity: "producer", id: producerId });
    assertScope(viewer, Scope.MANAGE_CHANNELS, producerId);
  }

  /** App credentials from configuration, read at request time so a rotated key applies at once. */
  private configuredApp(code: MarketplaceCode): AppCredentials {
    const prefix = appEnvPrefix(code);
    const appKey = this.env[`${prefix}_APP_KEY`];
    const appSecret = this.env[`${prefix}_APP_SECRET`];
    if (!appKey || !appSecret)
      throw UserErrors.one("appKey", "APP_CREDENTIALS_MISSING", {
        marketplace: code,
        env: `${prefix}_APP_KEY / ${prefix}_APP_SECRET`,
      });
    return { appKey, appSecret };
  }

  private async insertChannel(c: {
    producerId: string;
    marketplace: MarketplaceCode;
    name: string;
    shopId: string | null;
    baseUrl: string;
  }): Promise<Channel> {
    try {
      const [row] = await this.rt.ds.query(
        `INSERT INTO channel (producer_id, marketplace, name, shop_id, base_url, status, settings)
         VALUES ($1, $2, $3, $4, $5, 'ACTIVE', $6::jsonb) RETURNING id`,
        [c.producerId, c.marketplace, c.name, c.shopId, c.baseUrl, JSON.stringify(settingsOf({}))],
      );
      return (await this.rt.ds.getRepository(Channel).findOneBy({ id: row.id }))!;
    } catch (e) {
      if ((e as { code?: string }).code === "23505")
        throw UserErrors.one("shopId", "DUPLICATE", { label: "shopId", value: c.shopId ?? "" });
      throw e;
    }
  }
}

function stripNulls<T extends object>(o: { [K in keyof T]?: T[K] | null } | null | undefined): Partial<T> {
  return Object.fromEntries(
    Object.entries(o ?? {}).filter(([, v]) => v !== null && v !== undefined),
  ) as Partial<T>;
}

/** Field-level problems of a complete settings object (paths as in the GraphQL input). */
export function validateSettings(s: ChannelSettings): UserErrorSpec[] {
  const e: UserErrorSpec[] = [];
  const int = (field: string, v: number, min: number, max: number) => {
    if (!Number.isInteger(v) || v < min || v > max)
      e.push({ field, code: "OUT_OF_RANGE", params: { min, max } });
  };
  const p = s.priceRule;
  int("settings.priceRule.markupBasisPoints", p.markupBasisPoints, -9_000, 100_000);
  int("settings.priceRule.fixedVnd", p.fixedVnd, -MAX_UNIT_PRICE_VND, MAX_UNIT_PRICE_VND);
  int("settings.priceRule.roundingStepVnd", p.roundingStepVnd, 1, 1_000_000);
  int("settings.priceRule.floorVnd", p.floorVnd, 0, MAX_UNIT_PRICE_VND);
  if (!ROUNDING.includes(p.rounding))
    e.push({
      field: "settings.priceRule.rounding",
      code: "INVALID_VALUE",
      params: { value: String(p.rounding), allowed: ROUNDING.join(", ") },
    });
  const r = s.stockRule;
  int("settings.stockRule.sharePercent", r.sharePercent, 0, 100);
  int("settings.stockRule.bufferUnits", r.bufferUnits, 0, 1_000_000);
  if (r.maxUnits !== null) int("settings.stockRule.maxUnits", r.maxUnits, 0, 1_000_000);
  int("settings.stockRule.cutoffUnits", r.cutoffUnits, 0, 1_000_000);
  e.push(...validateClaimTemplate(s.ocopClaim));
  for (const [kind, expr] of Object.entries(s.schedules)) {
    if (!SCHEDULE_KINDS.includes(kind as ScheduleKind))
      e.push({
        field: "settings.schedules",
        code: "INVALID_VALUE",
        params: { value: kind, allowed: SCHEDULE_KINDS.join(", ") },
      });
    else if (expr && !cron.validate(expr))
      e.push({ field: `settings.schedules.${kind}`, code: "INVALID_CRON", params: { value: expr ?? "" } });
  }
  return e;
}

/** Marks every live listing of a channel dirty for one kind and wakes the dispatcher (at commit). */
export async function touchChannelListings(
  m: EntityManager,
  channelId: string,
  kind: "price" | "stock" | "content",
): Promise<number> {
  const [, n] = await m.query(
    `UPDATE listing SET ${kind}_version = ${kind}_version + 1,
            ${kind}_dirty_since = CASE WHEN ${kind}_version <= ${kind}_pushed_version THEN now() ELSE ${kind}_dirty_since END,
            updated_at = now()
      WHERE channel_id = $1 AND state <> 'DELISTED'`,
    [channelId],
  );
  if (n > 0) await m.query(`SELECT pg_notify('ocop_outbox', $1)`, [`${channelId}:${kind}`]);
  return n;
}
