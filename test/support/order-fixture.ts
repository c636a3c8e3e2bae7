/**
 * Order tests' world: a producer with variants and stock (ledger included), channels of that producer
 * connected to real sandboxes through the real authorization flow, and an in-process job queue that
 * runs order-import jobs at once (the pg-boss queue is the runtime's; tests of import semantics should
 * not depend on it).
 */
import crypto from "node:crypto";
import type { DataSource } from "typeorm";
import type { SecretBox } from "../../src/common/crypto";
import type { MarketplaceCode, Order } from "../../src/channels/connectors/connector";
import { CONNECTORS } from "../../src/channels/connectors/registry";
import { saveCredentials } from "../../src/channels/credential-store";
import type { MarketplaceSandbox, SandboxShop } from "../../src/sandbox/sandbox";
import type { JobQueue, OrderImportJob } from "../../src/sync/jobs";
import type { SyncRuntime } from "../../src/sync/runtime";
import { processOrderImportJob } from "../../src/orders/order-import.service";
import { RetryLater } from "../../src/sync/job-queue";

export interface Catalogue {
  producerId: string;
  productId: string;
  /** sku → variant id */
  variants: Record<string, string>;
}

/** A producer, one product and its variants with `onHand` units each (an INITIAL ledger movement each). */
export async function insertCatalogue(ds: DataSource, stock: Record<string, number>): Promise<Catalogue> {
  const tag = crypto.randomBytes(4).toString("hex");
  const [producer] = await ds.query(
    `INSERT INTO producer (legal_name, name_key, type) VALUES ($1, $2, 'COOPERATIVE') RETURNING id`,
    [`HTX Đơn hàng ${tag}`, `htx don hang ${tag}`],
  );
  const [product] = await ds.query(
    `INSERT INTO product (producer_id, name, search_key, slug, category) VALUES ($1, $2, $3, $4, 'FOOD') RETURNING id`,
    [producer.id, `Mắm tôm chua ${tag}`, `mam tom chua ${tag}`, `mam-tom-chua-${tag}`],
  );
  const variants: Record<string, string> = {};
  for (const [sku, onHand] of Object.entries(stock)) {
    const [v] = await ds.query(
      `INSERT INTO variant (product_id, producer_id, sku, pack_spec, price_vnd) VALUES ($1, $2, $3, 'hũ 200g', 85000) RETURNING id`,
      [product.id, producer.id, sku],
    );
    await ds.query(`INSERT INTO stock_level (variant_id, on_hand, reserved) VALUES ($1, $2, 0)`, [
      v.id,
      onHand,
    ]);
    if (onHand > 0) {
      await ds.query(
        `INSERT INTO stock_movement (variant_id, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reason, actor)
         VALUES ($1, 'INITIAL', $2, 0, $2, 0, 'initial stock', 'test')`,
        [v.id, onHand],
      );
    }
    variants[sku] = v.id;
  }
  return { producerId: producer.id, productId: product.id, variants };
}

export async function insertChannel(
  ds: DataSource,
  producerId: string,
  marketplace: MarketplaceCode,
  baseUrl = "http://127.0.0.1:9",
  shopId: string | null = null,
): Promise<string> {
  const [c] = await ds.query(
    `INSERT INTO channel (producer_id, marketplace, name, shop_id, base_url, status)
     VALUES ($1, $2, $3, $4, $5, 'ACTIVE') RETURNING id`,
    [producerId, marketplace, `${marketplace} ${crypto.randomBytes(3).toString("hex")}`, shopId, baseUrl],
  );
  return c.id;
}

