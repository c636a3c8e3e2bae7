/**
 * Plumbing shared by the fault suite (test/faults/run.ts) and the load, soak and scale-out benches:
 * the sandboxes in their own process, hub processes (`dist/src/main.js --role …`) that can be killed
 * and restarted, a small catalogue connected to all four marketplaces and published through the real
 * path, traffic (buyer orders, stock and price changes over GraphQL), and the invariant checks.
 * Everything talks to the hub the way the outside world does: HTTP, webhooks, the shared database.
 */
import "reflect-metadata";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ChildProcess, fork, spawn } from "node:child_process";
import type { DataSource } from "typeorm";
import type { MarketplaceCode, NormalizedOrderStatus } from "../../src/channels/connectors/connector";
import type { MarketplaceSandbox, SandboxFaults, SandboxSkuView } from "../../src/sandbox/sandbox";
import type { SandboxAnswer, SandboxCall } from "../../src/scripts/fault-sandboxes";
import { CONNECTORS } from "../../src/channels/connectors/registry";
import { ChannelService } from "../../src/channels/channel.service";
import { systemViewer } from "../../src/auth/viewer";
import { mapDemoCategories, PLACEHOLDER_IMAGE } from "../../src/sync/demo-channels";
import { desiredValues } from "../../src/sync/desired-state";
import { toGlobalId } from "../../src/common/graphql/global-id";
import type { HubServices } from "../../src/app/services";
import type { Dice } from "../../src/scripts/prng";

const DIST = path.resolve(__dirname, "../..");
export const MAIN_JS = path.join(DIST, "src/main.js");
const SANDBOX_JS = path.join(DIST, "src/scripts/fault-sandboxes.js");
export const CODES: MarketplaceCode[] = ["shopee", "lazada", "tiktok-shop", "tiki"];

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- sandboxes in their own process

type Method = keyof MarketplaceSandbox;

export class SandboxProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private constructor(
    private readonly child: ChildProcess,
    readonly urls: Record<MarketplaceCode, string>,
  ) {
    child.on("message", (m: SandboxAnswer) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.ok) w.resolve(m.result);
      else w.reject(new Error(m.error));
    });
    child.on("exit", () => {
      for (const w of this.waiting.values()) w.reject(new Error("sandbox process exited"));
      this.waiting.clear();
    });
  }

  static async start(seed: number, logFile?: string): Promise<SandboxProcess> {
    const out = logFile ? fs.openSync(logFile, "a") : "ignore";
    const child = fork(SANDBOX_JS, [], {
      env: { ...process.env, FAULT_SANDBOX_SEED: String(seed), LOG_LEVEL: "silent" },
      stdio: ["ignore", out, out, "ipc"],
    });
    const urls = await new Promise<Record<MarketplaceCode, string>>((resolve, reject) => {
      child.once("message", (m: { ready?: boolean; urls?: Record<MarketplaceCode, string> }) =>
        m.ready && m.urls ? resolve(m.urls) : reject(new Error("sandbox process did not start")),
      );
      child.once("exit", (code) => reject(new Error(`sandbox process exited with ${code}`)));
    });
    return new SandboxProcess(child, urls);
  }

  call<T = unknown>(code: MarketplaceCode, method: Method, ...args: unknown[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, code, method, args } satisfies SandboxCall);
    });
  }

  setFaults(code: MarketplaceCode, f: Partial<SandboxFaults>): Promise<void> {
    return this.call(code, "setFaults", f);
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once("exit", () => resolve());
      this.child.disconnect();
      setTimeout(() => this.child.kill("SIGKILL"), 5_000).unref();
    });
  }
}

// ---------------------------------------------------------------- hub processes

export interface HubProcessOptions {
  name: string;
  role: "api" | "worker" | "all";
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** Restart by itself after an exit nobody asked for (as systemd or Kubernetes would). */
  supervise?: boolean;
}

/** One `node dist/src/main.js --role …` child. */
export class HubProcess {
  child: ChildProcess | null = null;
  /** Exits that were not asked for (crashes), with their exit code or signal. */
  readonly crashes: string[] = [];
  starts = 0;
  private expectingExit = false;

  constructor(readonly o: HubProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const out = fs.openSync(this.o.logFile, "a");
    const child = spawn(process.execPath, [MAIN_JS, "--role", this.o.role], {
      env: { ...process.env, ...this.o.env },
      stdio: ["ignore", out, out],
    });
    fs.closeSync(out);
    this.starts++;
    this.expectingExit = false;
    this.child = child;
    child.once("exit", (code, signal) => {
      if (this.child !== child) return;
      this.child = null;
      if (this.expectingExit) return;
      this.crashes.push(`${this.o.name} exited by itself (${signal ?? `code ${code}`})`);
      if (this.o.supervise) setTimeout(() => this.child === null && this.start(), 500);
    });
  }

  /** Sends the signal and waits for the exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.expectingExit = true;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill(signal);
      if (signal !== "SIGKILL") setTimeout(() => child.kill("SIGKILL"), 15_000).unref();
    });
  }

  async restart(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    await this.stop(signal);
    this.start();
  }
}

/** Waits until the API answers /readyz (its database is reachable). */
export async function waitReady(origin: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (r.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`${origin} not ready after ${timeoutMs} ms`);
    await sleep(200);
  }
}

