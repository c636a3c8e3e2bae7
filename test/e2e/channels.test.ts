/**
 * Channels API end to end: a real hub on a test database, real marketplace sandboxes over HTTP.
 * Connect by credentials and by OAuth, settings validation, pause / resume / disconnect, secrets
 * never readable, and a producer key confined to its own producer's channels.
 */
import { startTestHub, TestHub } from "../support/test-hub";
import { SANDBOXES } from "../../src/sandbox/registry";
import type { MarketplaceSandbox } from "../../src/sandbox/sandbox";
import { ApiKeyRole } from "../../src/auth/api-key.entity";
import { PgCredentialStore } from "../../src/channels/credential-store";
import { idOf, toGlobalId } from "../../src/common/graphql/global-id";
import { PgBossJobQueue } from "../../src/sync/job-queue";

let hub: TestHub;
let shopee: MarketplaceSandbox;
let lazada: MarketplaceSandbox;
let producerA: string;
let producerB: string;

const CHANNEL_FIELDS = `id producerId marketplace name shopId baseUrl status accessExpiresAt refreshExpiresAt
  settings { priceRule { markupBasisPoints roundingStepVnd rounding floorVnd } stockRule { sharePercent bufferUnits maxUnits cutoffUnits } schedules { kind cron } }
  lastSuccess { kind at } listingCounts { state count }`;

const CONNECT = `mutation($input: ConnectChannelInput!) { connectChannel(input: $input) {
  channel { ${CHANNEL_FIELDS} } userErrors { field code message } } }`;

async function producer(name: string): Promise<string> {
  const [p] = await hub.db.dataSource.query(
    `INSERT INTO producer (legal_name, name_key, type) VALUES ($1, $2, 'COOPERATIVE') RETURNING id`,
    [name, name.toLowerCase()],
  );
  return p.id;
}

async function connectShopee(producerId: string, key?: string) {
  const shop = shopee.createShop();
  const res = await hub.gql(
    CONNECT,
    {
      input: {
        producerId: toGlobalId("Producer", producerId),
        marketplace: "SHOPEE",
        name: "Shopee HTX",
        shopId: shop.shopId,
        baseUrl: shopee.baseUrl,
        appKey: shop.appKey,
        appSecret: shop.appSecret,
        accessToken: shop.accessToken,
        refreshToken: shop.refreshToken,
        accessExpiresAt: new Date(shop.accessExpiresAt).toISOString(),
      },
    },
    { key },
  );
  return { shop, res };
}

beforeAll(async () => {
  hub = await startTestHub();
  shopee = SANDBOXES.shopee();
  lazada = SANDBOXES.lazada();
  await Promise.all([shopee.start(0), lazada.start(0)]);
  producerA = await producer("HTX Cà phê Đắk Nông");
  producerB = await producer("HTX Mật ong Hà Giang");
});

afterAll(async () => {
  await Promise.all([shopee?.close(), lazada?.close()]);
  await hub?.close();
});

test("marketplaces lists the four with capabilities, limits and listing limits", async () => {
  const res =
    await hub.gql(`{ marketplaces { code name capabilities defaultBaseUrl ratePolicy { requestsPerSecond }
    limits { variantsPerListing } listingLimits { titleMax descriptionMin } } }`);
  expect(res.errors).toBeUndefined();
  const byCode = Object.fromEntries(res.data.marketplaces.map((m: any) => [m.code, m]));
  expect(Object.keys(byCode).sort()).toEqual(["LAZADA", "SHOPEE", "TIKI", "TIKTOK_SHOP"]);
  expect(byCode.SHOPEE.capabilities).toContain("listing.upsert");
  expect(byCode.SHOPEE.listingLimits.titleMax).toBe(120);
  expect(byCode.TIKI.listingLimits.descriptionMin).toBe(100);
});

