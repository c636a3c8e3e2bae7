import { createTestDatabase, TestDatabase } from "../support/test-db";

describe("migrations", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it("creates the catalogue tables and keeps the stock ledger append-only", async () => {
    const tables = await db.dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    );
    const names = tables.map((t: { table_name: string }) => t.table_name);
    expect(names).toEqual(
      expect.arrayContaining([
        "producer",
        "product",
        "variant",
        "stock_level",
        "stock_movement",
        "ocop_certification",
        "api_key",
        "channel",
      ]),
    );
    const [p] = await db.dataSource.query(
      `INSERT INTO producer (legal_name, name_key, type) VALUES ('HTX A', 'htx a', 'COOPERATIVE') RETURNING id`,
    );
    const [prod] = await db.dataSource.query(
      `INSERT INTO product (producer_id, name, search_key, slug, category) VALUES ($1, 'Trà', 'tra', 'tra', 'FOOD') RETURNING id`,
      [p.id],
    );
    const [v] = await db.dataSource.query(
      `INSERT INTO variant (product_id, producer_id, sku) VALUES ($1, $2, 'TRA-1') RETURNING id`,
      [prod.id, p.id],
    );
    await db.dataSource.query(
      `INSERT INTO stock_movement (variant_id, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after, actor) VALUES ($1, 'ADJUSTMENT', 5, 0, 5, 0, 'test')`,
      [v.id],
    );
    await expect(db.dataSource.query(`UPDATE stock_movement SET on_hand_delta = 6`)).rejects.toThrow(
      /append-only/,
    );
    await expect(db.dataSource.query(`DELETE FROM stock_movement`)).rejects.toThrow(/append-only/);
  });
});