// ---------------------------------------------------------------- GraphQL over HTTP

export interface GqlResult<T = Record<string, any>> {
  data?: T;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

export async function gql<T = Record<string, any>>(
  origin: string,
  key: string,
  query: string,
  variables: Record<string, unknown> = {},
  timeoutMs = 15_000,
): Promise<GqlResult<T>> {
  const r = await fetch(`${origin}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (r.status >= 500) throw new Error(`HTTP ${r.status}`);
  return (await r.json()) as GqlResult<T>;
}

// ---------------------------------------------------------------- the world: catalogue + channels

export interface WorldVariant {
  id: string;
  sku: string;
  productId: string;
}

export interface WorldChannel {
  id: string;
  code: MarketplaceCode;
  shopId: string;
  /** The shop whose authorization is revoked during the run. */
  revocable: boolean;
  /** The app the shop authorized (the seller re-authorizes with it after NEEDS_REAUTH). */
  appKey: string;
  appSecret: string;
  name: string;
}

export interface World {
  producerId: string;
  productIds: string[];
  variants: WorldVariant[];
  channels: WorldChannel[];
}

/** Per-channel price and stock rules, different on every marketplace so the rules are really exercised. */
const RULES: Record<MarketplaceCode, { priceRule?: object; stockRule?: object }> = {
  shopee: { priceRule: { markupBasisPoints: 1500, roundingStepVnd: 1000, rounding: "UP" } },
  lazada: { priceRule: { fixedVnd: 5000 }, stockRule: { sharePercent: 80 } },
  "tiktok-shop": { stockRule: { maxUnits: 25, cutoffUnits: 2 } },
  tiki: { priceRule: { markupBasisPoints: -500, floorVnd: 50_000 }, stockRule: { bufferUnits: 2 } },
};

export interface WorldOptions {
  ds: DataSource;
  services: HubServices;
  sandboxes: SandboxProcess;
  /** Where the API listens (webhook targets, image URLs). */
  hubOrigin: string;
  products: number;
  variantsPerProduct: number;
  initialStock: number;
  /** Cron per kind for every channel (6 fields: seconds). */
  schedules: Partial<Record<"ORDERS" | "STOCK" | "PRICE" | "RECONCILE" | "REFRESH_TOKEN", string>>;
  /** Also connect a second Shopee shop whose authorization the run revokes. */
  revocableShop?: boolean;
}

export async function buildWorld(o: WorldOptions): Promise<World> {
  const { ds } = o;
  const tag = crypto.randomBytes(3).toString("hex");
  const [producer] = await ds.query(
    `INSERT INTO producer (legal_name, name_key, type, address_raw) VALUES ($1, $2, 'COOPERATIVE', 'Mộc Châu, Sơn La') RETURNING id`,
    [`HTX Chè Shan Tuyết ${tag}`, `htx che shan tuyet ${tag}`],
  );
  const productIds: string[] = [];
  const variants: WorldVariant[] = [];
  for (let p = 0; p < o.products; p++) {
    const [row] = await ds.query(
      `INSERT INTO product (producer_id, name, search_key, slug, category, description, story, images)
       VALUES ($1, $2, $3, $4, $5, $6, 'Hái tay trên núi cao, sao thủ công tại hợp tác xã.', $7) RETURNING id`,
      [
        producer.id,
        `Chè Shan tuyết cổ thụ Mộc Châu số ${p + 1}`,
        `che shan tuyet co thu moc chau so ${p + 1}`,
        `che-shan-tuyet-${tag}-${p + 1}`,
        p % 2 ? "BEVERAGE" : "FOOD",
        "Chè Shan tuyết cổ thụ, búp non một tôm hai lá, hương cốm, nước xanh vàng, hậu ngọt sâu.",
        JSON.stringify([{ url: `${o.hubOrigin}${PLACEHOLDER_IMAGE}`, alt: "Chè" }]),
      ],
    );
    productIds.push(row.id);
    for (let v = 0; v < o.variantsPerProduct; v++) {
      const sku = `CHE-${String(p + 1).padStart(3, "0")}-${v + 1}`;
      const [vr] = await ds.query(
        `INSERT INTO variant (product_id, producer_id, sku, pack_spec, weight_grams, price_vnd)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
        [row.id, producer.id, sku, `gói ${100 * (v + 1)}g`, 120 * (v + 1), 90_000 + 1_000 * p + 35_000 * v],
      );
      await ds.query(`INSERT INTO stock_level (variant_id, on_hand, reserved) VALUES ($1, $2, 0)`, [
        vr.id,
        o.initialStock,
      ]);
      await ds.query(
        `INSERT INTO stock_movement (variant_id, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reason, actor)
         VALUES ($1, 'INITIAL', $2, 0, $2, 0, 'initial stock', 'fault-suite')`,
        [vr.id, o.initialStock],
      );
      variants.push({ id: vr.id, sku, productId: row.id });
    }
  }

  const viewer = systemViewer("fault-suite");
  const channelService = new ChannelService(o.services.sync);
  const channels: WorldChannel[] = [];
  const shops: Array<{ code: MarketplaceCode; revocable: boolean }> = CODES.map((code) => ({
    code,
    revocable: false,
  }));
  if (o.revocableShop) shops.push({ code: "shopee", revocable: true });
  for (const { code, revocable } of shops) {
    const baseUrl = o.sandboxes.urls[code];
    const shop = await o.sandboxes.call<{ shopId: string; appKey: string; appSecret: string }>(
      code,
      "createShop",
    );
    const app = { appKey: shop.appKey, appSecret: shop.appSecret };
    const tokens = await CONNECTORS[code].exchangeCode({
      app,
      baseUrl,
      callbackParams: {
        code: await o.sandboxes.call<string>(code, "issueAuthCode", shop.shopId),
        shop_id: shop.shopId,
        state: "fault-suite",
      },
      redirectUri: `${o.hubOrigin}/oauth/callback`,
    });
    const ch = await channelService.connect(viewer, {
      producerId: producer.id,
      marketplace: code,
      name: `${code}${revocable ? " (revoked later)" : ""}`,
      shopId: tokens.shopId ?? shop.shopId,
      baseUrl,
      ...app,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      accessExpiresAt: new Date(tokens.accessExpiresAt),
      refreshExpiresAt: tokens.refreshExpiresAt === null ? null : new Date(tokens.refreshExpiresAt),
      extra: tokens.extra ?? null,
    });
    await mapDemoCategories(o.services.sync, ch.id);
    await channelService.updateSettings(viewer, ch.id, {
      priceRule: (RULES[code].priceRule ?? null) as never,
      stockRule: (RULES[code].stockRule ?? null) as never,
      schedules: Object.entries(o.schedules).map(([kind, cron]) => ({ kind: kind as never, cron })),
    });
    await o.sandboxes.call(code, "setWebhookTarget", `${o.hubOrigin}/webhooks/${code}/${ch.id}`);
    channels.push({ id: ch.id, code, shopId: shop.shopId, revocable, ...app, name: ch.name });
  }
  return { producerId: producer.id, productIds, variants, channels };
}