test("connect by credentials: ACTIVE, usable tokens stored sealed, no secret in any field", async () => {
  const { shop, res } = await connectShopee(producerA);
  expect(res.data.connectChannel.userErrors).toEqual([]);
  const ch = res.data.connectChannel.channel;
  expect(ch).toMatchObject({
    marketplace: "SHOPEE",
    status: "ACTIVE",
    shopId: shop.shopId,
    baseUrl: shopee.baseUrl,
  });
  expect(ch.settings.stockRule.sharePercent).toBe(100);
  expect(ch.listingCounts).toEqual([]);
  expect(JSON.stringify(res)).not.toContain(shop.appSecret);
  expect(JSON.stringify(res)).not.toContain(shop.accessToken);
  const id = idOf("Channel", ch.id)!;
  const creds = await new PgCredentialStore(hub.db.dataSource, hub.services.sync.box, id).load();
  expect(creds.accessToken).toBe(shop.accessToken);
  const [raw] = await hub.db.dataSource.query(
    `SELECT encode(credentials, 'escape') AS c FROM channel WHERE id = $1`,
    [id],
  );
  expect(raw.c).not.toContain(shop.appSecret);
  // The same shop cannot be connected twice.
  const again = await hub.gql(CONNECT, {
    input: {
      producerId: toGlobalId("Producer", producerA),
      marketplace: "SHOPEE",
      name: "again",
      shopId: shop.shopId,
      appKey: shop.appKey,
      appSecret: shop.appSecret,
      accessToken: shop.accessToken,
    },
  });
  expect(again.data.connectChannel.userErrors[0]).toMatchObject({ field: "shopId", code: "DUPLICATE" });
});

test("connect refuses a non-http base URL and missing secrets with field-level userErrors", async () => {
  const res = await hub.gql(CONNECT, {
    input: {
      producerId: toGlobalId("Producer", producerA),
      marketplace: "LAZADA",
      name: "Lazada",
      baseUrl: "ftp://example.com",
      appKey: "k",
      appSecret: " ",
    },
  });
  expect(res.data.connectChannel.channel).toBeNull();
  const fields = res.data.connectChannel.userErrors.map((e: any) => `${e.field}:${e.code}`);
  expect(fields).toEqual(["appSecret:REQUIRED"]);
  const res2 = await hub.gql(CONNECT, {
    input: {
      producerId: toGlobalId("Producer", producerA),
      marketplace: "LAZADA",
      name: "Lazada",
      baseUrl: "ftp://example.com",
      appKey: "k",
      appSecret: "s",
    },
  });
  expect(res2.data.connectChannel.userErrors).toEqual([
    expect.objectContaining({ field: "baseUrl", code: "INVALID_FORMAT" }),
  ]);
});

/** Starts the OAuth flow for a Lazada sandbox shop, as the console does. */
function startLazadaAuthorization(shop: { appKey: string; appSecret: string }, producerId: string) {
  return hub.gql(
    `mutation($input: ChannelAuthorizationInput!) { channelAuthorizationUrl(input: $input) { url state expiresAt userErrors { field code } } }`,
    {
      input: {
        producerId: toGlobalId("Producer", producerId),
        marketplace: "LAZADA",
        redirectUri: "https://hub.example.vn/oauth/lazada",
        baseUrl: lazada.baseUrl,
        name: "Lazada HTX",
        appKey: shop.appKey,
        appSecret: shop.appSecret,
      },
    },
  );
}

test("connect by OAuth: authorization link, callback with the sandbox's code, single-use state", async () => {
  const shop = lazada.createShop();
  const start = await startLazadaAuthorization(shop, producerA);
  const { url, state, userErrors } = start.data.channelAuthorizationUrl;
  expect(userErrors).toEqual([]);
  expect(url).toContain(encodeURIComponent(state).slice(0, 10));
  expect(url).not.toContain(shop.appSecret);
  const code = lazada.issueAuthCode(shop.shopId);
  const COMPLETE = `mutation($state: String!, $p: [KeyValueInput!]!) { completeChannelAuthorization(state: $state, callbackParams: $p) {
    channel { id name status marketplace accessExpiresAt } userErrors { field code } } }`;
  const done = await hub.gql(COMPLETE, { state, p: [{ name: "code", value: code }] });
  expect(done.data.completeChannelAuthorization.userErrors).toEqual([]);
  expect(done.data.completeChannelAuthorization.channel).toMatchObject({
    name: "Lazada HTX",
    status: "ACTIVE",
    marketplace: "LAZADA",
  });
  expect(done.data.completeChannelAuthorization.channel.accessExpiresAt).not.toBeNull();
  const replay = await hub.gql(COMPLETE, { state, p: [{ name: "code", value: code }] });
  expect(replay.data.completeChannelAuthorization.userErrors).toEqual([
    { field: "state", code: "AUTH_STATE_INVALID" },
  ]);
});

