/**
 * The ops side of the console in headless Chromium against a real hub, worker and sandboxes:
 * a publish that fails because the marketplace is down (sandbox fault knob) shows up under its
 * error code with the explanation, and the retry button publishes it once the marketplace is back;
 * channel health with NEEDS_REAUTH and a token countdown; charts drawn from real orders and syncs.
 */
import type { Browser, Page } from "playwright-core";
import {
  ConsoleEnv,
  connectChannel,
  describeWithChromium,
  ensureConsoleBuilt,
  insertProduct,
  launchBrowser,
  screenshot,
  startConsoleEnv,
} from "./support/console-env";
import { toGlobalId } from "../../src/common/graphql/global-id";
import { evaluateAlerts } from "../../src/alerts/alert.service";

// Browser globals used inside page.evaluate callbacks; the test program has no DOM lib (it would
// change Node's fetch/FormData types for the whole project).
declare const document: any;

jest.setTimeout(180_000);

async function until<T>(
  what: string,
  f: () => Promise<T | null | undefined | false>,
  ms = 60_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describeWithChromium("console: ops pages", () => {
  let env: ConsoleEnv;
  let browser: Browser;
  let page: Page;
  let shopee: string;
  let tiki: string;
  let honey: string;
  let failedRunId: string;
  let failure: { code: string; message_vi: string };
  const opsEmail = "van.hanh@example.vn";

  beforeAll(async () => {
    ensureConsoleBuilt();
    env = await startConsoleEnv(["shopee", "tiki"]);
    honey = await insertProduct(env, {
      name: "Mật ong bạc hà Hà Giang",
      searchKey: "mat ong bac ha ha giang",
      sku: "MO-BH-500",
    });
    shopee = await connectChannel(env, "shopee", "Shopee Hà Giang");
    tiki = await connectChannel(env, "tiki", "Tiki Hà Giang");
    const u = await env.hub.gql(
      `mutation($i: CreateUserInput!) { createUser(input: $i) { userErrors { field code } } }`,
      { i: { email: opsEmail, password: "mat-khau-van-hanh-1", displayName: "Vận hành", role: "OPS" } },
    );
    expect(u.data.createUser.userErrors).toEqual([]);

    // Published while Shopee works…
    const pub = await env.hub.gql(
      `mutation($i: PublishProductsInput!) { publishProducts(input: $i) { channels { runId } userErrors { code } } }`,
      { i: { productIds: [toGlobalId("Product", honey)], channelIds: [shopee], dryRun: false } },
    );
    expect(pub.data.publishProducts.userErrors).toEqual([]);
    const published = await until("the publish run", async () => {
      const r = await env.hub.gql(`query($id: ID!) { syncRun(id: $id) { status outcome } }`, {
        id: pub.data.publishProducts.channels[0].runId,
      });
      return r.data.syncRun.status === "FINISHED" && r.data.syncRun;
    });
    expect(published.outcome).toBe("SUCCEEDED");
    // …then Shopee answers every call with a transient error (fault knob) while a stock count is
    // pushed: the push is retried with backoff until it gives up and the item is FAILED.
    env.sandboxes.shopee!.setFaults({ errorRate: 1 });
    const [v] = await env.hub.db.dataSource.query(`SELECT id FROM variant WHERE sku = 'MO-BH-500'`);
    const set = await env.hub.gql(
      `mutation($i: SetStockInput!) { setStock(input: $i) { userErrors { code } } }`,
      { i: { variantId: toGlobalId("Variant", v.id), onHand: 30, reason: "kiểm kho" } },
    );
    expect(set.data.setStock.userErrors).toEqual([]);
    const failed = await until(
      "the failed stock push",
      async () =>
        (
          await env.hub.db.dataSource.query(
            `SELECT i.run_id, i.code, i.message_vi FROM sync_item i WHERE i.kind = 'stock' AND i.status = 'FAILED'`,
          )
        )[0],
      90_000,
    );
    failedRunId = failed.run_id;
    failure = failed;

    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 375, height: 812 }, locale: "vi-VN" });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
    await page.goto(`${env.origin}/console/`);
    await page.fill('input[name="email"]', opsEmail);
    await page.fill('input[name="password"]', "mat-khau-van-hanh-1");
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-testid="product-count"]');
  });

  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });

  it("groups the failed item under its code with the explanation, and retries it", async () => {
    await page.goto(`${env.origin}/console/#/failures`);
    await page.waitForSelector('[data-testid="failure-group"]');
    const groups = await page.$$eval('[data-testid="failure-group"]', (els) =>
      els.map((e) => ({ title: e.querySelector("h2")?.textContent, text: e.textContent })),
    );
    expect(groups).toHaveLength(1);
    expect(groups[0].title).toContain(failure.code);
    expect(groups[0].title).toContain("1 mục");
    // The explanation is the hub's own Vietnamese text for the code, not the marketplace's raw error.
    expect(await page.textContent('[data-testid="explanation"]')).toContain(failure.message_vi);
    expect(groups[0].text).toContain("MO-BH-500");
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await screenshot(page, "ops-01-failure-explained");

    // The marketplace is back; the retry publishes the listing.
    env.sandboxes.shopee!.setFaults({ errorRate: 0 });
    await page.click('[data-testid="retry"]');
    await page.waitForSelector('[data-testid="retry-result"]');
    expect(await page.textContent('[data-testid="retry-result"]')).toContain("Đã xếp lượt thử lại");
    const retry = await until("the retry run", async () => {
      const [r] = await env.hub.db.dataSource.query(
        `SELECT status, outcome, trigger FROM sync_run WHERE details->>'retryOf' = $1`,
        [failedRunId],
      );
      return r?.status === "FINISHED" && r;
    });
    expect(retry).toEqual({ status: "FINISHED", outcome: "SUCCEEDED", trigger: "RETRY" });
    // Retried items leave the list (polled every 5 s).
    await page.waitForSelector("text=Không có lỗi nào chờ xử lý.", { timeout: 15_000 });
    await screenshot(page, "ops-02-retried");
    const [l] = await env.hub.db.dataSource.query(`SELECT state FROM listing WHERE product_id = $1`, [honey]);
    expect(l.state).toBe("LIVE");

    await page.goto(`${env.origin}/console/#/runs`);
    await page.waitForSelector('[data-testid="run"]');
    const runs = await page.$$eval('[data-testid="run"]', (els) =>
      els.map((e) => ({
        id: e.getAttribute("data-id"),
        trigger: e.getAttribute("data-trigger"),
        state: `${e.getAttribute("data-status")}:${e.getAttribute("data-outcome")}`,
      })),
    );
    // The retry succeeded; the run it retried is listed with its failure.
    expect(runs.find((r) => r.trigger === "RETRY")?.state).toBe("FINISHED:SUCCEEDED");
    expect(runs.find((r) => r.id === failedRunId)?.state).not.toBe("FINISHED:SUCCEEDED");
    await screenshot(page, "ops-03-runs");
  });

  it("shows channel health: NEEDS_REAUTH, token countdown, error rate", async () => {
    const [t] = await env.hub.db.dataSource.query(`SELECT shop_id FROM channel WHERE name = 'Tiki Hà Giang'`);
    // The seller revoked the hub's access: the next call fails, the refresh too, and the channel
    // waits for a new authorization.
    env.sandboxes.tiki!.revokeAuthorization(t.shop_id);
    const sync = await env.hub.gql(
      `mutation($c: ID!) { triggerSync(channelId: $c, kind: ORDERS) { run { id } userErrors { code } } }`,
      { c: tiki },
    );
    expect(sync.data.triggerSync.userErrors).toEqual([]);
    await until("Tiki to need re-authorization", async () => {
      const r = await env.hub.gql(`query($id: ID!) { channel(id: $id) { status } }`, { id: tiki });
      return r.data.channel.status === "NEEDS_REAUTH";
    });
    await page.goto(`${env.origin}/console/#/channels`);
    await page.waitForSelector('[data-testid="channel-card"]');
    const cards = await page.$$eval('[data-testid="channel-card"]', (els) =>
      els.map((e) => e.textContent ?? ""),
    );
    expect(cards).toHaveLength(2);
    const tikiCard = cards.find((c) => c.includes("Tiki Hà Giang"))!;
    expect(tikiCard).toContain("Cần cấp quyền lại");
    const shopeeCard = cards.find((c) => c.includes("Shopee Hà Giang"))!;
    // Failed / (applied + failed) items of the last 24 h, as recorded.
    const [n] = await env.hub.db.dataSource.query(
      `SELECT count(*) FILTER (WHERE i.status = 'APPLIED')::int AS applied,
              count(*) FILTER (WHERE i.status = 'FAILED')::int AS failed
         FROM sync_item i JOIN sync_run r ON r.id = i.run_id JOIN channel c ON c.id = r.channel_id
        WHERE c.name = 'Shopee Hà Giang' AND NOT r.dry_run`,
    );
    expect(n.failed).toBe(1);
    const rate = ((100 * n.failed) / (n.applied + n.failed)).toFixed(1);
    expect(shopeeCard).toContain(`${rate}% (1/${n.applied + 1})`);
    const before = await page.textContent('[data-testid="token-countdown"]');
    expect(before).toMatch(/\d+(d|h|m|s)/);
    await page.waitForTimeout(1100);
    expect(await page.textContent('[data-testid="token-countdown"]')).not.toBe(before);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await screenshot(page, "ops-04-channel-health");

    // The alert rules see it too; the console lists the open alert and acknowledges it.
    await evaluateAlerts(env.hub.db.dataSource, { tickKey: `console-test-${Date.now()}` });
    await page.reload();
    await page.waitForSelector('[data-testid="alerts"] li');
    const alerts = await page.$$eval('[data-testid="alerts"] li', (els) =>
      els.map((e) => e.textContent ?? ""),
    );
    expect(alerts.some((a) => a.includes("Tiki Hà Giang"))).toBe(true);
    await screenshot(page, "ops-05-alert");
    const open = alerts.length;
    await page.click('[data-testid="alerts"] li:has-text("Tiki Hà Giang") button');
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid="alerts"] li').length < n,
      open,
    );
    const [a] = await env.hub.db.dataSource.query(
      `SELECT status FROM alert WHERE rule = 'CHANNEL_NEEDS_REAUTH' AND acknowledged_at IS NOT NULL`,
    );
    expect(a?.status).toBe("ACKNOWLEDGED");
  });

  it("draws orders, sync throughput, error rate and propagation latency from real data", async () => {
    // A buyer order on Shopee, imported by an ORDERS run.
    const [s] = await env.hub.db.dataSource.query(
      `SELECT shop_id FROM channel WHERE name = 'Shopee Hà Giang'`,
    );
    env.sandboxes.shopee!.createOrder(s.shop_id, [{ sku: "MO-BH-500", quantity: 2 }]);
    const o = await env.hub.gql(
      `mutation($c: ID!) { triggerSync(channelId: $c, kind: ORDERS) { run { id } userErrors { code } } }`,
      { c: shopee },
    );
    expect(o.data.triggerSync.userErrors).toEqual([]);
    await until("the order import", async () => {
      const [n] = await env.hub.db.dataSource.query(`SELECT count(*)::int AS n FROM marketplace_order`);
      return n.n === 1;
    });
    // A stock count: the worker pushes it at once (an EVENT run), which gives a propagation latency.
    const [v] = await env.hub.db.dataSource.query(
      `SELECT v.id, s.on_hand FROM variant v JOIN stock_level s ON s.variant_id = v.id WHERE v.sku = 'MO-BH-500'`,
    );
    const set = await env.hub.gql(
      `mutation($i: SetStockInput!) { setStock(input: $i) { userErrors { code } } }`,
      { i: { variantId: toGlobalId("Variant", v.id), onHand: 25, reason: "kiểm kho" } },
    );
    expect(set.data.setStock.userErrors).toEqual([]);
    await until("the stock push", async () => {
      const [r] = await env.hub.db.dataSource.query(
        `SELECT count(*)::int AS n FROM sync_item i JOIN sync_run r ON r.id = i.run_id
          WHERE i.kind = 'stock' AND i.status = 'APPLIED' AND r.trigger = 'EVENT'`,
      );
      return r.n > 0;
    });

    await page.setViewportSize({ width: 1200, height: 900 });
    await page.goto(`${env.origin}/console/#/charts`);
    await page.waitForSelector('[data-testid="chart-orders"] circle');
    expect(await page.$$('[data-testid="chart-orders"] circle')).toHaveLength(1);
    expect(await page.textContent('[data-testid="chart-orders"] figcaption')).toContain("Shopee");
    expect((await page.$$('[data-testid="chart-sync"] polyline')).length).toBeGreaterThanOrEqual(1);
    const bars = await page.$$eval('[data-testid="chart-errors"] .bar-row', (els) =>
      els.map((e) => e.textContent),
    );
    expect(bars.some((b) => b?.includes("Shopee Hà Giang"))).toBe(true);
    expect(await page.$$('[data-testid="chart-latency"] polyline')).toHaveLength(2);
    await screenshot(page, "ops-06-charts");
    await page.setViewportSize({ width: 375, height: 812 });
  });

  it("shows stock drift found by reconciliation, and queue depth to the operations desk", async () => {
    // Every stock change pushed first (a pending push is not drift)…
    await until("no pending stock push", async () => {
      const [p] = await env.hub.db.dataSource.query(
        `SELECT count(*)::int AS n FROM listing WHERE stock_version > stock_pushed_version`,
      );
      return p.n === 0;
    });
    // …then a sale on Shopee that the hub has not heard of: the marketplace now shows less stock.
    const [s] = await env.hub.db.dataSource.query(
      `SELECT shop_id FROM channel WHERE name = 'Shopee Hà Giang'`,
    );
    const remoteBefore = env.sandboxes.shopee!.skuView(s.shop_id, "MO-BH-500")!.stock;
    env.sandboxes.shopee!.createOrder(s.shop_id, [{ sku: "MO-BH-500", quantity: 3 }]);
    const r = await env.hub.gql(
      `mutation($c: ID!) { triggerSync(channelId: $c, kind: RECONCILE) { run { id } userErrors { code } } }`,
      { c: shopee },
    );
    expect(r.data.triggerSync.userErrors).toEqual([]);
    const runId = r.data.triggerSync.run.id;
    await until("the reconciliation", async () => {
      const x = await env.hub.gql(`query($id: ID!) { syncRun(id: $id) { status } }`, { id: runId });
      return x.data.syncRun.status === "FINISHED";
    });
    await page.goto(`${env.origin}/console/#/drift`);
    await page.waitForSelector('[data-testid="drift-row"]');
    const rows = await page.$$eval('[data-testid="drift-row"]', (els) =>
      els.map((e) => Array.from(e.querySelectorAll("td")).map((td: any) => td.lastChild?.textContent ?? "")),
    );
    expect(rows).toHaveLength(1);
    const [channel, sku, kind, remote, desired] = rows[0];
    expect([channel, sku, kind]).toEqual(["Shopee · Shopee Hà Giang", "MO-BH-500", "stock"]);
    expect(Number(remote)).toBe(remoteBefore - 3);
    expect(Number(desired)).toBe(remoteBefore);
    await page.waitForSelector('[data-testid="queues"] li');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await screenshot(page, "ops-07-drift-and-queues");
    expect(await page.textContent('[data-testid="queues"]')).not.toContain("chỉ hiển thị");
    expect(await page.textContent('[data-testid="queues"]')).toMatch(/Đang chờ \d+ · Đang xử lý \d+/);
  });
});