export async function publish(
  origin: string,
  key: string,
  world: World,
  productIds: string[],
  channels: WorldChannel[] = world.channels,
): Promise<GqlResult> {
  return gql(
    origin,
    key,
    `mutation($input: PublishProductsInput!) { publishProducts(input: $input) {
       userErrors { field code } channels { channelId runId listingsQueued previews { ready problems { code field } } } } }`,
    {
      input: {
        productIds: productIds.map((id) => toGlobalId("Product", id)),
        channelIds: channels.map((c) => toGlobalId("Channel", c.id)),
        dryRun: false,
      },
    },
    60_000,
  );
}

// ---------------------------------------------------------------- traffic

export interface PlacedOrder {
  channelId: string;
  code: MarketplaceCode;
  shopId: string;
  externalOrderId: string;
  lines: Array<{ sku: string; quantity: number }>;
  /** The status the run moved it to; null while it is as the marketplace created it. */
  status: NormalizedOrderStatus | null;
  at: number;
}

export interface Adjustment {
  reference: string;
  variantId: string;
  delta: number;
  /** What the API finally answered: applied, refused (userError), or unknown (never answered). */
  outcome: "applied" | "refused" | "unknown";
}

/** A buyer order of 1–2 lines on one shop, from SKUs the marketplace shows in stock; null when none. */
export async function placeOrder(
  sandboxes: SandboxProcess,
  ch: WorldChannel,
  dice: Dice,
): Promise<PlacedOrder | null> {
  const skus = (await sandboxes.call<SandboxSkuView[]>(ch.code, "allSkus", ch.shopId)).filter(
    (v) => v.stock > 0,
  );
  if (skus.length === 0) return null;
  const lines: Array<{ sku: string; quantity: number }> = [];
  const n = Math.min(skus.length, dice.between(1, 2));
  for (let i = 0; i < n; i++) {
    const v = skus.splice(dice.int(skus.length), 1)[0];
    lines.push({ sku: v.sku, quantity: Math.min(v.stock, dice.between(1, 3)) });
  }
  try {
    const { externalOrderId } = await sandboxes.call<{ externalOrderId: string }>(
      ch.code,
      "createOrder",
      ch.shopId,
      lines,
    );
    return {
      channelId: ch.id,
      code: ch.code,
      shopId: ch.shopId,
      externalOrderId,
      lines,
      status: null,
      at: Date.now(),
    };
  } catch {
    return null; // the marketplace's own stock ran out between the read and the order
  }
}

/**
 * A stock adjustment over GraphQL with an idempotency reference, repeated with the same reference
 * until the API answers (it may be restarting): the effect must happen exactly once.
 */
export async function adjustStock(
  origin: () => string,
  key: string,
  variantId: string,
  delta: number,
  deadline: number,
): Promise<Adjustment> {
  const reference = `fault-adj-${crypto.randomUUID()}`;
  const adj: Adjustment = { reference, variantId, delta, outcome: "unknown" };
  while (Date.now() < deadline) {
    try {
      const r = await gql(
        origin(),
        key,
        `mutation($input: AdjustStockInput!) { adjustStock(input: $input) { applied userErrors { code } } }`,
        {
          input: {
            variantId: toGlobalId("Variant", variantId),
            delta,
            reason: delta > 0 ? "nhập lô mới / new batch" : "hàng hỏng / damaged",
            reference,
          },
        },
      );
      const p = r.data?.adjustStock;
      if (p) {
        adj.outcome = p.userErrors.length === 0 ? "applied" : "refused";
        return adj;
      }
    } catch {
      // API down or connection dropped: same reference again
    }
    await sleep(300);
  }
  return adj;
}

