/** Stock writes (ledger, compare-and-set, idempotency, concurrency) and certification records over HTTP. */
import fc from "fast-check";
import { startTestHub, TestHub } from "../support/test-hub";
import { certificationStatus } from "../../src/catalogue/ocop";
import { ManualClock } from "../../src/common/time";

let hub: TestHub;
let producerId: string;
let productId: string;
let variantId: string;
const clock = new ManualClock(new Date("2026-11-26T03:00:00Z"));

const SET = `mutation($input: SetStockInput!) { setStock(input: $input) { stock { onHand reserved available } applied userErrors { field code message } } }`;
const ADJ = `mutation($input: AdjustStockInput!) { adjustStock(input: $input) { stock { onHand } applied userErrors { field code message } } }`;

beforeAll(async () => {
  hub = await startTestHub({ clock });
  const p = await hub.gql(
    `mutation { createProducer(input: { legalName: "Hợp tác xã Nông nghiệp Long Việt" }) { producer { id } } }`,
  );
  producerId = p.data.createProducer.producer.id;
  const r = await hub.gql(
    `mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id variants { id } } userErrors { code } } }`,
    {
      input: {
        producerId,
        name: "Mắc ca Lê Anh Tuy Đức",
        productSetNo: 7,
        variants: [{ sku: "LV-MC-500", priceVnd: 250000, initialStock: 10 }],
      },
    },
  );
  productId = r.data.createProduct.product.id;
  variantId = r.data.createProduct.product.variants[0].id;
});
afterAll(() => hub.close());

async function ledgerMatchesStock(): Promise<void> {
  const [row] = await hub.db.dataSource.query(
    `SELECT s.on_hand, s.reserved, coalesce(sum(m.on_hand_delta), 0)::int AS on_hand_sum, coalesce(sum(m.reserved_delta), 0)::int AS reserved_sum
       FROM stock_level s LEFT JOIN stock_movement m ON m.variant_id = s.variant_id GROUP BY s.variant_id, s.on_hand, s.reserved`,
  );
  expect(row.on_hand_sum).toBe(row.on_hand);
  expect(row.reserved_sum).toBe(row.reserved);
}

describe("stock", () => {
  it("sets stock with compare-and-set and refuses a stale expectation", async () => {
    const ok = await hub.gql(SET, { input: { variantId, onHand: 25, expectedOnHand: 10 } });
    expect(ok.data.setStock.stock).toEqual({ onHand: 25, reserved: 0, available: 25 });
    const stale = await hub.gql(
      SET,
      { input: { variantId, onHand: 30, expectedOnHand: 10 } },
      { lang: "en" },
    );
    expect(stale.data.setStock.userErrors[0]).toMatchObject({
      field: "expectedOnHand",
      code: "STOCK_CONFLICT",
    });
    expect(stale.data.setStock.userErrors[0].message).toMatch(/it is 25, you expected 10/);
    await ledgerMatchesStock();
  });

  it("adjusts with a reason, never below zero, idempotent by reference", async () => {
    const a = await hub.gql(ADJ, {
      input: { variantId, delta: -5, reason: "hàng hỏng", reference: "count-2026-11-26" },
    });
    expect(a.data.adjustStock).toMatchObject({ stock: { onHand: 20 }, applied: true });
    const replay = await hub.gql(ADJ, {
      input: { variantId, delta: -5, reason: "hàng hỏng", reference: "count-2026-11-26" },
    });
    expect(replay.data.adjustStock).toMatchObject({ stock: { onHand: 20 }, applied: false, userErrors: [] });
    const tooMuch = await hub.gql(ADJ, { input: { variantId, delta: -21, reason: "bán lẻ" } });
    expect(tooMuch.data.adjustStock.userErrors[0].code).toBe("BELOW_RESERVED");
    const noReason = await hub.gql(ADJ, { input: { variantId, delta: 1, reason: " " } });
    expect(noReason.data.adjustStock.userErrors[0]).toMatchObject({ field: "reason", code: "REQUIRED" });
    await ledgerMatchesStock();
  });

  it("a refused reference stays refused, even once the stock would allow it (a late earlier attempt cannot apply)", async () => {
    const input = {
      variantId,
      delta: -30,
      reason: "xuất kho / dispatch",
      reference: "dispatch-2026-11-26-7",
    };
    const refused = await hub.gql(ADJ, { input });
    expect(refused.data.adjustStock.userErrors[0]).toMatchObject({ field: "delta", code: "BELOW_RESERVED" });
    // Stock arrives; an attempt with the same reference (a retry, or the first one that was still
    // waiting somewhere) now gets the same answer instead of applying.
    await hub.gql(ADJ, { input: { variantId, delta: 40, reason: "nhập lô mới / new batch" } });
    const again = await hub.gql(ADJ, { input }, { lang: "en" });
    expect(again.data.adjustStock.userErrors).toEqual([
      expect.objectContaining({ field: "delta", code: "BELOW_RESERVED" }),
    ]);
    expect(again.data.adjustStock.userErrors[0].message).toMatch(/reserved/i);
    const [{ n }] = await hub.db.dataSource.query(
      `SELECT count(*)::int AS n FROM stock_movement WHERE reference = 'dispatch-2026-11-26-7'`,
    );
    expect(n).toBe(0);
    // A new reference is a new request.
    const fresh = await hub.gql(ADJ, { input: { ...input, reference: "dispatch-2026-11-26-8" } });
    expect(fresh.data.adjustStock).toMatchObject({ applied: true, userErrors: [] });
    await ledgerMatchesStock();
  });

  it("loses no update under 40 concurrent adjustments", async () => {
    const before = (
      await hub.gql(`query($id: ID!) { node(id: $id) { ... on Variant { stock { onHand } } } }`, {
        id: variantId,
      })
    ).data.node.stock.onHand;
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        hub.gql(ADJ, { input: { variantId, delta: i % 2 ? 3 : -1, reason: "concurrent" } }),
      ),
    );
    const after = (
      await hub.gql(
        `query($id: ID!) { node(id: $id) { ... on Variant { stock { onHand } stockMovements(first: 5) { totalCount } } } }`,
        { id: variantId },
      )
    ).data.node;
    expect(after.stock.onHand).toBe(before + 20 * 3 - 20);
    await ledgerMatchesStock();
  });
});