test("re-authorizing a shop that went NEEDS_REAUTH revives the same channel and queues its catch-up", async () => {
  // A queue (no worker): the catch-up work it receives is what this test checks.
  const queue = new PgBossJobQueue({ connectionString: hub.db.url, poolSize: 2 });
  await queue.start();
  hub.services.queue = queue;
  try {
    await reauthorizeScenario();
  } finally {
    hub.services.queue = null;
    await queue.stop(2_000);
  }
});

async function reauthorizeScenario(): Promise<void> {
  const shop = lazada.createShop();
  const COMPLETE = `mutation($state: String!, $p: [KeyValueInput!]!) { completeChannelAuthorization(state: $state, callbackParams: $p) {
    channel { id status lastAuthError } userErrors { field code } } }`;
  const authorize = async (producerId: string) => {
    const start = await startLazadaAuthorization(shop, producerId);
    const p = [{ name: "code", value: lazada.issueAuthCode(shop.shopId) }];
    return (await hub.gql(COMPLETE, { state: start.data.channelAuthorizationUrl.state, p })).data
      .completeChannelAuthorization;
  };
  const first = await authorize(producerA);
  expect(first.userErrors).toEqual([]);
  const id = idOf("Channel", first.channel.id)!;
  // The marketplace revoked the hub; a call found out, and a buyer's order webhook waited meanwhile.
  lazada.revokeAuthorization(shop.shopId);
  await new PgCredentialStore(hub.db.dataSource, hub.services.sync.box, id).markNeedsReauth(
    "IllegalAccessToken: revoked",
  );
  await hub.db.dataSource.query(
    `INSERT INTO webhook_event (channel_id, event_key, kind, external_order_id, payload)
     VALUES ($1, 'reauth-test-1', 'order.created', 'LZ-REAUTH-1', 'null')`,
    [id],
  );
  // …and a publish that could not run: its listing stayed PENDING.
  const [product] = await hub.db.dataSource.query(
    `INSERT INTO product (producer_id, name, search_key, slug, category, description)
     VALUES ($1, 'Cà phê Robusta Đắk Nông', 'ca phe robusta dak nong', 'ca-phe-reauth', 'FOOD', 'Cà phê rang mộc.') RETURNING id`,
    [producerA],
  );
  const [variant] = await hub.db.dataSource.query(
    `INSERT INTO variant (product_id, producer_id, sku, pack_spec, weight_grams, price_vnd)
     VALUES ($1, $2, 'CF-REAUTH-1', 'gói 500g', 520, 120000) RETURNING id`,
    [product.id, producerA],
  );
  await hub.db.dataSource.query(
    `INSERT INTO listing (channel_id, product_id, variant_id, listing_key, state) VALUES ($1, $2, $3, 'CF-REAUTH-1', 'PENDING')`,
    [id, product.id, variant.id],
  );
  const [{ before }] = await hub.db.dataSource.query(
    `SELECT count(*)::int AS before FROM sync_run WHERE channel_id = $1 AND kind = 'ORDERS'`,
    [id],
  );

  // Another producer cannot take the shop over by authorizing it.
  expect((await authorize(producerB)).userErrors).toEqual([{ field: "shopId", code: "DUPLICATE" }]);

  const again = await authorize(producerA);
  expect(again.userErrors).toEqual([]);
  expect(again.channel).toMatchObject({ id: first.channel.id, status: "ACTIVE", lastAuthError: null });
  const creds = await new PgCredentialStore(hub.db.dataSource, hub.services.sync.box, id).load();
  expect(creds.accessToken).toBeTruthy();
  const [{ n }] = await hub.db.dataSource.query(
    `SELECT count(*)::int AS n FROM channel WHERE marketplace = 'lazada' AND shop_id = $1`,
    [shop.shopId],
  );
  expect(n).toBe(1);
  // Catch-up: an order pull from the saved cursor, and the stored webhook handed to an import job.
  const runs = await hub.db.dataSource.query(
    `SELECT trigger, details FROM sync_run WHERE channel_id = $1 AND kind = 'ORDERS' ORDER BY queued_at`,
    [id],
  );
  expect(runs.length).toBe(before + 1);
  expect(runs.at(-1)).toMatchObject({ trigger: "EVENT", details: { reason: "re-authorized" } });
  const [publish] = await hub.db.dataSource.query(
    `SELECT details FROM sync_run WHERE channel_id = $1 AND kind = 'PUBLISH' AND status = 'QUEUED'`,
    [id],
  );
  expect(publish.details).toMatchObject({ productIds: [product.id], requestedBy: "re-authorization" });
  const jobs = await hub.db.dataSource.query(
    `SELECT data FROM pgboss.job WHERE name = 'order-import' AND data->>'channelId' = $1`,
    [id],
  );
  expect(jobs.map((j: { data: { externalOrderIds: string[] } }) => j.data.externalOrderIds)).toContainEqual([
    "LZ-REAUTH-1",
  ]);
}