/** A price change over GraphQL (upsertVariants), repeated until answered. Returns whether it applied. */
export async function setPrice(
  origin: () => string,
  key: string,
  productId: string,
  sku: string,
  priceVnd: number,
  deadline: number,
): Promise<boolean> {
  while (Date.now() < deadline) {
    try {
      const r = await gql(
        origin(),
        key,
        `mutation($p: ID!, $v: [VariantInput!]!) { upsertVariants(productId: $p, variants: $v) { userErrors { code } } }`,
        { p: toGlobalId("Product", productId), v: [{ sku, priceVnd }] },
      );
      if (r.data?.upsertVariants) return r.data.upsertVariants.userErrors.length === 0;
    } catch {
      // retry: setting a price is idempotent
    }
    await sleep(300);
  }
  return false;
}

// ---------------------------------------------------------------- invariants

export interface Violation {
  invariant: string;
  count: number;
  examples: string[];
}

export interface Ledger {
  orders: PlacedOrder[];
  adjustments: Adjustment[];
  /** Channels whose authorization the run revoked (the seller re-authorizes them after the alert). */
  revokedChannelIds: Set<string>;
  /** Every re-authorization the seller did, and why the channel needed it. */
  reauthorized: Reauthorization[];
}

export interface Reauthorization {
  channelId: string;
  name: string;
  revoked: boolean;
  /** The marketplace's answer the hub kept in settings.lastAuthError. */
  lastAuthError: string;
  /** An open CHANNEL_NEEDS_REAUTH alert named the channel before the seller acted. */
  alerted: boolean;
}

function violation(invariant: string, bad: string[]): Violation[] {
  return bad.length ? [{ invariant, count: bad.length, examples: bad.slice(0, 5) }] : [];
}

/** What each ACTIVE channel's marketplace shows against what the rules give, per LIVE listing. */
export async function marketplaceMismatches(
  ds: DataSource,
  sandboxes: SandboxProcess,
  world: World,
): Promise<string[]> {
  const bad: string[] = [];
  const rows: Array<{ id: string; channel_id: string; sku: string; state: string }> = await ds.query(
    `SELECT l.id, l.channel_id, v.sku, l.state FROM listing l JOIN variant v ON v.id = l.variant_id
       JOIN channel c ON c.id = l.channel_id WHERE c.status = 'ACTIVE' AND l.state = 'LIVE'`,
  );
  const want = await desiredValues(
    ds,
    rows.map((r) => r.id),
  );
  for (const ch of world.channels) {
    const mine = rows.filter((r) => r.channel_id === ch.id);
    if (mine.length === 0) continue;
    const shown = await sandboxes.call<SandboxSkuView[]>(ch.code, "allSkus", ch.shopId);
    const bySku = new Map<string, SandboxSkuView[]>();
    for (const s of shown) bySku.set(s.sku, [...(bySku.get(s.sku) ?? []), s]);
    for (const r of mine) {
      const d = want.get(r.id)!;
      const views = bySku.get(r.sku) ?? [];
      if (views.length !== 1) {
        bad.push(`${ch.code} ${r.sku}: listed ${views.length} times on the marketplace`);
        continue;
      }
      const v = views[0];
      if (v.stock !== d.stock || (d.priceVnd !== null && v.priceVnd !== d.priceVnd))
        bad.push(
          `${ch.code} ${r.sku}: shows stock ${v.stock} price ${v.priceVnd}, rules give stock ${d.stock} price ${d.priceVnd}`,
        );
    }
  }
  return bad;
}

/** Orders placed on a marketplace that the hub does not have (exactly once) yet. */
export async function missingOrders(ds: DataSource, ledger: Ledger): Promise<string[]> {
  const rows: Array<{ channel_id: string; external_order_id: string; n: number }> = await ds.query(
    `SELECT channel_id, external_order_id, count(*)::int AS n FROM marketplace_order GROUP BY 1, 2`,
  );
  const have = new Map(rows.map((r) => [`${r.channel_id}|${r.external_order_id}`, r.n]));
  const pending = new Set<string>(
    (
      await ds.query(
        `SELECT channel_id || '|' || external_order_id AS k FROM webhook_event WHERE external_order_id IS NOT NULL`,
      )
    ).map((r: { k: string }) => r.k),
  );
  const bad: string[] = [];
  for (const o of ledger.orders) {
    const k = `${o.channelId}|${o.externalOrderId}`;
    const n = have.get(k) ?? 0;
    if (n === 1) continue;
    bad.push(
      `${o.code} order ${o.externalOrderId}: ${n} rows in the hub${pending.has(k) ? " (webhook stored)" : ""}`,
    );
  }
  return bad;
}

/**
 * A new listing whose creation the marketplace (Tiki) has not reviewed yet: PENDING, followed, and
 * explained to the seller. A create request the sandbox acknowledged without applying ("OK but not
 * applied") stays in review for good, as a request Tiki never decides would.
 */
