/** Runs pending migrations under an advisory lock, so API replicas and workers starting together migrate once. */
import type { DataSource } from "typeorm";

const MIGRATION_LOCK_KEY = 727_000;

export async function migrate(ds: DataSource): Promise<string[]> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    const done = await ds.runMigrations({ transaction: "each" });
    return done.map((m) => m.name);
  } finally {
    await runner.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}
