/**
 * Planted-secret scan: a hub whose every log line (at trace level) and every response body are
 * kept, driven through a representative flow with marketplace sandboxes (connect four shops by
 * credentials, read categories through signed calls, a token refresh, a revoked shop, a wrong
 * secret, settings, pause/disconnect, catalogue writes, publish preview, a bad API key, a masked
 * fault). Then every planted secret (app secrets, access and refresh tokens, refreshed tokens, API
 * keys) is searched in all of it: zero hits. A canary proves the log capture would catch one.
 */
import { startTestHub, TestHub } from "../support/test-hub";
import { SANDBOXES } from "../../src/sandbox/registry";
import type { MarketplaceSandbox, SandboxShop } from "../../src/sandbox/sandbox";
import type { MarketplaceCode } from "../../src/channels/channel.entity";
import { ApiKeyRole } from "../../src/auth/api-key.entity";
import { PgCredentialStore } from "../../src/channels/credential-store";
import { idOf } from "../../src/common/graphql/global-id";
import { openChannel } from "../../src/sync/runtime";
import { clearRemoteCatalogCache } from "../../src/channels/mapping.service";

const ENUM: Record<MarketplaceCode, string> = {
  shopee: "SHOPEE",
  lazada: "LAZADA",
  "tiktok-shop": "TIKTOK_SHOP",
  tiki: "TIKI",
};

const CHANNEL_FIELDS = `id producerId marketplace name shopId baseUrl status accessExpiresAt refreshExpiresAt
  settings { priceRule { markupBasisPoints } stockRule { sharePercent } schedules { kind cron } }
  lastSuccess { kind at } listingCounts { state count }`;
const CONNECT = `mutation($input: ConnectChannelInput!) { connectChannel(input: $input) {
  channel { ${CHANNEL_FIELDS} } userErrors { field code message } } }`;

/** Every place a planted secret shows up, as "<where>#<index>: <secret label>". */
export function findSecrets(texts: Record<string, string[]>, secrets: Map<string, string>): string[] {
  const hits: string[] = [];
  for (const [where, list] of Object.entries(texts)) {
    list.forEach((text, i) => {
      for (const [label, secret] of secrets) if (text.includes(secret)) hits.push(`${where}#${i}: ${label}`);
    });
  }
  return hits;
}