/** Connects a channel of `producerId` to a new sandbox shop through the marketplace's code exchange. */
export async function connectSandbox(
  ds: DataSource,
  box: SecretBox,
  producerId: string,
  sandbox: MarketplaceSandbox,
): Promise<{ channelId: string; shop: SandboxShop; shopId: string }> {
  const connector = CONNECTORS[sandbox.code];
  const shop = sandbox.createShop();
  const app = { appKey: shop.appKey, appSecret: shop.appSecret };
  const tokens = await connector.exchangeCode({
    app,
    baseUrl: sandbox.baseUrl,
    callbackParams: { code: sandbox.issueAuthCode(shop.shopId), shop_id: shop.shopId, state: "order-tests" },
    redirectUri: "http://127.0.0.1/callback",
  });
  const shopId = tokens.shopId ?? shop.shopId;
  const channelId = await insertChannel(ds, producerId, sandbox.code, sandbox.baseUrl, shopId);
  await saveCredentials(ds, box, channelId, {
    ...app,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    accessExpiresAt: tokens.accessExpiresAt,
    refreshExpiresAt: tokens.refreshExpiresAt,
    extra: tokens.extra,
  });
  return { channelId, shop, shopId: shop.shopId };
}

/** Runs order-import jobs in this process as soon as they are queued; `drain()` waits for all of them. */
export class InlineJobQueue implements JobQueue {
  readonly jobs: OrderImportJob[] = [];
  readonly errors: unknown[] = [];
  deferred = 0;
  private readonly running = new Set<Promise<void>>();
  constructor(private readonly rt: () => SyncRuntime) {}

  async enqueueRun(): Promise<void> {
    throw new Error("InlineJobQueue runs order imports only");
  }

  async enqueueOrderImport(job: OrderImportJob): Promise<void> {
    this.jobs.push(job);
    this.run(job, 0);
  }

  /** As the real queue: a RetryLater runs the job again a little later without counting as a failure. */
  private run(job: OrderImportJob, deferrals: number): void {
    const p: Promise<void> = processOrderImportJob(this.rt(), job)
      .catch(async (e) => {
        if (!(e instanceof RetryLater) || deferrals >= 30) return void this.errors.push(e);
        this.deferred++;
        await new Promise((r) => setTimeout(r, 50));
        this.run(job, deferrals + 1);
      })
      .finally(() => this.running.delete(p));
    this.running.add(p);
  }

  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}

let seq = 0;

/** A normalised order as a connector would return it. */
export function order(
  lines: Array<{ sku: string | null; quantity: number; unitPriceVnd?: number }>,
  over: Partial<Order> = {},
): Order {
  const id = over.externalOrderId ?? `T${Date.now().toString(36)}${(seq++).toString(36)}`.toUpperCase();
  const at = over.updatedAt ?? Date.now();
  return {
    externalOrderId: id,
    status: "READY_TO_SHIP",
    remoteStatus: "READY_TO_SHIP",
    updatedAt: at,
    createdAt: at,
    currency: "VND",
    buyerName: "Nguyễn Thị Mai",
    totalVnd: lines.reduce((s, l) => s + (l.unitPriceVnd ?? 85000) * l.quantity, 0),
    ...over,
    lines: lines.map((l, i) => ({
      externalLineId: `${id}-${i + 1}`,
      sku: l.sku,
      externalItemId: null,
      externalSkuId: null,
      title: "Mắm tôm chua Huế",
      quantity: l.quantity,
      unitPriceVnd: l.unitPriceVnd ?? 85000,
    })),
  };
}

/** Stock level and the ledger's sums for a variant: they must always agree. */
export async function stockOf(
  ds: DataSource,
  variantId: string,
): Promise<{
  onHand: number;
  reserved: number;
  ledgerOnHand: number;
  ledgerReserved: number;
  movements: number;
}> {
  const [r] = await ds.query(
    `SELECT s.on_hand, s.reserved,
            (SELECT coalesce(sum(on_hand_delta), 0)::int FROM stock_movement m WHERE m.variant_id = s.variant_id) AS lo,
            (SELECT coalesce(sum(reserved_delta), 0)::int FROM stock_movement m WHERE m.variant_id = s.variant_id) AS lr,
            (SELECT count(*)::int FROM stock_movement m WHERE m.variant_id = s.variant_id) AS n
       FROM stock_level s WHERE s.variant_id = $1`,
    [variantId],
  );
  return {
    onHand: r.on_hand,
    reserved: r.reserved,
    ledgerOnHand: r.lo,
    ledgerReserved: r.lr,
    movements: r.n,
  };
}
