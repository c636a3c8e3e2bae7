/**
 * Process configuration, read once from environment variables and validated at start-up.
 * Each wrong variable produces its own clear message, so an operator fixes them all in one go.
 */
export type HubRole = "all" | "api" | "worker" | "sandbox";
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface HubConfig {
  /** PostgreSQL URL; unset means: start an embedded PostgreSQL under `dataDir`. */
  databaseUrl: string | null;
  /** HTTP port of the API (default 4000). */
  port: number;
  /** Interface to bind (default 127.0.0.1). */
  host: string;
  /** Log level (default info). */
  logLevel: LogLevel;
  /** Which parts this process runs (default all). */
  role: HubRole;
  /** Folder for embedded PostgreSQL data and the local key file (default ./.data). */
  dataDir: string;
  /** production turns off introspection and the landing page (default development). */
  mode: "development" | "production" | "test";
  /** Seed the real OCOP products when the catalogue is empty (default true). */
  seed: boolean;
  /** Port of the first marketplace sandbox; the others follow (default 4100). */
  sandboxPort: number;
  /** Max rows per page of any connection (default 100). */
  maxPageSize: number;
  /** 32-byte key (base64 or hex) encrypting marketplace secrets; unset: a key file in dataDir. */
  secretKey: string | null;
}

/** HTTP port of the API when PORT is unset (the CLI's default hub address uses it too). */
export const DEFAULT_PORT = 4000;

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

const LOG_LEVELS: LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];
const ROLES: HubRole[] = ["all", "api", "worker", "sandbox"];
const MODES = ["development", "production", "test"] as const;

function parsePort(name: string, raw: string | undefined, fallback: number, problems: string[]): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    problems.push(`${name}="${raw}" is not a TCP port (an integer from 0 to 65535).`);
    return fallback;
  }
  return n;
}

function parseBool(name: string, raw: string | undefined, fallback: boolean, problems: string[]): boolean {
  if (raw === undefined || raw === "") return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  problems.push(`${name}="${raw}" is not a boolean (use true or false).`);
  return fallback;
}

function oneOf<T extends string>(
  name: string,
  raw: string | undefined,
  allowed: readonly T[],
  fallback: T,
  problems: string[],
): T {
  if (raw === undefined || raw === "") return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  problems.push(`${name}="${raw}" must be one of: ${allowed.join(", ")}.`);
  return fallback;
}

/** `--role worker` on the command line wins over HUB_ROLE. */
function roleFromArgv(argv: string[]): string | undefined {
  const i = argv.indexOf("--role");
  if (i >= 0) return argv[i + 1];
  const eq = argv.find((a) => a.startsWith("--role="));
  return eq?.slice("--role=".length);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv): HubConfig {
  const problems: string[] = [];
  const databaseUrl = env.DATABASE_URL?.trim() || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push(
      `DATABASE_URL must start with postgres:// or postgresql:// (got "${redactUrl(databaseUrl)}").`,
    );
  }
  const maxPageSize = env.MAX_PAGE_SIZE ? Number(env.MAX_PAGE_SIZE) : 100;
  if (!Number.isInteger(maxPageSize) || maxPageSize < 1 || maxPageSize > 1000) {
    problems.push(`MAX_PAGE_SIZE="${env.MAX_PAGE_SIZE}" must be an integer from 1 to 1000.`);
  }
  const secretKey = env.HUB_SECRET_KEY?.trim() || null;
  if (secretKey && decodeKey(secretKey) === null) {
    problems.push("HUB_SECRET_KEY must be 32 bytes, written as 64 hex digits or 44 base64 characters.");
  }
  const config: HubConfig = {
    databaseUrl,
    port: parsePort("PORT", env.PORT, DEFAULT_PORT, problems),
    host: env.HOST?.trim() || "127.0.0.1",
    logLevel: oneOf("LOG_LEVEL", env.LOG_LEVEL, LOG_LEVELS, "info", problems),
    role: oneOf("HUB_ROLE / --role", roleFromArgv(argv) ?? env.HUB_ROLE, ROLES, "all", problems),
    dataDir: env.HUB_DATA_DIR?.trim() || ".data",
    mode: oneOf("NODE_ENV", env.NODE_ENV, MODES, "development", problems),
    seed: parseBool("HUB_SEED", env.HUB_SEED, true, problems),
    sandboxPort: parsePort("SANDBOX_PORT", env.SANDBOX_PORT, 4100, problems),
    maxPageSize,
    secretKey,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Accepts 64 hex digits or base64 of 32 bytes; null when neither. */
export function decodeKey(text: string): Buffer | null {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, "hex");
  const b = Buffer.from(text, "base64");
  return b.length === 32 ? b : null;
}

/** Hides the password of a connection URL for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]*)@/, "//$1:***@");
}
