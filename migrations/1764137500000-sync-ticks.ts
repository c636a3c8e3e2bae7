import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Scheduled ticks are deduplicated in the database: every worker process runs the same node-cron
 * schedules, and each tick creates its sync_run with a tick key (`<kind>:<channelId>:<minute>`) in
 * `details.tickKey`. This unique index lets all of them try, and exactly one insert win.
 */
export class SyncTicks1764137500000 implements MigrationInterface {
  name = "SyncTicks1764137500000";

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE UNIQUE INDEX sync_run_tick_key_idx ON sync_run ((details->>'tickKey')) WHERE details ? 'tickKey'`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS sync_run_tick_key_idx`);
  }
}