test("OAuth without app credentials configured or given is a userError naming the env vars", async () => {
  const res = await hub.gql(
    `mutation($input: ChannelAuthorizationInput!) { channelAuthorizationUrl(input: $input) { url userErrors { field code message } } }`,
    {
      input: {
        producerId: toGlobalId("Producer", producerA),
        marketplace: "TIKI",
        redirectUri: "https://hub.example.vn/cb",
      },
    },
    { lang: "en" },
  );
  expect(res.data.channelAuthorizationUrl.url).toBeNull();
  expect(res.data.channelAuthorizationUrl.userErrors[0].code).toBe("APP_CREDENTIALS_MISSING");
  expect(res.data.channelAuthorizationUrl.userErrors[0].message).toContain("HUB_TIKI_APP_KEY");
});

test("settings: bad cron and share > 100 are refused; a price rule change re-marks listings dirty", async () => {
  const { res } = await connectShopee(producerA);
  const id = res.data.connectChannel.channel.id;
  const UPDATE = `mutation($id: ID!, $s: ChannelSettingsInput!) { updateChannelSettings(id: $id, settings: $s) {
    channel { settings { priceRule { markupBasisPoints roundingStepVnd } stockRule { sharePercent maxUnits } schedules { kind cron } } }
    userErrors { field code } } }`;
  const bad = await hub.gql(UPDATE, {
    id,
    s: { stockRule: { sharePercent: 120 }, schedules: [{ kind: "ORDERS", cron: "every minute" }] },
  });
  expect(bad.data.updateChannelSettings.userErrors).toEqual(
    expect.arrayContaining([
      { field: "settings.stockRule.sharePercent", code: "OUT_OF_RANGE" },
      { field: "settings.schedules.ORDERS", code: "INVALID_CRON" },
    ]),
  );
  // A listing exists on the channel: a price-rule change must bump its price version.
  const uuid = idOf("Channel", id)!;
  const [prod] = await hub.db.dataSource.query(
    `INSERT INTO product (producer_id, name, search_key, slug, category) VALUES ($1, 'Cà phê', 'ca phe', 'ca-phe-x', 'BEVERAGE') RETURNING id`,
    [producerA],
  );
  const [v] = await hub.db.dataSource.query(
    `INSERT INTO variant (product_id, producer_id, sku, price_vnd) VALUES ($1, $2, 'CF-SET-1', 100000) RETURNING id`,
    [prod.id, producerA],
  );
  await hub.db.dataSource.query(
    `INSERT INTO listing (channel_id, product_id, variant_id, listing_key, state, price_pushed_version, price_dirty_since)
     VALUES ($1, $2, $3, 'CF-SET-1', 'LIVE', 1, NULL)`,
    [uuid, prod.id, v.id],
  );
  const good = await hub.gql(UPDATE, {
    id,
    s: {
      priceRule: { markupBasisPoints: 1500, roundingStepVnd: 1000 },
      stockRule: { sharePercent: 50, maxUnits: 20 },
      schedules: [
        { kind: "ORDERS", cron: "*/2 * * * *" },
        { kind: "RECONCILE", cron: null },
      ],
    },
  });
  expect(good.data.updateChannelSettings.userErrors).toEqual([]);
  const s = good.data.updateChannelSettings.channel.settings;
  expect(s.priceRule).toEqual({ markupBasisPoints: 1500, roundingStepVnd: 1000 });
  expect(s.stockRule).toEqual({ sharePercent: 50, maxUnits: 20 });
  expect(s.schedules).toContainEqual({ kind: "ORDERS", cron: "*/2 * * * *" });
  expect(s.schedules.map((x: any) => x.kind)).not.toContain("RECONCILE");
  const [l] = await hub.db.dataSource.query(
    `SELECT price_version, price_pushed_version, stock_version, stock_pushed_version, price_dirty_since FROM listing WHERE channel_id = $1`,
    [uuid],
  );
  expect(Number(l.price_version)).toBeGreaterThan(Number(l.price_pushed_version));
  expect(Number(l.stock_version)).toBe(2);
  expect(l.price_dirty_since).not.toBeNull();
});

