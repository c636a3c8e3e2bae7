/** A fresh database per test file, cloned from the migrated template; dropped afterwards. */
import crypto from "node:crypto";
import { DataSource } from "typeorm";
import { createDataSource } from "../../src/common/database";
import { TEMPLATE_ENV, adminUrl, withAdmin, withDatabase } from "./pg-admin";

export interface TestDatabase {
  url: string;
  name: string;
  dataSource: DataSource;
  drop(): Promise<void>;
}

export async function createTestDatabase(
  opts: { onQuery?: (sql: string) => void; poolSize?: number } = {},
): Promise<TestDatabase> {
  const template = process.env[TEMPLATE_ENV];
  if (!template) throw new Error("test template missing: run through jest (globalSetup)");
  const name = `ocop_test_${crypto.randomBytes(6).toString("hex")}`;
  // CREATE DATABASE … TEMPLATE fails while another session is connected to the template; retry briefly.
  for (let attempt = 0; ; attempt++) {
    try {
      await withAdmin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
      break;
    } catch (e) {
      if (attempt > 20) throw e;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  const url = withDatabase(adminUrl(), name);
  const dataSource = createDataSource({ url, onQuery: opts.onQuery, poolSize: opts.poolSize ?? 5 });
  await dataSource.initialize();
  return {
    url,
    name,
    dataSource,
    drop: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
