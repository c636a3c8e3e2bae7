/**
 * Shared set-up for the connector benchmarks: a started sandbox, a shop authorized through the
 * connector's real code exchange, credentials in memory (the benchmarks measure HTTP, not the
 * database), and SKUs seeded in listings as large as the marketplace allows.
 */
import type {
  ChannelContext,
  Credentials,
  CredentialStore,
  MarketplaceCode,
  MarketplaceConnector,
  RemoteRef,
  TokenSet,
} from "../src/channels/connectors/connector";
import { CONNECTORS } from "../src/channels/connectors/registry";
import { SANDBOXES } from "../src/sandbox/registry";
import type { MarketplaceSandbox } from "../src/sandbox/sandbox";

export class MemoryCredentialStore implements CredentialStore {
  constructor(private creds: Credentials) {}
  async load(): Promise<Credentials> {
    return { ...this.creds };
  }
  async refreshExclusive(seen: string | null | undefined, refresh: (c: Credentials) => Promise<TokenSet>) {
    if ((this.creds.accessToken ?? null) !== (seen ?? null)) return { ...this.creds };
    const t = await refresh({ ...this.creds });
    this.creds = { ...this.creds, ...t, refreshToken: t.refreshToken ?? this.creds.refreshToken };
    return { ...this.creds };
  }
  async markNeedsReauth(reason: string): Promise<void> {
    throw new Error(`benchmark shop lost its authorization: ${reason}`);
  }
}

export interface BenchShop {
  code: MarketplaceCode;
  connector: MarketplaceConnector;
  sandbox: MarketplaceSandbox;
  shopId: string;
  ctx: ChannelContext;
}

export async function openShop(code: MarketplaceCode): Promise<BenchShop> {
  const connector = CONNECTORS[code];
  const sandbox = SANDBOXES[code]();
  await sandbox.start(0);
  const shop = sandbox.createShop();
  const app = { appKey: shop.appKey, appSecret: shop.appSecret };
  const tokens = await connector.exchangeCode({
    app,
    baseUrl: sandbox.baseUrl,
    callbackParams: { code: sandbox.issueAuthCode(shop.shopId), shop_id: shop.shopId, state: "bench" },
    redirectUri: "http://127.0.0.1/callback",
  });
  const credentials = new MemoryCredentialStore({
    ...app,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    accessExpiresAt: tokens.accessExpiresAt,
    refreshExpiresAt: tokens.refreshExpiresAt,
    extra: tokens.extra,
  });
  const shopId = tokens.shopId ?? shop.shopId;
  return {
    code,
    connector,
    sandbox,
    shopId: shop.shopId,
    ctx: { channelId: `bench-${code}`, baseUrl: sandbox.baseUrl, shopId, credentials },
  };
}

/** Seeds `n` SKUs, `perListing` per listing (default: as many as one listing may hold, at most 100). */
export function seedSkus(shop: BenchShop, n: number, perListing?: number): RemoteRef[] {
  const size = perListing ?? Math.min(shop.connector.limits.variantsPerListing, 100);
  const refs: RemoteRef[] = [];
  for (let start = 0; start < n; start += size) {
    const skus = Array.from(
      { length: Math.min(size, n - start) },
      (_, i) => `B${String(start + i).padStart(5, "0")}`,
    );
    const { externalItemId } = shop.sandbox.seedListing(shop.shopId, {
      title: `Sản phẩm OCOP thử nghiệm ${start / size + 1}`,
      variants: skus.map((sku) => ({ sku, priceVnd: 100_000, stock: 10 })),
    });
    for (const sku of skus) {
      refs.push({
        sku,
        externalItemId,
        externalSkuId: shop.sandbox.skuView(shop.shopId, sku)!.externalSkuId,
      });
    }
  }
  return refs;
}

/** Fewest calls the marketplace's batch limits allow for these refs. */
export function minimumCalls(refs: RemoteRef[], perCall: number, perItemCalls: boolean): number {
  if (refs.length === 0) return 0;
  if (!perItemCalls) return Math.ceil(refs.length / perCall);
  const perItem = new Map<string, number>();
  for (const r of refs) perItem.set(r.externalItemId, (perItem.get(r.externalItemId) ?? 0) + 1);
  let calls = 0;
  for (const k of perItem.values()) calls += Math.ceil(k / perCall);
  return calls;
}

export function totalCalls(sandbox: MarketplaceSandbox): number {
  return Object.values(sandbox.counters().calls).reduce((a, b) => a + b, 0);
}

/** Marketplaces to run: argv codes, or all. */
export function selectedCodes(argv: string[]): MarketplaceCode[] {
  const all = Object.keys(CONNECTORS) as MarketplaceCode[];
  const asked = argv.filter((a) => (all as string[]).includes(a)) as MarketplaceCode[];
  return asked.length ? asked : all;
}

export function printTable(rows: Array<Record<string, string | number>>): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]) => cells.map((s, i) => s.padStart(width[i])).join("  ");
  console.log(line(cols));
  console.log(line(width.map((w) => "-".repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => String(r[c]))));
}
