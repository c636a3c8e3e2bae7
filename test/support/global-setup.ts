/**
 * Runs once per `jest` run: finds PostgreSQL (DATABASE_URL / TEST_DATABASE_URL, the local service on
 * 127.0.0.1:5432, or else an embedded server), and builds the migrated template database.
 */
import "reflect-metadata";
import { Client } from "pg";
import { ADMIN_URL_ENV, TEMPLATE_ENV, adminUrl, templateName, withAdmin, withDatabase } from "./pg-admin";
import { createDataSource } from "../../src/common/database";

async function reachable(url: string): Promise<boolean> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

export default async function globalSetup(): Promise<void> {
  process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? "silent";
  let url = adminUrl();
  if (!(await reachable(url))) {
    const { startEmbeddedPostgres } = require("../../src/common/embedded-postgres");
    const { logger } = require("../../src/common/logger");
    const db = await startEmbeddedPostgres(".data/test", logger);
    url = withDatabase(db.url, "postgres");
    (globalThis as any).__EMBEDDED_PG__ = db;
  }
  process.env[ADMIN_URL_ENV] = url;
  const tpl = templateName();
  process.env[TEMPLATE_ENV] = tpl;

  await withAdmin(async (c) => {
    // Serialise template creation across concurrent jest runs.
    await c.query("SELECT pg_advisory_lock(727001)");
    try {
      const exists = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [tpl]);
      if (exists.rowCount) return;
      await c.query(`CREATE DATABASE ${tpl}_build`).catch(async () => {
        await c.query(`DROP DATABASE IF EXISTS ${tpl}_build`);
        await c.query(`CREATE DATABASE ${tpl}_build`);
      });
      const ds = createDataSource({ url: withDatabase(url, `${tpl}_build`), poolSize: 1 });
      await ds.initialize();
      await ds.runMigrations();
      await ds.destroy();
      await c.query(`ALTER DATABASE ${tpl}_build RENAME TO ${tpl}`);
      await c.query(`ALTER DATABASE ${tpl} WITH IS_TEMPLATE true`);
    } finally {
      await c.query("SELECT pg_advisory_unlock(727001)");
    }
  }, url);
}
