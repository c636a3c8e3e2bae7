/**
 * The ops CLI as a child process against a real hub (GraphQL over HTTP), a real pg-boss queue and
 * worker and a real Tiki sandbox: usage and connection errors, a dry run, a run with a failed item
 * followed to the end with its summary, the hub's userErrors in both languages, channel health.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { SANDBOXES } from "../../src/sandbox/registry";
import type { MarketplaceSandbox } from "../../src/sandbox/sandbox";
import { PgBossJobQueue } from "../../src/sync/job-queue";
import { RunningWorker, startWorker } from "../../src/sync/worker";
import { toGlobalId } from "../../src/common/graphql/global-id";
import { startTestHub, TestHub } from "../support/test-hub";
import { connectSandbox, insertCatalogue } from "../support/order-fixture";
import { runCli, startCli } from "./cli-harness";
import { createRun } from "../../src/sync/sync-run.service";
import { SyncKind, SyncTrigger } from "../../src/sync/entities/sync-run.entity";

let hub: TestHub;
let sandbox: MarketplaceSandbox;
let worker: RunningWorker;
let channelName: string;
let channelGid: string;
let channelUuid: string;
let shopId: string;
let env: Record<string, string>;
let failedRunId: string;
let dryRunId: string;
let failedItemId: string;
const tag = crypto.randomBytes(3).toString("hex").toUpperCase();
const GOOD = `CLI-${tag}-OK`;
const GONE = `CLI-${tag}-GONE`;

beforeAll(async () => {
  hub = await startTestHub();
  const ds = hub.db.dataSource;
  const queue = new PgBossJobQueue({
    connectionString: hub.db.url,
    poolSize: 3,
    pollingIntervalSeconds: 0.5,
  });
  await queue.start();
  hub.services.queue = queue;
  worker = await startWorker(hub.services.sync, queue, { listen: false, sweepMs: 0 });

  sandbox = SANDBOXES.tiki();
  await sandbox.start(0);
  const cat = await insertCatalogue(ds, { [GOOD]: 30, [GONE]: 10 });
  const c = await connectSandbox(ds, hub.services.sync.box, cat.producerId, sandbox);
  shopId = c.shopId;
  channelUuid = c.channelId;
  channelGid = toGlobalId("Channel", c.channelId);
  channelName = `Tiki HTX ${tag}`;
  await ds.query(`UPDATE channel SET name = $2 WHERE id = $1`, [c.channelId, channelName]);
  sandbox.seedListing(shopId, {
    title: "Mắm tôm chua Huế",
    variants: [{ sku: GOOD, priceVnd: 85_000, stock: 30 }],
  });
  const view = sandbox.skuView(shopId, GOOD)!;
  // GOOD is live on Tiki; GONE's listing points at an item the marketplace does not have (deleted
  // there by hand), so pushing its stock fails for good.
  for (const [sku, item, skuId] of [
    [GOOD, view.externalItemId, view.externalSkuId],
    [GONE, "999999991", "999999992"],
  ]) {
    await ds.query(
      `INSERT INTO listing (channel_id, product_id, variant_id, listing_key, external_item_id, external_sku_id, state,
                            price_pushed_version, price_dirty_since, stock_pushed_version, stock_dirty_since,
                            content_pushed_version, content_dirty_since, pushed_price_vnd, pushed_stock)
       VALUES ($1, $2, $3, $4, $5, $6, 'LIVE', 1, NULL, 1, NULL, 1, NULL, 85000, 30)`,
      [c.channelId, cat.productId, cat.variants[sku], sku, item, skuId],
    );
  }
  env = { HUB_URL: hub.url.replace(/\/graphql$/, ""), HUB_API_KEY: hub.adminKey };
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await sandbox?.close();
  await hub?.close();
});

/** A port nothing listens on: one the OS just handed out and took back. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

const setOnHand = (sku: string, n: number) =>
  hub.db.dataSource.query(
    `UPDATE stock_level SET on_hand = $2 WHERE variant_id = (SELECT id FROM variant WHERE sku = $1)`,
    [sku, n],
  );

describe("usage and connection", () => {
  test("help lists the commands and exits 0", async () => {
    const r = await runCli(["--help", "--lang", "en"]);
    expect(r.code).toBe(0);
    for (const c of ["sync trigger", "products import", "channels health"]) expect(r.stdout).toContain(c);
    const sub = await runCli(["sync", "trigger", "--help"]);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain("--dry-run");
    expect(sub.stdout).toContain("Xếp hàng một lượt đồng bộ");
  });

  test("a bad command, option or kind is a usage error (exit 2), in the chosen language", async () => {
    const unknown = await runCli(["sync", "explode"], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('lệnh không rõ "sync explode"');
    const kind = await runCli(
      ["sync", "trigger", "--channel", channelName, "--kind", "SOON", "--lang", "en"],
      env,
    );
    expect(kind.code).toBe(2);
    expect(kind.stderr).toContain('--kind is not valid: "SOON"');
    const missing = await runCli(["sync", "trigger", "--kind", "STOCK", "--lang", "en"], env);
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.stderr).toContain("--channel is required");
    const flag = await runCli(["channels", "health", "--colour"], env);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("--colour");
  });

  test("no hub listening, or a refused key, exits 2 with what to do", async () => {
    const port = await closedPort();
    const down = await runCli(["channels", "health", "--lang", "en"], {
      ...env,
      HUB_URL: `http://127.0.0.1:${port}`,
    });
    expect(down.code).toBe(2);
    expect(down.stderr).toContain(`Cannot reach the hub at http://127.0.0.1:${port}/graphql (ECONNREFUSED)`);
    const key = await runCli(["channels", "health"], { ...env, HUB_API_KEY: "ocop_not_a_key" });
    expect(key.code).toBe(2);
    expect(key.stderr).toContain("Hub từ chối khóa API");
    const none = await runCli(["channels", "health", "--lang", "en"], { HUB_URL: env.HUB_URL });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("No API key: set HUB_API_KEY or --api-key.");
  });
});

describe("sync trigger", () => {
  test("--dry-run by channel name plans the stock pushes and sends nothing (exit 0)", async () => {
    await setOnHand(GOOD, 24);
    await setOnHand(GONE, 7);
    const r = await runCli(
      [
        "sync",
        "trigger",
        "--channel",
        channelName.toLowerCase(),
        "--kind",
        "stock",
        "--dry-run",
        "--lang",
        "en",
      ],
      env,
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Run \S+ \(STOCK, dry run\): SUCCEEDED — 2 items, 0 marketplace calls/);
    expect(r.stdout).toContain("By status: PLANNED 2");
    expect(r.stdout).toContain(`• ${GOOD} (stock) {"stock":24}`);
    expect(r.stdout).toContain(`• ${GONE} (stock) {"stock":7}`);
    expect(sandbox.skuView(shopId, GOOD)!.stock).toBe(30);
    dryRunId = /^Run (\S+) \(STOCK, dry run\)/m.exec(r.stdout)![1];

    const json = await runCli(
      ["sync", "trigger", "--channel", channelGid, "--kind", "STOCK", "--dry-run", "--json"],
      env,
    );
    expect(json.code).toBe(0);
    const out = JSON.parse(json.stdout);
    expect(out.run).toMatchObject({ kind: "STOCK", dryRun: true, outcome: "SUCCEEDED", total: 2 });
    expect(out.byStatus).toEqual({ PLANNED: 2 });
    expect(
      out.plannedItems.map((i: { sku: string; valueJson: string }) => [i.sku, i.valueJson]).sort(),
    ).toEqual([
      [GONE, '{"stock":7}'],
      [GOOD, '{"stock":24}'],
    ]);
  });

  test("--wait follows the run with a progress bar, then lists the failed item with code and fix (exit 1)", async () => {
    const r = await runCli(
      [
        "sync",
        "trigger",
        "--channel",
        channelGid,
        "--kind",
        "STOCK",
        "--wait",
        "--interval",
        "100",
        "--lang",
        "en",
      ],
      env,
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Queued STOCK sync run \S+ on channel Tiki HTX/);
    // Without a TTY the bar is plain lines; the last one shows the run's final total.
    expect(r.stdout).toMatch(/^STOCK \[█+\] 100% 2\/2 items \(FINISHED\)$/m);
    expect(r.stdout).toMatch(/: PARTIALLY_FAILED — 2 items, \d+ marketplace calls/);
    expect(r.stdout).toContain("By status: APPLIED 1, FAILED 1");
    expect(r.stdout).toContain("Failed items (1):");
    expect(r.stdout).toContain(
      `✗ ${GONE} (stock) SKU_NOT_FOUND_REMOTE: This item/SKU no longer exists on Tiki`,
    );
    expect(r.stdout).toContain("→ fix: It may have been deleted on Tiki: publish the product again");
    expect(r.stdout).toContain("marketplace said: PRODUCT_NOT_FOUND");
    expect(sandbox.skuView(shopId, GOOD)!.stock).toBe(24);
    failedRunId = /^Run (\S+) \(STOCK\): PARTIALLY_FAILED/m.exec(r.stdout)![1];
    failedItemId = new RegExp(`✗ ${GONE} .*\\[item (\\d+)\\]`).exec(r.stdout)![1];
    expect(r.stdout).toContain(`Retry the failed items: npm run hub -- sync retry ${failedRunId} --wait`);
  });

  test("sync retry runs the failed items again as a RETRY run and sums it up", async () => {
    const r = await runCli(
      ["sync", "retry", failedRunId, "--items", failedItemId, "--wait", "--interval", "100", "--lang", "en"],
      env,
    );
    expect(r.stderr).toBe("");
    // Still gone on Tiki: the retry fails the same way, and says so.
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      new RegExp(`^Queued retry run \\S+ for the failed items of run ${failedRunId}\\.$`, "m"),
    );
    expect(r.stdout).toMatch(/: FAILED — 1 item, 1 marketplace call, /);
    expect(r.stdout).toContain(`✗ ${GONE} (stock) SKU_NOT_FOUND_REMOTE`);
    // A run without failures has nothing to retry.
    const nothing = await runCli(["sync", "retry", dryRunId, "--lang", "en"], env);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain("The hub refused the request:");
    expect(nothing.stderr).toContain("[NOTHING_TO_RETRY]");
  });

  test("the hub's userErrors are shown in the chosen language (exit 1)", async () => {
    const en = await runCli(
      ["sync", "trigger", "--channel", channelName, "--kind", "ORDERS", "--dry-run", "--lang", "en"],
      env,
    );
    expect(en.code).toBe(1);
    expect(en.stderr).toContain("The hub refused the request:");
    expect(en.stderr).toContain("dryRun: A ORDERS sync cannot be dry-run");
    expect(en.stderr).toContain("[DRY_RUN_UNSUPPORTED]");
    const vi = await runCli(
      ["sync", "trigger", "--channel", channelName, "--kind", "ORDERS", "--dry-run"],
      env,
    );
    expect(vi.code).toBe(1);
    expect(vi.stderr).toContain("Hub không chấp nhận yêu cầu:");
    expect(vi.stderr).toContain("Không chạy thử được loại đồng bộ ORDERS");
    const nobody = await runCli(["sync", "trigger", "--channel", "Shopee ma", "--kind", "STOCK"], env);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toContain('Không tìm thấy kênh "Shopee ma"');
  });

  test("without --wait it queues and says how to follow; sync status --wait sums it up", async () => {
    await setOnHand(GOOD, 21);
    const r = await runCli(
      ["sync", "trigger", "--channel", channelName, "--kind", "STOCK", "--lang", "en"],
      env,
    );
    expect(r.code).toBe(0);
    const runId = /Follow it: npm run hub -- sync status (\S+) --wait/.exec(r.stdout)?.[1];
    expect(runId).toBeDefined();
    const s = await runCli(["sync", "status", runId!, "--wait", "--interval", "100", "--lang", "en"], env);
    expect(s.stderr).toBe("");
    // GONE's failure is parked until its value changes again, so this run pushes GOOD only.
    expect(s.code).toBe(0);
    expect(s.stdout).toContain("By status: APPLIED 1");
    expect(sandbox.skuView(shopId, GOOD)!.stock).toBe(21);
  });
});

test("Ctrl-C stops the waiting, not the run, and says how to follow it again", async () => {
  // A run left QUEUED (nobody enqueued it), so the CLI waits until interrupted.
  const run = await createRun(hub.db.dataSource, {
    channelId: channelUuid,
    kind: SyncKind.PRICE,
    trigger: SyncTrigger.MANUAL,
  });
  const cli = startCli(["sync", "status", run.id, "--wait", "--interval", "100", "--lang", "en"], env);
  for (let i = 0; i < 400 && !cli.output().stdout.includes("(QUEUED)"); i++)
    await new Promise((r) => setTimeout(r, 50));
  expect(cli.output().stdout).toContain("PRICE [");
  cli.child.kill("SIGINT");
  const r = await cli.done;
  expect(r.code).toBe(130);
  expect(r.stderr).toContain(`Stopped waiting; run ${run.id} goes on in the hub.`);
  const [row] = await hub.db.dataSource.query(`SELECT status FROM sync_run WHERE id = $1`, [run.id]);
  expect(row.status).toBe("QUEUED");
});

describe("channels health", () => {
  test("without HUB_API_KEY it uses the admin key `npm start` saved in HUB_DATA_DIR", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "cli-data-"));
    try {
      fs.writeFileSync(path.join(dataDir, "admin-api-key"), `${hub.adminKey}\n`, { mode: 0o600 });
      const r = await runCli(["channels", "health", "--json"], {
        HUB_URL: env.HUB_URL,
        HUB_DATA_DIR: dataDir,
      });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).map((c: { id: string }) => c.id)).toContain(channelGid);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("--json gives status, token countdowns, last success per kind and failed items of the last 24 h", async () => {
    const r = await runCli(["channels", "health", "--json"], env);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout);
    const me = rows.find((x: any) => x.id === channelGid);
    expect(me).toMatchObject({ name: channelName, marketplace: "TIKI", status: "ACTIVE", failedItems24h: 2 });
    expect(me.accessExpiresInSeconds).toBeGreaterThan(0);
    expect(me.lastSuccess.STOCK).toEqual(expect.any(String));
    expect(me.lastSuccess.ORDERS).toBeNull();
    expect(me.listings).toEqual({ LIVE: 2 });
  });

  test("the table shows the same in words", async () => {
    const r = await runCli(["channels", "health", "--lang", "en"], env);
    expect(r.code).toBe(0);
    const [header, , ...lines] = r.stdout.split("\n");
    expect(header).toMatch(
      /^CHANNEL\s+MARKETPLACE\s+STATUS\s+TOKEN\s+RE-AUTH\s+LISTINGS\s+PUBLISH\s+STOCK\s+PRICE\s+CONTENT\s+ORDERS\s+RECONCILE\s+FAILED 24H$/,
    );
    const line = lines.find((l) => l.startsWith(channelName))!;
    expect(line).toMatch(/TIKI\s+ACTIVE\s+in \S+( \S+)?\s+-\s+LIVE 2\s+/);
    expect(line).toMatch(/\s+never\s+\d+[sm] ago\s+never\s+never\s+never\s+never\s+2$/);
  });
});
