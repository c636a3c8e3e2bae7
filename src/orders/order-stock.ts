/**
 * Stock movements for a whole batch of order lines in three statements: the rows of every variant
 * concerned are locked (in variant order, so concurrent batches cannot deadlock on them), each change
 * is checked in input order against the running on-hand/reserved values, and the accepted changes are
 * written as one conditional UPDATE plus one ledger INSERT. Same rules as `applyStockChange` in
 * catalogue/stock.service.ts (never below zero, reserved never above on hand, one movement per
 * (variant, kind, reference)), at a cost that does not grow with round trips per line: order import
 * must keep up with thousands of orders per second.
 */
import type { EntityManager } from "typeorm";
import { StockMovementKind } from "../catalogue/entities/stock.entity";

export interface LineStockChange {
  variantId: string;
  kind: StockMovementKind;
  onHandDelta: number;
  reservedDelta: number;
  /** Idempotency key, `order-line:<id>`: a movement with the same (variant, kind, reference) is never written twice. */
  reference: string;
  reason: string;
  /** Index of an earlier change in the same call that must have applied (a SALE needs its RESERVATION). */
  after?: number;
}

/** applied: written now; replayed: the same movement was written before; refused: not enough stock. */
export type ChangeOutcome = "applied" | "replayed" | "refused";

interface Level {
  onHand: number;
  reserved: number;
  onHandDelta: number;
  reservedDelta: number;
}

export async function applyStockChanges(
  m: EntityManager,
  changes: LineStockChange[],
  actor: string,
): Promise<ChangeOutcome[]> {
  if (changes.length === 0) return [];
  const replayed = await priorMovements(m, changes);
  const variantIds = [...new Set(changes.map((c) => c.variantId))];
  const rows: Array<{ variant_id: string; on_hand: number; reserved: number }> = await m.query(
    `SELECT variant_id, on_hand, reserved FROM stock_level WHERE variant_id = ANY($1::uuid[])
      ORDER BY variant_id FOR UPDATE`,
    [variantIds],
  );
  const levels = new Map<string, Level>(
    rows.map((r) => [
      r.variant_id,
      { onHand: r.on_hand, reserved: r.reserved, onHandDelta: 0, reservedDelta: 0 },
    ]),
  );

  const outcomes: ChangeOutcome[] = [];
  const movements: Array<LineStockChange & { onHandAfter: number; reservedAfter: number }> = [];
  for (const c of changes) {
    const level = levels.get(c.variantId);
    const blocked = c.after !== undefined && outcomes[c.after] === "refused";
    if (replayed.has(movementKey(c))) {
      outcomes.push("replayed");
      continue;
    }
    const onHand = (level?.onHand ?? 0) + c.onHandDelta;
    const reserved = (level?.reserved ?? 0) + c.reservedDelta;
    if (!level || blocked || onHand < 0 || reserved < 0 || reserved > onHand) {
      outcomes.push("refused");
      continue;
    }
    level.onHand = onHand;
    level.reserved = reserved;
    level.onHandDelta += c.onHandDelta;
    level.reservedDelta += c.reservedDelta;
    movements.push({ ...c, onHandAfter: onHand, reservedAfter: reserved });
    outcomes.push("applied");
  }
  if (movements.length === 0) return outcomes;

  const touched = [...levels.entries()].filter(([, l]) => l.onHandDelta !== 0 || l.reservedDelta !== 0);
  if (touched.length > 0) {
    // The rows are locked, so the guard cannot fail; it stays as the last line of defence.
    const updated: unknown[] = await m.query(
      `WITH u AS (
         UPDATE stock_level s
            SET on_hand = s.on_hand + d.on_hand_delta, reserved = s.reserved + d.reserved_delta, updated_at = now()
           FROM unnest($1::uuid[], $2::int[], $3::int[]) AS d(variant_id, on_hand_delta, reserved_delta)
          WHERE s.variant_id = d.variant_id
            AND s.on_hand + d.on_hand_delta >= 0 AND s.reserved + d.reserved_delta >= 0
            AND s.reserved + d.reserved_delta <= s.on_hand + d.on_hand_delta
          RETURNING s.variant_id)
       SELECT variant_id FROM u`,
      [
        touched.map(([id]) => id),
        touched.map(([, l]) => l.onHandDelta),
        touched.map(([, l]) => l.reservedDelta),
      ],
    );
    if (updated.length !== touched.length) throw new Error("stock guard refused a batch it had locked");
  }
  await m.query(
    `INSERT INTO stock_movement (variant_id, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reason, reference, actor)
     SELECT v, k, od, rd, oa, ra, r, ref, $9 FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::int[], $6::int[], $7::text[], $8::text[])
       AS t(v, k, od, rd, oa, ra, r, ref)`,
    [
      movements.map((x) => x.variantId),
      movements.map((x) => x.kind),
      movements.map((x) => x.onHandDelta),
      movements.map((x) => x.reservedDelta),
      movements.map((x) => x.onHandAfter),
      movements.map((x) => x.reservedAfter),
      movements.map((x) => x.reason),
      movements.map((x) => x.reference),
      actor,
    ],
  );
  return outcomes;
}

function movementKey(c: { variantId: string; kind: string; reference: string }): string {
  return `${c.variantId}|${c.kind}|${c.reference}`;
}

async function priorMovements(m: EntityManager, changes: LineStockChange[]): Promise<Set<string>> {
  const rows: Array<{ variant_id: string; kind: string; reference: string }> = await m.query(
    `SELECT s.variant_id, s.kind, s.reference
       FROM unnest($1::uuid[], $2::text[], $3::text[]) AS t(variant_id, kind, reference)
       JOIN stock_movement s ON s.variant_id = t.variant_id AND s.kind = t.kind AND s.reference = t.reference
      WHERE s.reference IS NOT NULL`,
    [changes.map((c) => c.variantId), changes.map((c) => c.kind), changes.map((c) => c.reference)],
  );
  return new Set(
    rows.map((r) => movementKey({ variantId: r.variant_id, kind: r.kind, reference: r.reference })),
  );
}
