/**
 * The producer's console in headless Chromium against a real hub, worker and two sandbox
 * marketplaces: login, Vietnamese search without diacritics, an expiring certificate highlighted,
 * price and stock edits, publish with the dry-run preview (per-field problems) to Shopee and
 * Lazada, and the publish runs watched until they finish; each step saves a screenshot.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import {
  ConsoleEnv,
  connectChannel,
  describeWithChromium,
  ensureConsoleBuilt,
  insertProduct,
  launchBrowser,
  loginThroughForm,
  screenshot,
  startConsoleEnv,
} from "./support/console-env";
import { toGlobalId } from "../../src/common/graphql/global-id";

// Browser globals used inside page.evaluate callbacks; the test program has no DOM lib (it would
// change Node's fetch/FormData types for the whole project).
declare const document: any;
declare const getComputedStyle: any;
declare const localStorage: any;

jest.setTimeout(120_000);

describeWithChromium("console: producer pages", () => {
  let env: ConsoleEnv;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    ensureConsoleBuilt();
    env = await startConsoleEnv(["shopee", "lazada"]);
    // Decided 35 months ago: valid for about one more month, so EXPIRING (within 90 days).
    const d = new Date();
    d.setMonth(d.getMonth() - 35);
    ids.honey = await insertProduct(env, {
      name: "Mật ong hoa cà phê Đắk Nông",
      searchKey: "mat ong hoa ca phe dak nong",
      sku: "MO-CF-500",
      decided: d.toISOString().slice(0, 10),
      star: 4,
    });
    ids.tea = await insertProduct(env, {
      name: "Trà Shan tuyết Tà Xùa",
      searchKey: "tra shan tuyet ta xua",
      sku: "TRA-ST-100",
      category: "BEVERAGE",
      decided: "2025-06-01",
      star: 3,
    });
    ids.shopee = await connectChannel(env, "shopee", "Shopee HTX Ong mật");
    ids.lazada = await connectChannel(env, "lazada", "Lazada HTX Ong mật");
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 375, height: 812 }, locale: "vi-VN" });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    // Errors in the page fail loudly in the test output.
    page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  });

  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });

  /** The page never scrolls sideways at phone width. */
  const noHorizontalScroll = async () =>
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);

  it("refuses a wrong password, then logs in with email and password (in Vietnamese)", async () => {
    await page.goto(`${env.origin}/console/`);
    expect(await page.textContent("h1")).toBe("OCOP Hub");
    await page.fill('input[name="email"]', env.email);
    await page.fill('input[name="password"]', "sai-mat-khau-123");
    await page.click('button[type="submit"]');
    await page.waitForSelector('[role="alert"]');
    expect(await page.textContent('[role="alert"]')).toContain("Email hoặc mật khẩu không đúng");
    await screenshot(page, "producer-01-login-refused");
    await loginThroughForm(page, env);
    expect(await page.textContent('[data-testid="product-count"]')).toContain("2 sản phẩm");
    await noHorizontalScroll();
    await screenshot(page, "producer-02-products");
  });

  it('finds "Mật ong" when searching "mat ong", and filters by star', async () => {
    await page.fill('input[name="search"]', "mat ong");
    await page.press('input[name="search"]', "Enter");
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="product-count"]')?.textContent?.startsWith("1 "),
    );
    const names = await page.$$eval(".product-name", (els) => els.map((e) => e.textContent));
    expect(names).toEqual(["Mật ong hoa cà phê Đắk Nông"]);
    await screenshot(page, "producer-03-search-mat-ong");
    await page.fill('input[name="search"]', "");
    await page.press('input[name="search"]', "Enter");
    await page.selectOption('select[name="star"]', "3");
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll(".product-name")).every((e: any) =>
        e.textContent?.startsWith("Trà"),
      ),
    );
    expect(await page.$$eval(".product-name", (els) => els.map((e) => e.textContent))).toEqual([
      "Trà Shan tuyết Tà Xùa",
    ]);
    await page.selectOption('select[name="star"]', "");
  });

  it("highlights the expiring certificate on the product page, and saves price and stock", async () => {
    await page.goto(`${env.origin}/console/#/products/${toGlobalId("Product", ids.honey)}`);
    await page.waitForSelector('[data-testid="product-page"]');
    const cert = page.locator(".cert").first();
    expect(await cert.getAttribute("data-status")).toBe("EXPIRING");
    expect(await cert.getAttribute("class")).toContain("cert-expiring");
    expect(await cert.textContent()).toMatch(/Còn \d+ ngày/);
    // The highlight is visible, not just a class: a yellow background.
    const bg = await cert.evaluate((e) => getComputedStyle(e).backgroundColor);
    expect(bg).toBe("rgb(255, 241, 199)");
    await noHorizontalScroll();
    await screenshot(page, "producer-04-expiring-certificate");

    await page.fill('input[name="price"]', "265000");
    await page.fill('input[name="onHand"]', "33");
    await page.click('[data-testid="variant-MO-CF-500"] button');
    await page.waitForSelector(".ok-text");
    await page.waitForFunction(
      () =>
        document.querySelector('[data-testid="variant-MO-CF-500"] [data-testid="available"]')?.textContent ===
        "33",
    );
    const [v] = await env.hub.db.dataSource.query(
      `SELECT v.price_vnd, s.on_hand FROM variant v JOIN stock_level s ON s.variant_id = v.id WHERE v.sku = 'MO-CF-500'`,
    );
    expect(v).toEqual({ price_vnd: 265000, on_hand: 33 });
    await screenshot(page, "producer-05-price-stock-saved");
  });

  it("previews with per-field problems, publishes to Shopee and Lazada, and watches the runs finish", async () => {
    // A product that cannot be listed yet: no price. Its problem is shown on its field.
    const noPrice = await insertProduct(env, {
      name: "Mật ong rừng U Minh",
      searchKey: "mat ong rung u minh",
      sku: "MO-UM-250",
    });
    await env.hub.db.dataSource.query(`UPDATE variant SET price_vnd = NULL WHERE product_id = $1`, [noPrice]);
    await page.goto(`${env.origin}/console/#/products`);
    await page.fill('input[name="search"]', "mat ong");
    await page.press('input[name="search"]', "Enter");
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="product-count"]')?.textContent?.startsWith("2 "),
    );
    for (const box of await page.$$('.product-row input[type="checkbox"]')) await box.check();
    await page.click('[data-testid="open-publish"]');
    await page.waitForSelector('[data-testid="publish-page"]');
    await page.waitForSelector('input[name="channel"]');
    for (const box of await page.$$('input[name="channel"]')) await box.check();
    expect(await page.$$('input[name="channel"]:checked')).toHaveLength(2);
    // Real publishing waits for a preview first.
    expect(await page.isDisabled('[data-testid="publish-now"]')).toBe(true);
    await page.click('[data-testid="preview"]');
    await page.waitForSelector('[data-testid="preview-result"]');
    const previews = await page.$$eval('[data-testid="preview-item"]', (els) =>
      els.map((e) => ({ title: e.querySelector("h3")?.textContent, ready: e.getAttribute("data-ready") })),
    );
    expect(previews).toHaveLength(4);
    expect(previews.filter((p) => p.ready === "true")).toHaveLength(2);
    const problems = await page.$$eval('[data-testid="problem"]', (els) =>
      els.map((e) => ({ code: e.getAttribute("data-code"), text: e.textContent })),
    );
    const price = problems.filter((p) => p.code === "PRICE_MISSING");
    expect(price).toHaveLength(2);
    expect(price[0].text).toContain("variants.MO-UM-250.priceVnd");
    expect(price[0].text).toContain("chưa có giá");
    expect(await env.hub.db.dataSource.query(`SELECT count(*)::int AS n FROM listing`)).toEqual([{ n: 0 }]);
    await noHorizontalScroll();
    await screenshot(page, "producer-06-publish-preview");

    await page.click('[data-testid="publish-now"]');
    await page.waitForSelector('[data-testid="publish-result"]');
    expect(await page.$$('[data-testid="queued"]')).toHaveLength(2);
    await page.click('text="Theo dõi lượt đồng bộ" >> nth=-1');
    await page.waitForSelector('[data-testid="runs-page"]');
    // Polling every 2 s: both PUBLISH runs reach FINISHED without a reload.
    await page.waitForFunction(
      () => {
        const runs = Array.from(document.querySelectorAll('[data-testid="run"]'));
        return runs.length === 2 && runs.every((r: any) => r.getAttribute("data-status") === "FINISHED");
      },
      undefined,
      { timeout: 60_000 },
    );
    const outcomes = await page.$$eval('[data-testid="run"]', (els) =>
      els.map((e) => e.getAttribute("data-outcome")),
    );
    expect(outcomes).toEqual(["SUCCEEDED", "SUCCEEDED"]);
    await noHorizontalScroll();
    await screenshot(page, "producer-07-runs-finished");
    const live = await env.hub.db.dataSource.query(
      `SELECT c.marketplace, l.state FROM listing l JOIN channel c ON c.id = l.channel_id ORDER BY 1`,
    );
    expect(live).toEqual([
      { marketplace: "lazada", state: "LIVE" },
      { marketplace: "shopee", state: "LIVE" },
    ]);

    // Each listing's state per marketplace, on the product page.
    await page.goto(`${env.origin}/console/#/products/${toGlobalId("Product", ids.honey)}`);
    await page.waitForSelector('[data-testid="listing"]');
    const listings = await page.$$eval('[data-testid="listing"]', (els) => els.map((e) => e.textContent));
    expect(listings.some((l) => l?.includes("Shopee") && l.includes("LIVE"))).toBe(true);
    expect(listings.some((l) => l?.includes("Lazada") && l.includes("LIVE"))).toBe(true);
    await screenshot(page, "producer-08-listings-per-marketplace");
  });

  it("connects a shop through the marketplace's authorization page and back", async () => {
    const sb = env.sandboxes.shopee!;
    const shop = sb.createShop();
    await page.goto(`${env.origin}/console/#/connect`);
    await page.waitForSelector('[data-testid="connect-page"]');
    await page.waitForSelector('select[name="producer"] option', { state: "attached" });
    await page.selectOption('select[name="marketplace"]', "SHOPEE");
    await page.fill('input[name="name"]', "Shopee cửa hàng thứ hai");
    await page.fill('input[name="baseUrl"]', sb.baseUrl);
    await page.fill('input[name="appKey"]', shop.appKey);
    await page.fill('input[name="appSecret"]', shop.appSecret);
    await screenshot(page, "producer-09-connect");
    // The sandbox plays the seller clicking "authorize" and redirects back to the console.
    await page.click('[data-testid="authorize"]');
    await page.waitForURL(/\/console\/#\/channels$/);
    await page.waitForSelector('[data-testid="oauth-result"]');
    expect(await page.textContent('[data-testid="oauth-result"]')).toBe("Đã kết nối");
    const chs = await env.hub.db.dataSource.query(
      `SELECT name, status, shop_id FROM channel WHERE shop_id = $1`,
      [shop.shopId],
    );
    expect(chs).toEqual([{ name: "Shopee cửa hàng thứ hai", status: "ACTIVE", shop_id: shop.shopId }]);
    await page.waitForSelector('[data-testid="channel-card"] >> text=Shopee cửa hàng thứ hai');
    await screenshot(page, "producer-10-connected");
  });

  it("outlives its 15-minute access token through refreshSession, and signs out when the session ends", async () => {
    const ds = env.hub.db.dataSource;
    // Settled first: no request of the previous page still in flight (one could spend the refresh token).
    await page.goto(`${env.origin}/console/#/products`, { waitUntil: "networkidle" });
    const before = JSON.parse((await page.evaluate(() => localStorage.getItem("ocop.session")))!);
    // The access token runs out (as after 15 minutes): the next request is refused, refreshed, retried.
    await ds.query(`UPDATE auth_token SET expires_at = now() - interval '1 second' WHERE kind = 'ACCESS'`);
    await page.reload();
    await page.waitForSelector('[data-testid="product-count"]');
    const after = JSON.parse((await page.evaluate(() => localStorage.getItem("ocop.session")))!);
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    // Every token of the session gone (e.g. logged out everywhere): back to the login form.
    await ds.query(`UPDATE auth_token SET expires_at = now() - interval '1 second'`);
    await page.reload();
    await page.waitForSelector('[data-testid="login-form"]');
    expect(await page.evaluate(() => localStorage.getItem("ocop.session"))).toBeNull();
    await loginThroughForm(page, env);
  });

  it("switches to English and back", async () => {
    await page.goto(`${env.origin}/console/#/products/${toGlobalId("Product", ids.honey)}`);
    await page.click('[data-testid="lang"]');
    await page.waitForSelector("text=Marketplace listings");
    expect(await page.textContent('[data-testid="lang"]')).toBe("Tiếng Việt");
    await screenshot(page, "producer-11-english");
    await page.click('[data-testid="lang"]');
    await page.waitForSelector("text=Tin đăng trên sàn");
  });
});
