/**
 * Runs the CLI (src/cli/main.ts, compiled on the fly by @swc/core through a require hook) as a
 * child process, as an operator would: real argv, environment, stdout/stderr (no TTY) and exit code.
 */
import { ChildProcess, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const MAIN = path.join(ROOT, "src/cli/main.ts");

let hookFile: string | null = null;

/** The require hook, written once per content (same file for every run and worker). */
function hook(): string {
  if (hookFile) return hookFile;
  const source = `const swc = require(${JSON.stringify(require.resolve("@swc/core"))});
const fs = require("node:fs");
require.extensions[".ts"] = (m, filename) => {
  const { code } = swc.transformSync(fs.readFileSync(filename, "utf8"), {
    filename,
    jsc: { parser: { syntax: "typescript" }, target: "es2022" },
    module: { type: "commonjs" },
  });
  m._compile(code, filename);
};
`;
  const hash = crypto.createHash("sha256").update(source).digest("hex").slice(0, 12);
  hookFile = path.join(os.tmpdir(), `ocop-cli-swc-hook-${hash}.js`);
  if (!fs.existsSync(hookFile)) {
    // Written aside and renamed, so a parallel worker never loads a half-written file.
    const tmp = `${hookFile}.${process.pid}`;
    fs.writeFileSync(tmp, source);
    fs.renameSync(tmp, hookFile);
  }
  return hookFile;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface StartedCli {
  child: ChildProcess;
  /** Output so far. */
  output(): { stdout: string; stderr: string };
  done: Promise<CliRun>;
}

/** Starts `npm run hub -- <args>` without the npm wrapper; env adds to (not replaces) a clean base. */
export function startCli(args: string[], env: Record<string, string | undefined> = {}): StartedCli {
  const base: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: "C.UTF-8",
    // Not the repository's .data: a key file left there by `npm start` would stand in for HUB_API_KEY.
    HUB_DATA_DIR: path.join(os.tmpdir(), "ocop-cli-no-data"),
  };
  const child = spawn(process.execPath, ["-r", hook(), MAIN, ...args], {
    cwd: ROOT,
    env: { ...base, ...env } as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  return { child, output: () => ({ stdout, stderr }), done };
}

export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  return startCli(args, env).done;
}