describe("certifications", () => {
  const REC = `mutation($input: RecordCertificationInput!) { recordCertification(input: $input) {
    certification { id star validUntil status daysLeft verified } userErrors { field code message } } }`;

  it("records a decision, derives validity, and supersedes the earlier one on re-recognition", async () => {
    const first = await hub.gql(REC, {
      input: {
        productId,
        star: 3,
        score: 66.5,
        decisionNumber: "858/QĐ-UBND",
        decisionDate: "2023-12-01",
        issuerLevel: "PROVINCE",
        issuerName: "UBND tỉnh Đắk Nông",
      },
    });
    expect(first.data.recordCertification.certification).toMatchObject({
      star: 3,
      validUntil: "2026-12-01",
      status: "EXPIRING",
      daysLeft: 5,
      verified: true,
    });
    const upgraded = await hub.gql(REC, {
      input: {
        productId,
        star: 4,
        score: 78,
        decisionNumber: "1887/QĐ-UBND",
        decisionDate: "2025-06-16",
        issuerLevel: "PROVINCE",
        issuerName: "UBND tỉnh Lâm Đồng",
      },
    });
    expect(upgraded.data.recordCertification.certification).toMatchObject({
      star: 4,
      validUntil: "2028-06-16",
      status: "ACTIVE",
    });
    const p = await hub.gql(
      `query($id: ID!) { product(id: $id) { currentStar certifications { star status } } }`,
      { id: productId },
    );
    expect(p.data.product.currentStar).toBe(4);
    expect(p.data.product.certifications).toEqual([
      { star: 4, status: "ACTIVE" },
      { star: 3, status: "SUPERSEDED" },
    ]);
  });

  it("refuses a score outside the star's band, a future date and a potential-5-star 3★", async () => {
    const r = await hub.gql(
      REC,
      {
        input: {
          productId,
          star: 4,
          score: 65,
          potentialFiveStar: false,
          decisionNumber: "1/QĐ",
          decisionDate: "2027-01-01",
          issuerLevel: "PROVINCE",
          issuerName: "UBND",
        },
      },
      { lang: "en" },
    );
    const codes = r.data.recordCertification.userErrors.map((e: { code: string }) => e.code).sort();
    expect(codes).toEqual(["DATE_IN_FUTURE", "SCORE_STAR_MISMATCH"]);
    const pot = await hub.gql(REC, {
      input: {
        productId,
        star: 3,
        potentialFiveStar: true,
        decisionNumber: "2/QĐ",
        decisionDate: "2025-01-01",
        issuerLevel: "PROVINCE",
        issuerName: "UBND",
      },
    });
    expect(pot.data.recordCertification.userErrors[0].field).toBe("potentialFiveStar");
  });

  it("drops a product's current star when its certificate expires (clock moves)", async () => {
    clock.set(new Date("2028-06-17T03:00:00Z"));
    const p = await hub.gql(
      `query($id: ID!) { product(id: $id) { currentStar currentCertification { id } } }`,
      { id: productId },
    );
    expect(p.data.product).toEqual({ currentStar: null, currentCertification: null });
    const expired = await hub.gql(`{ products(filter: { certificationStatus: EXPIRED }) { totalCount } }`);
    expect(expired.data.products.totalCount).toBe(1);
    clock.set(new Date("2026-11-26T03:00:00Z"));
  });

  it("computes the same status in SQL as in TypeScript", async () => {
    const day = fc
      .integer({ min: 0, max: 3000 })
      .map((n) => new Date(Date.UTC(2024, 0, 1) + n * 86_400_000).toISOString().slice(0, 10));
    await fc.assert(
      fc.asyncProperty(
        fc.option(day),
        day,
        fc.boolean(),
        fc.boolean(),
        async (validUntil, today, superseded, revoked) => {
          const [row] = await hub.db.dataSource.query(
            `SELECT ocop_cert_status($1::date, $2::timestamptz, $3::timestamptz, $4::date) AS s`,
            [validUntil, superseded ? new Date() : null, revoked ? new Date() : null, today],
          );
          expect(row.s).toBe(
            certificationStatus(
              {
                validUntil,
                supersededAt: superseded ? new Date() : null,
                revokedAt: revoked ? new Date() : null,
              },
              today,
            ),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
