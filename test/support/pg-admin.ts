/**
 * Test databases on a real PostgreSQL: one migrated template per migration set, and a fresh
 * database cloned from it for each test file (as graphile-worker's tests do).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Client } from "pg";

export const TEMPLATE_ENV = "OCOP_TEST_TEMPLATE";
export const ADMIN_URL_ENV = "OCOP_TEST_ADMIN_URL";

export function adminUrl(): string {
  return (
    process.env[ADMIN_URL_ENV] ??
    process.env.TEST_DATABASE_URL ??
    process.env.DATABASE_URL ??
    "postgresql://postgres@127.0.0.1:5432/postgres"
  );
}

export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** Template name changes whenever a migration file changes, so stale templates are never used. */
export function templateName(): string {
  const dir = path.join(__dirname, "..", "..", "migrations");
  const h = crypto.createHash("sha256");
  for (const f of fs.readdirSync(dir).sort()) h.update(f).update(fs.readFileSync(path.join(dir, f)));
  return `ocop_tpl_${h.digest("hex").slice(0, 16)}`;
}

export async function withAdmin<T>(fn: (c: Client) => Promise<T>, url = adminUrl()): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