describe("planted-secret scan over logs and responses", () => {
  let hub: TestHub;
  const sandboxes = new Map<MarketplaceCode, MarketplaceSandbox>();
  beforeAll(async () => {
    hub = await startTestHub({ capture: true, logLevel: "trace" });
    for (const code of Object.keys(SANDBOXES) as MarketplaceCode[]) {
      const sb = SANDBOXES[code]();
      await sb.start(0);
      sandboxes.set(code, sb);
    }
  });
  afterAll(async () => {
    await Promise.all([...sandboxes.values()].map((s) => s.close()));
    await hub?.close();
  });

  it("finds none of them after a representative flow", async () => {
    const secrets = new Map<string, string>();
    const plant = (label: string, value: string | null | undefined) => {
      if (value) secrets.set(label, value);
    };
    plant("admin API key", hub.adminKey);

    const producer = await hub.gql(`mutation { createProducer(input: { legalName: "HTX Bí mật",
      address: { raw: "Thôn 10, xã Trường Xuân, tỉnh Lâm Đồng", wardCode: "24730" } }) {
      producer { id } userErrors { code } } }`);
    const producerId = producer.data.createProducer.producer.id as string;
    const producerKey = await hub.issueKey(ApiKeyRole.PRODUCER, idOf("Producer", producerId));
    plant("producer API key", producerKey);
    const product = await hub.gql(
      `mutation($p: ID!) { createProduct(input: { producerId: $p, name: "Mật ong bạc hà", productSetNo: 1,
        variants: [{ sku: "BM-1", packSpec: "chai 500ml", priceVnd: 250000, initialStock: 10 }] }) {
        product { id } userErrors { code } } }`,
      { p: producerId },
    );
    const productId = product.data.createProduct.product.id as string;

    const channels = new Map<MarketplaceCode, { id: string; shop: SandboxShop }>();
    for (const [code, sb] of sandboxes) {
      const shop = sb.createShop();
      plant(`${code} app secret`, shop.appSecret);
      plant(`${code} access token`, shop.accessToken);
      plant(`${code} refresh token`, shop.refreshToken);
      const r = await hub.gql(
        CONNECT,
        {
          input: {
            producerId,
            marketplace: ENUM[code],
            name: `${code} shop`,
            shopId: shop.shopId,
            baseUrl: sb.baseUrl,
            appKey: shop.appKey,
            appSecret: shop.appSecret,
            accessToken: shop.accessToken,
            refreshToken: shop.refreshToken,
            accessExpiresAt: new Date(shop.accessExpiresAt).toISOString(),
          },
        },
        { key: producerKey },
      );
      expect({ code, errors: r.errors, userErrors: r.data?.connectChannel.userErrors }).toEqual({
        code,
        errors: undefined,
        userErrors: [],
      });
      channels.set(code, { id: r.data.connectChannel.channel.id, shop });
    }

    // Signed marketplace calls, with every field of every channel read back.
    for (const { id } of channels.values())
      await hub.gql(`query($c: ID!) { remoteCategories(channelId: $c) { id } }`, { c: id });
    await hub.gql(`{ channels(first: 10) { nodes { ${CHANNEL_FIELDS} } } }`);
    await hub.gql(`{ channels(first: 10) { nodes { ${CHANNEL_FIELDS} } } }`, {}, { key: producerKey });

    // Token refresh: the new tokens are secrets too.
    const shopee = channels.get("shopee")!;
    sandboxes.get("shopee")!.expireAccessToken(shopee.shop.shopId);
    const opened = await openChannel(hub.services.sync, idOf("Channel", shopee.id)!);
    await opened.connector.refreshToken(opened.ctx);
    const refreshed = await new PgCredentialStore(
      hub.db.dataSource,
      hub.services.sync.box,
      idOf("Channel", shopee.id)!,
    ).load();
    expect(refreshed.accessToken).not.toBe(shopee.shop.accessToken);
    plant("shopee refreshed access token", refreshed.accessToken);
    plant("shopee refreshed refresh token", refreshed.refreshToken);

    // A revoked shop and a wrong secret: marketplace errors flow through logs and responses.
    const lazada = channels.get("lazada")!;
    sandboxes.get("lazada")!.revokeAuthorization(lazada.shop.shopId);
    clearRemoteCatalogCache();
    await hub.gql(`query($c: ID!) { remoteCategories(channelId: $c) { id } }`, { c: lazada.id });
    const tiki = sandboxes.get("tiki")!;
    const other = tiki.createShop();
    plant("tiki second shop access token", other.accessToken);
    plant("tiki second shop refresh token", other.refreshToken);
    const wrongSecret = `wrong-${other.appSecret}`;
    plant("wrong app secret", wrongSecret);
    await hub.gql(CONNECT, {
      input: {
        producerId,
        marketplace: "TIKI",
        name: "tiki wrong",
        shopId: other.shopId,
        baseUrl: tiki.baseUrl,
        appKey: other.appKey,
        appSecret: wrongSecret,
        accessToken: other.accessToken,
        refreshToken: other.refreshToken,
      },
    });

    const tiktok = channels.get("tiktok-shop")!;
    await hub.gql(
      `mutation($c: ID!) { updateChannelSettings(id: $c, settings: { stockRule: { sharePercent: 150 } }) {
        userErrors { field code message } } }`,
      { c: tiktok.id },
    );
    await hub.gql(`mutation($c: ID!) { pauseChannel(id: $c) { channel { status } userErrors { code } } }`, {
      c: tiktok.id,
    });
    await hub.gql(
      `mutation($p: [ID!]!, $c: [ID!]!) { publishProducts(input: { productIds: $p, channelIds: $c, dryRun: true }) {
        channels { channelId previews { __typename } } userErrors { code message } } }`,
      { p: [productId], c: [...channels.values()].map((c) => c.id) },
    );
    await hub.gql(
      `mutation($c: ID!) { disconnectChannel(id: $c) { channel { status } userErrors { code } } }`,
      { c: tiktok.id },
    );

    // A forged key, and a fault the server must mask (its SQL goes to the log, not the client).
    const forged = `ohk_${"f".repeat(40)}`;
    plant("forged API key", forged);
    const bad = await hub.gql(`{ products { totalCount } }`, {}, { key: forged });
    expect(bad.errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
    await hub.db.dataSource.query(`ALTER TABLE channel RENAME TO channel_hidden_for_test`);
    try {
      const masked = await hub.gql(`{ channels(first: 5) { nodes { id } } }`);
      expect(masked.errors?.[0].extensions?.code).toBe("INTERNAL_SERVER_ERROR");
    } finally {
      await hub.db.dataSource.query(`ALTER TABLE channel_hidden_for_test RENAME TO channel`);
    }

    const { logs, responses } = hub.captured;
    expect(secrets.size).toBeGreaterThanOrEqual(18);
    for (const [label, s] of secrets) expect({ label, long: s.length >= 12 }).toEqual({ label, long: true });
    expect(responses.length).toBeGreaterThanOrEqual(20);
    expect(logs.some((l) => /unexpected error/.test(l))).toBe(true);
    expect(findSecrets({ log: logs, response: responses }, secrets)).toEqual([]);

    // Canary: a secret logged under a key the redaction does not know is found by the same scan.
    hub.services.sync.log.warn({ note: `leak ${shopee.shop.appSecret}` }, "canary");
    expect(findSecrets({ log: logs }, secrets)).toEqual([`log#${logs.length - 1}: shopee app secret`]);
  });
});
