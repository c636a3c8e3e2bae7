/**
 * What the browser tests share: the console built once (rebuilt when its sources are newer), a
 * real hub serving it with a real pg-boss queue and worker, sandbox marketplaces, a producer with
 * a login, and headless Debian Chromium driven by playwright-core (no browser download).
 */
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { execFileSync } from "node:child_process";
import { chromium, Browser, Page } from "playwright-core";
import { startTestHub, TestHub } from "../../support/test-hub";
import { consoleRoutes } from "../../../src/app/console.routes";
import { PgBossJobQueue } from "../../../src/sync/job-queue";
import { RunningWorker, startWorker } from "../../../src/sync/worker";
import { SANDBOXES } from "../../../src/sandbox/registry";
import type { MarketplaceSandbox } from "../../../src/sandbox/sandbox";
import type { MarketplaceCode } from "../../../src/channels/connectors/connector";
import { idOf, toGlobalId } from "../../../src/common/graphql/global-id";
import { mapDemoCategories } from "../../../src/sync/demo-channels";
import { resetRateBudgets } from "../../../src/channels/connectors/http/rate-budget";
import { clearRemoteCatalogCache } from "../../../src/channels/mapping.service";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ROOT = path.resolve(__dirname, "../../..");
export const CONSOLE_DIR = path.join(ROOT, "dist", "console");
export const OUTPUT_DIR = path.join(ROOT, "test", "browser", "output");

/**
 * In CI the browser tests must run; elsewhere they are skipped, saying why, when Chromium is absent.
 * Returns jest's describe or describe.skip accordingly.
 */