test("pause, resume, disconnect: state rules, credentials wiped, listings DELISTED", async () => {
  const { res } = await connectShopee(producerA);
  const id = res.data.connectChannel.channel.id;
  const uuid = idOf("Channel", id)!;
  const OP = (op: string) =>
    `mutation($id: ID!) { ${op}(id: $id) { channel { status } userErrors { field code } } }`;
  expect((await hub.gql(OP("pauseChannel"), { id })).data.pauseChannel.channel.status).toBe("PAUSED");
  expect((await hub.gql(OP("resumeChannel"), { id })).data.resumeChannel.channel.status).toBe("ACTIVE");
  await hub.db.dataSource.query(`UPDATE channel SET status = 'NEEDS_REAUTH' WHERE id = $1`, [uuid]);
  expect((await hub.gql(OP("resumeChannel"), { id })).data.resumeChannel.userErrors).toEqual([
    { field: "id", code: "CHANNEL_STATE" },
  ]);
  const [prod] = await hub.db.dataSource.query(
    `INSERT INTO product (producer_id, name, search_key, slug, category) VALUES ($1, 'Trà', 'tra', 'tra-x', 'BEVERAGE') RETURNING id`,
    [producerA],
  );
  const [v] = await hub.db.dataSource.query(
    `INSERT INTO variant (product_id, producer_id, sku) VALUES ($1, $2, 'TRA-DISC-1') RETURNING id`,
    [prod.id, producerA],
  );
  await hub.db.dataSource.query(
    `INSERT INTO listing (channel_id, product_id, variant_id, listing_key, state) VALUES ($1, $2, $3, 'TRA-DISC-1', 'LIVE')`,
    [uuid, prod.id, v.id],
  );
  const d = await hub.gql(OP("disconnectChannel"), { id });
  expect(d.data.disconnectChannel.channel.status).toBe("DISCONNECTED");
  const [row] = await hub.db.dataSource.query(`SELECT credentials FROM channel WHERE id = $1`, [uuid]);
  expect(row.credentials).toBeNull();
  const states = await hub.db.dataSource.query(`SELECT DISTINCT state FROM listing WHERE channel_id = $1`, [
    uuid,
  ]);
  expect(states).toEqual([{ state: "DELISTED" }]);
  expect((await hub.gql(OP("pauseChannel"), { id })).data.pauseChannel.userErrors[0].code).toBe(
    "CHANNEL_STATE",
  );
});

test("a producer key sees and changes only its own producer's channels", async () => {
  const { res } = await connectShopee(producerA);
  const idA = res.data.connectChannel.channel.id;
  const keyB = await hub.issueKey(ApiKeyRole.PRODUCER, producerB);
  const own = await connectShopee(producerB, keyB);
  expect(own.res.data.connectChannel.userErrors).toEqual([]);
  const foreign = await connectShopee(producerA, keyB);
  expect(foreign.res.data?.connectChannel?.channel ?? null).toBeNull();
  expect(JSON.stringify(foreign.res)).toMatch(/NOT_FOUND|FORBIDDEN/);
  expect(
    (await hub.gql(`query($id: ID!) { channel(id: $id) { id } }`, { id: idA }, { key: keyB })).data.channel,
  ).toBeNull();
  const paused = await hub.gql(
    `mutation($id: ID!) { pauseChannel(id: $id) { channel { status } userErrors { code } } }`,
    { id: idA },
    { key: keyB },
  );
  expect(paused.data.pauseChannel.userErrors).toEqual([{ code: "NOT_FOUND" }]);
  const list = await hub.gql(
    `{ channels(first: 50) { totalCount nodes { producerId } } }`,
    {},
    { key: keyB },
  );
  expect(list.data.channels.totalCount).toBe(1);
  expect(list.data.channels.nodes[0].producerId).toBe(toGlobalId("Producer", producerB));
  const all = await hub.gql(`{ channels(first: 50, filter: { marketplace: SHOPEE }) { totalCount } }`);
  expect(all.data.channels.totalCount).toBeGreaterThanOrEqual(4);
});