export const AWAITING_CREATION_REVIEW = `coalesce(l.state = 'PENDING' AND l.content_review->>'kind' = 'CREATE'
  AND l.content_review->>'state' = 'IN_REVIEW' AND l.last_error->>'code' = 'LISTING_IN_REVIEW', false)`;

/** Every invariant of issue 8, each with examples of what broke it. */
export async function checkInvariants(
  ds: DataSource,
  sandboxes: SandboxProcess,
  world: World,
  ledger: Ledger,
): Promise<Violation[]> {
  const v: Violation[] = [];

  // 1. Every order received by any path exists exactly once, with the marketplace's lines and status.
  v.push(...violation("every order placed exists exactly once in the hub", await missingOrders(ds, ledger)));
  const known = new Set(ledger.orders.map((o) => `${o.channelId}|${o.externalOrderId}`));
  const extra: Array<{ k: string }> = await ds.query(
    `SELECT channel_id || '|' || external_order_id AS k FROM marketplace_order`,
  );
  v.push(
    ...violation(
      "no order the marketplaces never had",
      extra.filter((r) => !known.has(r.k)).map((r) => r.k),
    ),
  );
  const orderRows: Array<{ k: string; status: string; lines: Array<{ sku: string; quantity: number }> }> =
    await ds.query(
      `SELECT o.channel_id || '|' || o.external_order_id AS k, o.status,
              coalesce(json_agg(json_build_object('sku', l.sku, 'quantity', l.quantity)) FILTER (WHERE l.id IS NOT NULL), '[]') AS lines
         FROM marketplace_order o LEFT JOIN order_line l ON l.order_id = o.id GROUP BY o.id`,
    );
  const byKey = new Map(orderRows.map((r) => [r.k, r]));
  const wrongLines: string[] = [];
  const wrongStatus: string[] = [];
  for (const o of ledger.orders) {
    const r = byKey.get(`${o.channelId}|${o.externalOrderId}`);
    if (!r) continue;
    const want = o.lines
      .map((l) => `${l.sku}×${l.quantity}`)
      .sort()
      .join(",");
    const got = r.lines
      .map((l) => `${l.sku}×${l.quantity}`)
      .sort()
      .join(",");
    if (want !== got) wrongLines.push(`${o.code} ${o.externalOrderId}: marketplace ${want}, hub ${got}`);
    if (o.status && r.status !== o.status)
      wrongStatus.push(`${o.code} ${o.externalOrderId}: marketplace ${o.status}, hub ${r.status}`);
  }
  v.push(...violation("order lines as on the marketplace", wrongLines));
  v.push(...violation("order status as on the marketplace", wrongStatus));

  // 2. Every order line's stock movements exist exactly once, as its state says.
  const lineMoves: Array<{ id: string; state: string; kinds: string[] | null }> = await ds.query(
    `SELECT l.id, l.state, array_agg(m.kind ORDER BY m.kind) FILTER (WHERE m.id IS NOT NULL) AS kinds
       FROM order_line l LEFT JOIN stock_movement m
         ON m.reference = 'order-line:' || l.id AND m.variant_id = l.variant_id
      WHERE l.variant_id IS NOT NULL GROUP BY l.id, l.state`,
  );
  const EXPECTED: Record<string, string[]> = {
    RESERVED: ["RESERVATION"],
    SOLD: ["RESERVATION", "SALE"],
    RELEASED: ["RELEASE", "RESERVATION"],
    RETURNED: ["RESERVATION", "RETURN", "SALE"],
    OVERSOLD: [],
    UNMAPPED: [],
  };
  v.push(
    ...violation(
      "each order line's stock movements exist exactly once",
      lineMoves
        .filter((l) => {
          const got = (l.kinds ?? []).join(",");
          if (l.state === "RELEASED" && got === "") return false; // first seen cancelled: nothing reserved
          return got !== (EXPECTED[l.state] ?? ["?"]).join(",");
        })
        .map((l) => `line ${l.id} ${l.state}: movements [${(l.kinds ?? []).join(", ")}]`),
    ),
  );

  // 3. The ledger sums to the stock level; 4. never below zero, at any point of the ledger.
  const sums: Array<{
    sku: string;
    on_hand: number;
    reserved: number;
    l_on_hand: number;
    l_reserved: number;
  }> = await ds.query(
    `SELECT v.sku, s.on_hand, s.reserved, coalesce(sum(m.on_hand_delta), 0)::int AS l_on_hand,
              coalesce(sum(m.reserved_delta), 0)::int AS l_reserved
         FROM variant v JOIN stock_level s ON s.variant_id = v.id LEFT JOIN stock_movement m ON m.variant_id = v.id
        GROUP BY v.sku, s.on_hand, s.reserved`,
  );
  v.push(
    ...violation(
      "ledger sums equal the stock level",
      sums
        .filter((s) => s.on_hand !== s.l_on_hand || s.reserved !== s.l_reserved)
        .map((s) => `${s.sku}: level ${s.on_hand}/${s.reserved}, ledger ${s.l_on_hand}/${s.l_reserved}`),
    ),
  );
  const below: Array<{ id: string; kind: string; on_hand_after: number; reserved_after: number }> =
    await ds.query(
      `SELECT id::text, kind, on_hand_after, reserved_after FROM stock_movement
      WHERE on_hand_after < 0 OR reserved_after < 0 OR reserved_after > on_hand_after`,
    );
  v.push(
    ...violation(
      "stock never below zero (every ledger step)",
      below.map(
        (b) => `movement ${b.id} ${b.kind}: on hand ${b.on_hand_after}, reserved ${b.reserved_after}`,
      ),
    ),
  );
  // Cross-checked from order lines, not from the stock tables: units promised to buyers ≤ units received.
  const oversold: Array<{ sku: string; committed: number; received: number }> = await ds.query(
    `SELECT v.sku,
            (SELECT coalesce(sum(l.quantity), 0) FROM order_line l WHERE l.variant_id = v.id AND l.state IN ('RESERVED','SOLD'))::int AS committed,
            (SELECT coalesce(sum(m.on_hand_delta), 0) FROM stock_movement m WHERE m.variant_id = v.id AND m.kind <> 'SALE')::int AS received
       FROM variant v`,
  );
  v.push(
    ...violation(
      "no variant sold more than it had",
      oversold
        .filter((o) => o.committed > o.received)
        .map((o) => `${o.sku}: ${o.committed} committed to buyers, ${o.received} received`),
    ),
  );

  // Stock changes made over the API: each acknowledged one exactly once, each refused one not at all.
  const refs: Array<{ reference: string; n: number }> = await ds.query(
    `SELECT reference, count(*)::int AS n FROM stock_movement WHERE reference LIKE 'fault-adj-%' GROUP BY reference`,
  );
  const refCount = new Map(refs.map((r) => [r.reference, r.n]));
  v.push(
    ...violation(
      "each acknowledged stock adjustment applied exactly once",
      ledger.adjustments
        .filter((a) => (a.outcome === "applied" ? 1 : a.outcome === "refused" ? 0 : -1) !== -1)
        .filter((a) => (refCount.get(a.reference) ?? 0) !== (a.outcome === "applied" ? 1 : 0))
        .map((a) => `${a.reference} (${a.delta}) ${a.outcome}: ${refCount.get(a.reference) ?? 0} movements`),
    ),
  );

  // 5. Every marketplace shows exactly what the rules give for the final master data.
  v.push(
    ...violation(
      "every marketplace shows the price and stock the rules give",
      await marketplaceMismatches(ds, sandboxes, world),
    ),
  );
  const notLive: Array<{ sku: string; name: string; state: string; last_error: unknown }> = await ds.query(
    `SELECT v.sku, c.name, l.state, l.last_error FROM listing l JOIN variant v ON v.id = l.variant_id
       JOIN channel c ON c.id = l.channel_id
      WHERE c.status = 'ACTIVE' AND (l.state IN ('DRAFT','PENDING') OR (l.state = 'FAILED' AND l.last_error IS NULL))
        AND NOT ${AWAITING_CREATION_REVIEW}`,
  );
  v.push(
    ...violation(
      "every listing published, failed with an explanation, or awaiting the marketplace's review with one",
      notLive.map((l) => `${l.name} ${l.sku}: ${l.state}`),
    ),
  );

  // 6. Every sync item applied, or failed/skipped with an explanation; no job stuck.
  const items: Array<{ id: string; kind: string; status: string; sku: string | null }> = await ds.query(
    `SELECT id::text, kind, status, sku FROM sync_item
      WHERE NOT (status = 'APPLIED' OR (status = 'SKIPPED' AND code IS NOT NULL)
                 OR (status IN ('FAILED','RETRYING') AND code IS NOT NULL AND message_en IS NOT NULL))`,
  );
  v.push(
    ...violation(
      "every sync item applied, or failed with an explanation",
      items.map((i) => `item ${i.id} ${i.kind} ${i.sku ?? ""}: ${i.status} without code/message`),
    ),
  );
  // A run nobody will ever finish: no live job for it and (outbox runs) no dispatcher holding its
  // per-(channel, kind) advisory lock. Looked at twice, 5 s apart, so a run being picked up is not flagged.
  const first = new Set((await orphanRuns(ds)).map((r) => r.id));
  await sleep(5_000);
  const orphans = (await orphanRuns(ds)).filter((r) => first.has(r.id));
  v.push(
    ...violation(
      "no sync run orphaned (RUNNING/QUEUED with no job and no dispatcher to finish it)",
      orphans.map((r) => `run ${r.id} ${r.kind} (${r.trigger}) ${r.status} for ${r.age} s`),
    ),
  );
  const stuckRuns: Array<{ id: string; kind: string; status: string; age: number }> = await ds.query(
    `SELECT id, kind, status, extract(epoch FROM now() - coalesce(started_at, queued_at))::int AS age FROM sync_run
      WHERE (status = 'RUNNING' AND started_at < now() - interval '120 seconds')
         OR (status = 'QUEUED' AND queued_at < now() - interval '360 seconds')`,
  );
  v.push(
    ...violation(
      "no sync run stuck",
      stuckRuns.map((r) => `run ${r.id} ${r.kind} ${r.status} for ${r.age} s`),
    ),
  );
  const stuckJobs: Array<{ id: string; name: string; state: string; age: number }> = await ds.query(
    `SELECT id::text, name, state, extract(epoch FROM now() - coalesce(started_on, created_on))::int AS age FROM pgboss.job
      WHERE state = 'active' AND started_on < now() - interval '120 seconds'`,
  );
  v.push(
    ...violation(
      "no job stuck",
      stuckJobs.map((j) => `job ${j.id} ${j.name} ${j.state} for ${j.age} s`),
    ),
  );
  const unfinishedFailed: Array<{ id: string; output: unknown }> = await ds.query(
    `SELECT j.id::text, j.output FROM pgboss.job j JOIN sync_run r ON r.id::text = j.data->>'runId'
      WHERE j.state = 'failed' AND r.status IN ('QUEUED','RUNNING')`,
  );
  v.push(
    ...violation(
      "a job that failed for good leaves its run finished with the reason",
      unfinishedFailed.map((j) => `job ${j.id}: ${JSON.stringify(j.output).slice(0, 160)}`),
    ),
  );
  const channels: Array<{ id: string; name: string; status: string }> = await ds.query(
    `SELECT id, name, status FROM channel`,
  );
  v.push(
    ...violation(
      "every channel ends ACTIVE (after the seller re-authorized the ones that needed it)",
      channels.filter((c) => c.status !== "ACTIVE").map((c) => `${c.name}: ${c.status}`),
    ),
  );
  const reauthorizedIds = new Set(ledger.reauthorized.map((r) => r.channelId));
  v.push(
    ...violation(
      "a revoked shop is noticed (NEEDS_REAUTH) and re-authorized",
      [...ledger.revokedChannelIds].filter((id) => !reauthorizedIds.has(id)).map((id) => `channel ${id}`),
    ),
  );
  v.push(
    ...violation(
      "a channel needing re-authorization is alerted first (CHANNEL_NEEDS_REAUTH)",
      ledger.reauthorized.filter((r) => !r.alerted).map((r) => r.name),
    ),
  );
  // Expired access tokens are refreshed without the seller. The one way a shop that was not revoked can
  // still need the seller: its single-use refresh token was spent by a refresh whose answer died with
  // a killed process (no client can recover that answer); the marketplace then says so.
  v.push(
    ...violation(
      "a shop that was not revoked needs re-authorization only after its refresh token was spent",
      ledger.reauthorized
        .filter((r) => !r.revoked && !SPENT_REFRESH.test(r.lastAuthError))
        .map((r) => `${r.name}: ${r.lastAuthError}`),
    ),
  );
  return v;
}

