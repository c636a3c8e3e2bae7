/** Shared bench plumbing: a scratch database migrated from scratch, child servers, percentiles. */
import "reflect-metadata";
import crypto from "node:crypto";
import { ChildProcess, fork } from "node:child_process";
import { Client } from "pg";
import { DataSource } from "typeorm";
import { createDataSource } from "../src/common/database";

export function adminUrl(): string {
  return process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
}

export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export interface ScratchDb {
  url: string;
  ds: DataSource;
  drop(): Promise<void>;
}

/** A new database with all migrations applied; dropped by `drop()`. */
export async function scratchDatabase(tag: string): Promise<ScratchDb> {
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  const name = `ocop_bench_${tag}_${crypto.randomBytes(4).toString("hex")}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = withDatabase(adminUrl(), name);
  const ds = createDataSource({ url, poolSize: 4, applicationName: `bench-${tag}` });
  await ds.initialize();
  await ds.runMigrations();
  return {
    url,
    ds,
    drop: async () => {
      if (ds.isInitialized) await ds.destroy();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Forks a server module that sends {port} when listening. */
export async function startChild(
  modulePath: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  nodeFlags: string[] = [],
): Promise<{ port: number; child: ChildProcess }> {
  const child = fork(modulePath, args, {
    env: { ...process.env, LOG_LEVEL: "silent", ...env },
    stdio: "inherit",
    execArgv: nodeFlags,
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (m: { port?: number }) =>
      m.port ? resolve(m.port) : reject(new Error(String(m))),
    );
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { port, child };
}

export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function machine(): string {
  const os = require("node:os") as typeof import("node:os");
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}
