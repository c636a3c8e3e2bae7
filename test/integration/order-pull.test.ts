/**
 * Order pull by cursor against each marketplace sandbox over real HTTP: a pull that dies after its
 * first page resumes from the saved page cursor with no gap and no duplicate; the next pull starts at
 * the end of the last one minus the overlap and picks up what arrived since; the runs are recorded.
 */
import crypto from "node:crypto";
import { SecretBox } from "../../src/common/crypto";
import { createLogger } from "../../src/common/logger";
import type { MarketplaceCode, MarketplaceConnector } from "../../src/channels/connectors/connector";
import { CONNECTORS } from "../../src/channels/connectors/registry";
import { resetRateBudgets } from "../../src/channels/connectors/http/rate-budget";
import { SANDBOXES } from "../../src/sandbox/registry";
import { SyncKind, SyncTrigger } from "../../src/sync/entities/sync-run.entity";
import { createSyncRuntime } from "../../src/sync/runtime";
import { createRun } from "../../src/sync/sync-run.service";
import { loadCursor, pullOrders } from "../../src/orders/order-pull.service";
import { createTestDatabase, TestDatabase } from "../support/test-db";
import { connectSandbox, insertCatalogue, stockOf } from "../support/order-fixture";

const box = new SecretBox([crypto.randomBytes(32)]);
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 8 });
});
afterAll(async () => {
  await db?.drop();
});
beforeEach(() => resetRateBudgets());

/** The real connector, except that listOrders dies on call number `dieOn` (a killed worker). */
function dyingConnector(
  code: MarketplaceCode,
  dieOn: number,
  seen: Array<string | null>,
): MarketplaceConnector {
  const base = CONNECTORS[code];
  return new Proxy(base, {
    get(target, prop) {
      if (prop === "listOrders") {
        return async (...args: Parameters<NonNullable<MarketplaceConnector["listOrders"]>>) => {
          seen.push(args[2]);
          if (seen.length === dieOn) throw new Error("worker killed");
          return target.listOrders!(...args);
        };
      }
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

async function newRun(channelId: string): Promise<string> {
  return (await createRun(db.dataSource, { channelId, kind: SyncKind.ORDERS, trigger: SyncTrigger.SCHEDULE }))
    .id;
}

async function run(id: string) {
  const [r] = await db.dataSource.query(
    `SELECT status, outcome, total, applied, failed, error_message, details FROM sync_run WHERE id = $1`,
    [id],
  );
  return r;
}

describe.each(Object.keys(SANDBOXES) as MarketplaceCode[])("%s", (code) => {
  test("a pull killed after its first page resumes from the saved cursor: no gap, no duplicate", async () => {
    const sb = SANDBOXES[code]();
    await sb.start(0);
    try {
      const ds = db.dataSource;
      const sku = `PULL-${code.toUpperCase()}`;
      const cat = await insertCatalogue(ds, { [sku]: 1000 });
      const { channelId, shopId } = await connectSandbox(ds, box, cat.producerId, sb);
      sb.seedListing(shopId, { title: "Trà shan tuyết", variants: [{ sku, priceVnd: 120000, stock: 1000 }] });
      const pageSize = CONNECTORS[code].limits.orderPageSize;
      // Two pages and a half; Tiki gives one order per detail call at 5 calls/s, so only just over one page there.
      const n = code === "tiki" ? pageSize + 10 : Math.floor(pageSize * 2.5);
      const t0 = Date.now() - 3600_000;
      for (let i = 0; i < n; i++) sb.createOrder(shopId, [{ sku, quantity: 1 }], { at: t0 + i * 1000 });

      const seen: Array<string | null> = [];
      const log = createLogger("silent");
      const dying = createSyncRuntime({
        ds,
        box,
        log,
        connectors: { ...CONNECTORS, [code]: dyingConnector(code, 2, seen) },
      });
      const first = await newRun(channelId);
      await pullOrders(dying, null, first);
      expect(await run(first)).toMatchObject({
        status: "FINISHED",
        // The first page was imported before the failure.
        outcome: "PARTIALLY_FAILED",
        error_message: "worker killed",
      });
      const saved = await loadCursor(dying, channelId);
      expect(saved.pass?.page).toBeTruthy();
      const afterCrash = await ds.query(
        `SELECT count(*)::int AS n FROM marketplace_order WHERE channel_id = $1`,
        [channelId],
      );
      expect(afterCrash[0].n).toBeGreaterThan(0);
      expect(afterCrash[0].n).toBeLessThan(n);

      const resumedCalls: Array<string | null> = [];
      const healthy = createSyncRuntime({
        ds,
        box,
        log,
        connectors: { ...CONNECTORS, [code]: dyingConnector(code, -1, resumedCalls) },
      });
      // The next run was taken by a worker that died at once (RUNNING): its redelivery carries it on.
      const second = await newRun(channelId);
      await ds.query(`UPDATE sync_run SET status = 'RUNNING', started_at = now() WHERE id = $1`, [second]);
      await pullOrders(healthy, null, second);
      expect(await run(second)).toMatchObject({ status: "FINISHED", outcome: "SUCCEEDED" });
      // It continued at the page where the dead one stopped, not from the start.
      expect(resumedCalls[0]).toBe(saved.pass!.page);

      const orders = await ds.query(
        `SELECT count(*)::int AS n, count(DISTINCT external_order_id)::int AS d FROM marketplace_order WHERE channel_id = $1`,
        [channelId],
      );
      expect(orders[0]).toEqual({ n, d: n });
      const stock = await stockOf(ds, cat.variants[sku]);
      expect(stock).toMatchObject({ onHand: 1000, reserved: n, ledgerReserved: n });
      expect((await loadCursor(healthy, channelId)).pass).toBeNull();

      // Orders arriving afterwards (one just inside the overlap) come with the next pull; nothing twice.
      const late = sb.createOrder(shopId, [{ sku, quantity: 2 }]);
      const third = await newRun(channelId);
      await pullOrders(healthy, null, third);
      const r3 = await run(third);
      expect(r3).toMatchObject({ status: "FINISHED", outcome: "SUCCEEDED" });
      expect(r3.details).toMatchObject({ created: 1 });
      const [row] = await ds.query(
        `SELECT count(*)::int AS n FROM marketplace_order WHERE channel_id = $1 AND external_order_id = $2`,
        [channelId, late.externalOrderId],
      );
      expect(row.n).toBe(1);
      expect(await stockOf(ds, cat.variants[sku])).toMatchObject({ reserved: n + 2 });
    } finally {
      await sb.close();
    }
  });
});