/** How each marketplace says a refresh token was already used (or is no longer valid). */
const SPENT_REFRESH = /already used|invalid_grant|refresh.?token/i;

const GRAPHQL_MARKETPLACE: Record<MarketplaceCode, string> = {
  shopee: "SHOPEE",
  lazada: "LAZADA",
  "tiktok-shop": "TIKTOK_SHOP",
  tiki: "TIKI",
};

/**
 * What a seller does about a CHANNEL_NEEDS_REAUTH alert: authorize the shop again through the hub's
 * OAuth flow (authorization link, the marketplace's code, callback). Returns what was done; a channel
 * whose alert has not been raised yet is left for the next call.
 */
export async function reauthorizeLostChannels(
  ds: DataSource,
  sandboxes: SandboxProcess,
  origin: string,
  key: string,
  world: World,
  ledger: Ledger,
): Promise<Reauthorization[]> {
  const lost: Array<{ id: string; err: string | null; alerted: boolean; since: number }> = await ds.query(
    `SELECT c.id, c.settings->'lastAuthError'->>'reason' AS err,
            EXISTS (SELECT 1 FROM alert a WHERE a.rule = 'CHANNEL_NEEDS_REAUTH' AND a.channel_id = c.id
                       AND a.status <> 'RESOLVED') AS alerted,
            extract(epoch FROM now() - c.updated_at)::int AS since
       FROM channel c WHERE c.status = 'NEEDS_REAUTH'`,
  );
  const done: Reauthorization[] = [];
  for (const row of lost) {
    // Give the alert rules (every 5 s here) time to see it; a seller without an alert would not know.
    if (!row.alerted && row.since < 30) continue;
    const ch = world.channels.find((c) => c.id === row.id);
    if (!ch) throw new Error(`channel ${row.id} is not one of the run's`);
    const start = await gql(
      origin,
      key,
      `mutation($input: ChannelAuthorizationInput!) { channelAuthorizationUrl(input: $input) { state userErrors { field code message } } }`,
      {
        input: {
          producerId: toGlobalId("Producer", world.producerId),
          marketplace: GRAPHQL_MARKETPLACE[ch.code],
          redirectUri: `${origin}/oauth/callback`,
          baseUrl: sandboxes.urls[ch.code],
          name: ch.name,
          appKey: ch.appKey,
          appSecret: ch.appSecret,
        },
      },
    );
    const state = start.data?.channelAuthorizationUrl?.state;
    if (!state) throw new Error(`authorization link refused: ${JSON.stringify(start).slice(0, 400)}`);
    const code = await sandboxes.call<string>(ch.code, "issueAuthCode", ch.shopId);
    const res = await gql(
      origin,
      key,
      `mutation($state: String!, $p: [KeyValueInput!]!) { completeChannelAuthorization(state: $state, callbackParams: $p) {
         channel { id status } userErrors { field code message } } }`,
      {
        state,
        p: [
          { name: "code", value: code },
          { name: "shop_id", value: ch.shopId },
        ],
      },
    );
    const payload = res.data?.completeChannelAuthorization;
    if (!payload || payload.userErrors.length || payload.channel?.status !== "ACTIVE")
      throw new Error(`re-authorization refused: ${JSON.stringify(res).slice(0, 400)}`);
    const r: Reauthorization = {
      channelId: ch.id,
      name: ch.name,
      revoked: ledger.revokedChannelIds.has(ch.id),
      lastAuthError: row.err ?? "",
      alerted: row.alerted,
    };
    ledger.reauthorized.push(r);
    done.push(r);
  }
  return done;
}

