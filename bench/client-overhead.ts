/**
 * The HTTP client's own work per call, without the network: copy + sign (each marketplace's real
 * hook) + serialise + build the URL, then classify a success answer (its real hook). 10,000
 * iterations per marketplace after a warm-up; p50/p99 against a baseline measured in the same run
 * (a bare JSON.stringify of the same body plus one HMAC-SHA256). Target: p50 ≤ 0.2 ms.
 * Run: npx tsc -p tsconfig.build.json && node dist/bench/client-overhead.js
 */
import "reflect-metadata";
import crypto from "node:crypto";
import type { MarketplaceCode } from "../src/channels/connectors/connector";
import { classifyResponse, prepareRequest } from "../src/channels/connectors/http/marketplace-http.client";
import type {
  ClassifyHook,
  HttpResponseView,
  OutgoingRequest,
  SignHook,
} from "../src/channels/connectors/http/types";
import { signShopeeRequest } from "../src/channels/connectors/shopee/shopee.signing";
import { classifyShopee } from "../src/channels/connectors/shopee/shopee.errors";
import { signLazadaRequest } from "../src/channels/connectors/lazada/lazada.signing";
import { classifyLazada } from "../src/channels/connectors/lazada/lazada.errors";
import { signTiktokRequest } from "../src/channels/connectors/tiktok-shop/tiktok-shop.signing";
import { classifyTiktokResponse } from "../src/channels/connectors/tiktok-shop/tiktok-shop.errors";
import { signTiki } from "../src/channels/connectors/tiki/tiki.signing";
import { classifyTiki } from "../src/channels/connectors/tiki/tiki.errors";
import { printTable } from "./sandbox-shop";

const ITERATIONS = 10_000;
const WARMUP = 1_000;

/** A 50-SKU stock update, the call a sync run makes most. */
const items = Array.from({ length: 50 }, (_, i) => ({
  sku: `OCOP-${1000 + i}`,
  sku_id: 1_700_000 + i,
  quantity: i * 3,
}));

interface Case {
  code: MarketplaceCode;
  sign: SignHook;
  classify: ClassifyHook;
  req: OutgoingRequest;
  ok: HttpResponseView;
}

const json = { "content-type": "application/json" };
const CASES: Case[] = [
  {
    code: "shopee",
    sign: signShopeeRequest,
    classify: classifyShopee,
    req: post("/api/v2/product/update_stock", { item_id: 800_123, stock_list: items }),
    ok: {
      status: 200,
      headers: json,
      body: { error: "", message: "", request_id: "r1", response: { success_list: [] } },
    },
  },
  {
    code: "lazada",
    sign: signLazadaRequest,
    classify: classifyLazada,
    req: post("/product/stock/sellable/update", {
      payload: JSON.stringify({ Request: { Product: { Skus: items } } }),
    }),
    ok: { status: 200, headers: json, body: { code: "0", request_id: "r1", data: {} } },
  },
  {
    code: "tiktok-shop",
    sign: signTiktokRequest,
    classify: classifyTiktokResponse,
    req: post("/product/202309/products/1729/inventory/update", { skus: items }),
    ok: { status: 200, headers: json, body: { code: 0, message: "Success", request_id: "r1", data: {} } },
  },
  {
    code: "tiki",
    sign: signTiki,
    classify: classifyTiki,
    req: post("/integration/v2/products/updateSku", { items }),
    ok: { status: 200, headers: json, body: { state: "approved", items: [] } },
  },
];

function post(path: string, body: unknown): OutgoingRequest {
  return { method: "POST", path, query: {}, headers: {}, body, auth: "shop", endpoint: "bench" };
}

const input = {
  appKey: "2001887",
  appSecret: "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
  accessToken: "6c4e5a6b7c8d9e0f1a2b3c4d5e6f7a8b",
  shopId: "100123",
  now: Date.now(),
  extra: { shop_cipher: "ROW_abcdefghijk", shopCipher: "ROW_abcdefghijk", seller_id: "200345" },
};

function measure(fn: () => void): { p50: number; p99: number } {
  for (let i = 0; i < WARMUP; i++) fn();
  const t = new Float64Array(ITERATIONS);
  for (let i = 0; i < ITERATIONS; i++) {
    const s = process.hrtime.bigint();
    fn();
    t[i] = Number(process.hrtime.bigint() - s) / 1e6;
  }
  t.sort();
  return { p50: t[Math.floor(ITERATIONS * 0.5)], p99: t[Math.floor(ITERATIONS * 0.99)] };
}

function main(): void {
  const rows: Array<Record<string, string | number>> = [];
  let worst = 0;
  for (const c of CASES) {
    const baseline = measure(() => {
      const text = JSON.stringify(c.req.body);
      crypto.createHmac("sha256", input.appSecret).update(text).digest("hex");
    });
    const client = measure(() => {
      const wire = prepareRequest("http://127.0.0.1:4100", c.req, c.sign, { ...input, now: Date.now() });
      if (!wire.url) throw new Error("no url");
      if (classifyResponse(c.classify, c.ok).kind !== "success")
        throw new Error(`${c.code}: not classified as success`);
    });
    worst = Math.max(worst, client.p50);
    rows.push({
      marketplace: c.code,
      "client p50 ms": client.p50.toFixed(4),
      "client p99 ms": client.p99.toFixed(4),
      "baseline p50 ms": baseline.p50.toFixed(4),
      "baseline p99 ms": baseline.p99.toFixed(4),
      "p50 / baseline": (client.p50 / baseline.p50).toFixed(2),
    });
  }
  printTable(rows);
  console.log(`\nworst client p50: ${worst.toFixed(4)} ms (target ≤ 0.2 ms), ${ITERATIONS} iterations each`);
}

main();
