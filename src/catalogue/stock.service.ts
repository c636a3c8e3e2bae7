/**
 * Stock changes, always as one atomic conditional UPDATE plus one ledger movement in the same
 * transaction. Stock never goes below what is reserved, and never below zero.
 */
import { EntityManager } from "typeorm";
import { UserErrors } from "../common/errors";
import { StockMovementKind } from "./entities/stock.entity";

export interface StockChange {
  variantId: string;
  onHandDelta: number;
  reservedDelta: number;
  kind: StockMovementKind;
  reason: string;
  /** Idempotency key per (variant, kind): a replay with the same reference changes nothing. */
  reference?: string | null;
  actor: string;
  /** Compare-and-set: apply only when on_hand currently equals this. */
  expectedOnHand?: number | null;
}

export interface StockResult {
  onHand: number;
  reserved: number;
  /** False when the reference had already been applied (idempotent replay). */
  applied: boolean;
}

/** The answer already given to a referenced change (its movement), or null when none applied. */
export async function priorChange(
  m: EntityManager,
  variantId: string,
  kind: StockMovementKind,
  reference: string,
): Promise<StockResult | null> {
  const [prior] = await m.query(
    `SELECT on_hand_after, reserved_after FROM stock_movement WHERE variant_id = $1 AND kind = $2 AND reference = $3`,
    [variantId, kind, reference],
  );
  return prior ? { onHand: prior.on_hand_after, reserved: prior.reserved_after, applied: false } : null;
}

/** Applies one change inside the caller's transaction; throws UserErrors when it cannot apply. */
export async function applyStockChange(m: EntityManager, c: StockChange, field = ""): Promise<StockResult> {
  if (c.reference) {
    const prior = await priorChange(m, c.variantId, c.kind, c.reference);
    if (prior) return prior;
  }
  const rows: Array<{ on_hand: number; reserved: number }> = await m.query(
    // Wrapped in a CTE so the driver returns plain rows (TypeORM returns [rows, count] for UPDATE).
    `WITH u AS (
       UPDATE stock_level
          SET on_hand = on_hand + $2, reserved = reserved + $3, updated_at = now()
        WHERE variant_id = $1
          AND on_hand + $2 >= 0 AND reserved + $3 >= 0 AND reserved + $3 <= on_hand + $2
          AND ($4::int IS NULL OR on_hand = $4)
        RETURNING on_hand, reserved)
     SELECT on_hand, reserved FROM u`,
    [c.variantId, c.onHandDelta, c.reservedDelta, c.expectedOnHand ?? null],
  );
  if (rows.length === 0) {
    const [cur] = await m.query(`SELECT on_hand, reserved FROM stock_level WHERE variant_id = $1`, [
      c.variantId,
    ]);
    if (!cur) throw UserErrors.one(field || "variantId", "NOT_FOUND", { entity: "biến thể / variant" });
    if (c.expectedOnHand != null && cur.on_hand !== c.expectedOnHand) {
      throw UserErrors.one(field || "expectedOnHand", "STOCK_CONFLICT", {
        actual: cur.on_hand,
        expected: c.expectedOnHand,
      });
    }
    if (c.reservedDelta > 0) {
      throw UserErrors.one(field || "quantity", "INSUFFICIENT_STOCK", {
        available: cur.on_hand - cur.reserved,
        requested: c.reservedDelta,
      });
    }
    throw UserErrors.one(field || "onHand", "BELOW_RESERVED", { reserved: cur.reserved });
  }
  const { on_hand, reserved } = rows[0];
  await m.query(
    `INSERT INTO stock_movement (variant_id, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reason, reference, actor)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      c.variantId,
      c.kind,
      c.onHandDelta,
      c.reservedDelta,
      on_hand,
      reserved,
      c.reason,
      // An empty reference is no reference (the replay check above skips it too), so "" twice is
      // not a duplicate key (found by the mutation fuzzer).
      c.reference || null,
      c.actor,
    ],
  );
  return { onHand: on_hand, reserved, applied: true };
}

/** Creates the stock row of a new variant, with an INITIAL movement when it starts above zero. */
export async function createStockLevel(
  m: EntityManager,
  variantId: string,
  onHand: number,
  actor: string,
): Promise<void> {
  await m.query(`INSERT INTO stock_level (variant_id, on_hand, reserved) VALUES ($1, 0, 0)`, [variantId]);
  if (onHand > 0) {
    await applyStockChange(m, {
      variantId,
      onHandDelta: onHand,
      reservedDelta: 0,
      kind: StockMovementKind.INITIAL,
      reason: "initial stock",
      actor,
    });
  }
}
