/**
 * Set-based writes for the import: many rows in one statement through `unnest` of column
 * arrays (one parameter per column, whatever the row count), and updates that touch only the
 * columns flagged as changed for each row.
 */
import { QueryRunner } from "typeorm";

/** A column and its PostgreSQL element type ("uuid", "text", "jsonb", …). */
export interface SqlColumn {
  name: string;
  type: string;
}

function columnArrays(columns: SqlColumn[], rows: unknown[][]): unknown[][] {
  return columns.map((_, i) => rows.map((r) => r[i] ?? null));
}

/** INSERT … SELECT FROM unnest(…): one statement for all rows. */
export async function insertRows(
  qr: QueryRunner,
  table: string,
  columns: SqlColumn[],
  rows: unknown[][],
): Promise<void> {
  if (rows.length === 0) return;
  const names = columns.map((c) => c.name).join(", ");
  const params = columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(", ");
  await qr.query(
    `INSERT INTO ${table} (${names}) SELECT * FROM unnest(${params})`,
    columnArrays(columns, rows),
  );
}

export interface ChangedRow {
  id: string;
  /** Bit i set = column i changed; other columns keep their stored value. */
  mask: number;
  values: unknown[];
}

/**
 * UPDATE … FROM unnest(…) keyed by id. Each row writes only its flagged columns, so a value
 * changed by someone else in a column this row did not change is left alone.
 */
export async function updateChanged(
  qr: QueryRunner,
  table: string,
  columns: SqlColumn[],
  rows: ChangedRow[],
  opts: { touchUpdatedAt: boolean },
): Promise<void> {
  if (rows.length === 0) return;
  const sets = columns.map(
    (c, i) => `${c.name} = CASE WHEN u.m & ${1 << i} <> 0 THEN u.c${i} ELSE t.${c.name} END`,
  );
  if (opts.touchUpdatedAt) sets.push("updated_at = now()");
  const aliases = ["id", "m", ...columns.map((_, i) => `c${i}`)].join(", ");
  const params = ["$1::uuid[]", "$2::int[]", ...columns.map((c, i) => `$${i + 3}::${c.type}[]`)].join(", ");
  await qr.query(
    `UPDATE ${table} t SET ${sets.join(", ")} FROM unnest(${params}) AS u(${aliases}) WHERE t.id = u.id`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.mask),
      ...columnArrays(
        columns,
        rows.map((r) => r.values),
      ),
    ],
  );
}