/** Runs in QUEUED/RUNNING (for over 15 s) that no live job will execute and no dispatcher is executing. */
export async function orphanRuns(
  ds: DataSource,
): Promise<Array<{ id: string; kind: string; trigger: string; status: string; age: number }>> {
  return ds.query(
    `SELECT r.id, r.kind, r.trigger, r.status, extract(epoch FROM now() - coalesce(r.started_at, r.queued_at))::int AS age
       FROM sync_run r
      WHERE r.status IN ('QUEUED','RUNNING') AND coalesce(r.started_at, r.queued_at) < now() - interval '15 seconds'
        AND NOT EXISTS (SELECT 1 FROM pgboss.job j WHERE j.name = 'sync-run' AND j.data->>'runId' = r.id::text
                          AND j.state IN ('created','retry','active'))
        AND NOT (r.kind IN ('PRICE','STOCK','CONTENT') AND r.status = 'RUNNING' AND EXISTS (
              SELECT 1 FROM pg_locks k WHERE k.locktype = 'advisory' AND k.granted AND k.objsubid = 1
                 AND ((k.classid::bigint << 32) | k.objid::bigint)
                     = hashtextextended('outbox:' || r.channel_id || ':' || lower(r.kind), 0)))`,
  );
}

export function formatViolations(vs: Violation[]): string {
  return vs
    .map((x) => `  ✗ ${x.invariant} (${x.count}):\n${x.examples.map((e) => `      - ${e}`).join("\n")}`)
    .join("\n");
}

