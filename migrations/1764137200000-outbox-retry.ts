import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Retry bookkeeping for the listing outbox, per kind: how many pushes of the current value failed
 * in a row, when the next attempt may run (backoff), and the version that failed for good (a fatal
 * marketplace answer, or too many retriable ones). A failed version is not retried; the next change
 * bumps the version past it and the listing is pushed again (compare-and-set by version).
 */
export class OutboxRetry1764137200000 implements MigrationInterface {
  name = "OutboxRetry1764137200000";

  public async up(q: QueryRunner): Promise<void> {
    for (const kind of ["price", "stock", "content"]) {
      await q.query(`
        ALTER TABLE listing
          ADD COLUMN ${kind}_attempts integer NOT NULL DEFAULT 0,
          ADD COLUMN ${kind}_retry_at timestamptz,
          ADD COLUMN ${kind}_failed_version bigint`);
    }
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const kind of ["price", "stock", "content"]) {
      await q.query(`
        ALTER TABLE listing
          DROP COLUMN IF EXISTS ${kind}_attempts,
          DROP COLUMN IF EXISTS ${kind}_retry_at,
          DROP COLUMN IF EXISTS ${kind}_failed_version`);
    }
  }
}