export function describeWithChromium(name: string, fn: () => void): void {
  if (fs.existsSync(CHROMIUM)) return describe(name, fn);
  if (process.env.CI) {
    describe(name, () => {
      it("needs Chromium", () => {
        throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium (.ci/run does).`);
      });
    });
    return;
  }
  console.warn(`Browser tests skipped: ${CHROMIUM} is not installed (apt-get install -y chromium).`);
  describe.skip(name, fn);
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds the console unless dist/console is newer than every source; one builder at a time. */
export function ensureConsoleBuilt(): void {
  const lock = path.join(ROOT, "dist", ".console-build.lock");
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      // Another test file is building; a lock older than two minutes is left over from a crash.
      if (Date.now() - fs.statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 120_000)
        fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error("timed out waiting for the console build");
      execFileSync("sleep", ["0.2"]);
    }
  }
  try {
    const index = path.join(CONSOLE_DIR, "index.html");
    const sources = Math.max(
      newestMtime(path.join(ROOT, "console", "src")),
      fs.statSync(path.join(ROOT, "console", "vite.config.mts")).mtimeMs,
      fs.statSync(path.join(ROOT, "console", "index.html")).mtimeMs,
    );
    if (!fs.existsSync(index) || fs.statSync(index).mtimeMs < sources) {
      execFileSync(
        path.join(ROOT, "node_modules", ".bin", "vite"),
        ["build", "--config", "console/vite.config.mts", "--logLevel", "warn"],
        {
          cwd: ROOT,
          stdio: "inherit",
          // As `npm run build` does it: jest's NODE_ENV=test would give a less minified bundle.
          env: { ...process.env, NODE_ENV: "production", VITE_CONFIG_NATIVE_IGNORE_WARNING: "true" },
        },
      );
    }
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

export async function launchBrowser(): Promise<Browser> {
  // Playwright gives the browser a fresh, empty profile directory of its own.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(OUTPUT_DIR, { recursive: true });
  const file = path.join(OUTPUT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export interface ConsoleEnv {
  hub: TestHub;
  /** http://127.0.0.1:<port> */
  origin: string;
  queue: PgBossJobQueue;
  worker: RunningWorker;
  sandboxes: Partial<Record<MarketplaceCode, MarketplaceSandbox>>;
  producerId: string;
  producerGid: string;
  email: string;
  password: string;
  close(): Promise<void>;
}

/** A hub with the console, a worker, started sandboxes and one producer with a PRODUCER_OWNER login. */
export async function startConsoleEnv(markets: MarketplaceCode[]): Promise<ConsoleEnv> {
  resetRateBudgets();
  clearRemoteCatalogCache();
  const hub = await startTestHub({ routes: () => [consoleRoutes({ dir: CONSOLE_DIR })] });
  const queue = new PgBossJobQueue({
    connectionString: hub.db.url,
    poolSize: 3,
    pollingIntervalSeconds: 0.5,
  });
  await queue.start();
  hub.services.queue = queue;
  // Listening as in production: a catalogue change is pushed at once (EVENT runs).
  const worker = await startWorker(hub.services.sync, queue, { connectionString: hub.db.url });
  const sandboxes: ConsoleEnv["sandboxes"] = {};
  for (const code of markets) {
    sandboxes[code] = SANDBOXES[code]();
    await sandboxes[code]!.start(0);
  }
  const tag = crypto.randomBytes(3).toString("hex");
  const [p] = await hub.db.dataSource.query(
    `INSERT INTO producer (legal_name, name_key, type, address_raw)
     VALUES ($1, $2, 'COOPERATIVE', 'Phường Gia Nghĩa, Lâm Đồng') RETURNING id`,
    [`HTX Ong mật Đắk Nông ${tag}`, `htx ong mat dak nong ${tag}`],
  );
  const producerGid = toGlobalId("Producer", p.id);
  const email = `chu.htx.${tag}@example.vn`;
  const password = "mật-khẩu-đủ-dài-1";
  const u = await hub.gql(
    `mutation($i: CreateUserInput!) { createUser(input: $i) { userErrors { field code } } }`,
    { i: { email, password, displayName: "Chủ HTX", role: "PRODUCER_OWNER", producerId: producerGid } },
  );
  if (u.data?.createUser?.userErrors?.length) throw new Error(JSON.stringify(u.data.createUser.userErrors));
  return {
    hub,
    origin: hub.url.replace(/\/graphql$/, ""),
    queue,
    worker,
    sandboxes,
    producerId: p.id,
    producerGid,
    email,
    password,
    async close() {
      await worker.stop();
      await queue.stop();
      for (const s of Object.values(sandboxes)) await s?.close();
      await hub.close();
    },
  };
}

const IMAGE = "http://127.0.0.1:1/static/ocop-placeholder.png";

/** A product with one variant, stock and (optionally) a certificate decided on `decided`. */
export async function insertProduct(
  env: ConsoleEnv,
  o: {
    name: string;
    searchKey: string;
    sku: string;
    category?: string;
    price?: number;
    onHand?: number;
    decided?: string | null;
    star?: number;
  },
): Promise<string> {
  const ds = env.hub.db.dataSource;
  const slug = `${o.searchKey.replace(/\s+/g, "-")}-${crypto.randomBytes(2).toString("hex")}`;
  const [prod] = await ds.query(
    `INSERT INTO product (producer_id, name, search_key, slug, category, description, story, images)
     VALUES ($1, $2, $3, $4, $5, $6, 'Ong nuôi dưới tán rừng, khai thác thủ công tại hợp tác xã.', $7) RETURNING id`,
    [
      env.producerId,
      o.name,
      o.searchKey,
      slug,
      o.category ?? "FOOD",
      "Sản phẩm nguyên chất, không pha trộn, đóng chai thủy tinh tại cơ sở đạt chuẩn vệ sinh an toàn thực phẩm.",
      JSON.stringify([{ url: IMAGE }]),
    ],
  );
  const [v] = await ds.query(
    `INSERT INTO variant (product_id, producer_id, sku, pack_spec, weight_grams, price_vnd)
     VALUES ($1, $2, $3, 'chai 500ml', 700, $4) RETURNING id`,
    [prod.id, env.producerId, o.sku, o.price ?? 250_000],
  );
  await ds.query(`INSERT INTO stock_level (variant_id, on_hand, reserved) VALUES ($1, $2, 0)`, [
    v.id,
    o.onHand ?? 40,
  ]);
  if (o.decided) {
    await ds.query(
      `INSERT INTO ocop_certification (product_id, star, decision_number, decision_date, issuer_level, issuer_name, valid_until, validity_basis, verification)
       VALUES ($1, $2, '88/QĐ-UBND', $3, 'PROVINCE', 'UBND tỉnh Lâm Đồng', ($3::date + interval '36 months')::date, 'DECISION_DATE', 'A')`,
      [prod.id, o.star ?? 4, o.decided],
    );
  }
  return prod.id;
}

/** Connects a sandbox shop through the API and maps its categories (as `npm start`'s demo does). */
export async function connectChannel(env: ConsoleEnv, code: MarketplaceCode, name: string): Promise<string> {
  const sb = env.sandboxes[code]!;
  const shop = sb.createShop();
  const res = await env.hub.gql(
    `mutation($input: ConnectChannelInput!) { connectChannel(input: $input) { channel { id } userErrors { code } } }`,
    {
      input: {
        producerId: env.producerGid,
        marketplace: code === "tiktok-shop" ? "TIKTOK_SHOP" : code.toUpperCase(),
        name,
        shopId: shop.shopId,
        baseUrl: sb.baseUrl,
        appKey: shop.appKey,
        appSecret: shop.appSecret,
        accessToken: shop.accessToken,
        refreshToken: shop.refreshToken,
        accessExpiresAt: new Date(shop.accessExpiresAt).toISOString(),
      },
    },
  );
  if (res.data?.connectChannel?.userErrors?.length)
    throw new Error(JSON.stringify(res.data.connectChannel.userErrors));
  const gid = res.data.connectChannel.channel.id as string;
  await mapDemoCategories(env.hub.services.sync, idOf("Channel", gid)!);
  return gid;
}

/** Logs in through the login form and waits for the product list. */
export async function loginThroughForm(page: Page, env: ConsoleEnv): Promise<void> {
  await page.goto(`${env.origin}/console/`);
  await page.fill('input[name="email"]', env.email);
  await page.fill('input[name="password"]', env.password);
  await page.click('button[type="submit"]');
  await page.waitForSelector('[data-testid="product-count"]');
}