/** Statuses a buyer/seller moves an order through in the run (cancel releases, completion sells). */
export const LATER_STATUSES: NormalizedOrderStatus[] = ["CANCELLED", "COMPLETED", "SHIPPED"];

/**
 * Why the system has not settled yet, or "" when it has: every order imported, no publish running,
 * no dirty listing, no orphan or still-open run of the fault phase, every marketplace showing what
 * the rules give. The first reason found is returned, with a few examples.
 */
export async function unsettledReason(
  ds: DataSource,
  sandboxes: SandboxProcess,
  world: World,
  ledger: Ledger,
  faultsEndedAt: number,
): Promise<string> {
  const few = (xs: string[]) => `${xs.length} (${xs.slice(0, 3).join("; ")})`;
  const reauthorized = new Set(ledger.reauthorized.map((r) => r.channelId));
  const waiting = [...ledger.revokedChannelIds].filter((id) => !reauthorized.has(id));
  if (waiting.length) return `revoked channels not yet noticed and re-authorized: ${waiting.length}`;
  const missing = await missingOrders(ds, ledger);
  if (missing.length) return `orders not imported: ${few(missing)}`;
  const busy: Array<{ id: string; channel: string }> = await ds.query(
    `SELECT r.id, c.marketplace AS channel FROM sync_run r JOIN channel c ON c.id = r.channel_id
      WHERE c.status = 'ACTIVE' AND r.status = 'RUNNING' AND r.kind = 'PUBLISH'`,
  );
  if (busy.length) return `publish runs still running: ${few(busy.map((r) => `${r.channel} ${r.id}`))}`;
  const dirty: Array<{ d: string }> = await ds.query(
    `SELECT c.marketplace || ' ' || l.state || ' stock ' || l.stock_pushed_version || '/' || l.stock_version
            || ' price ' || l.price_pushed_version || '/' || l.price_version AS d
       FROM listing l JOIN channel c ON c.id = l.channel_id
      WHERE c.status = 'ACTIVE' AND l.state IN ('LIVE','PENDING') AND NOT ${AWAITING_CREATION_REVIEW}
        AND (stock_version > stock_pushed_version OR price_version > price_pushed_version OR l.state = 'PENDING')`,
  );
  if (dirty.length) return `listings not pushed: ${few(dirty.map((r) => r.d))}`;
  // Runs lost between their creation and their job are re-queued, and runs whose dispatcher died are
  // finished, by the schedulers' poll: wait for them, and for every run of the fault phase to end.
  const orphans = await orphanRuns(ds);
  if (orphans.length) return `orphan runs: ${few(orphans.map((r) => `${r.kind} ${r.status} ${r.age}s`))}`;
  const open: Array<{ d: string }> = await ds.query(
    `SELECT r.kind || ' ' || r.status || ' ' || c.marketplace AS d FROM sync_run r JOIN channel c ON c.id = r.channel_id
      WHERE r.status IN ('QUEUED','RUNNING') AND r.queued_at < $1`,
    [new Date(faultsEndedAt)],
  );
  if (open.length) return `runs of the fault phase still open: ${few(open.map((r) => r.d))}`;
  const mismatches = await marketplaceMismatches(ds, sandboxes, world);
  if (mismatches.length) return `marketplaces differ: ${few(mismatches)}`;
  return "";
}
