/** What every command gets: the API client, output streams and a clock. */
import type { HubClient, UserErrorOut } from "./client";
import { CliFailure, EXIT_USER } from "./client";
import type { ProgressStream } from "./progress";
import { t } from "./i18n";

export interface CliContext {
  client: HubClient;
  /** Progress and human-readable text: stdout, or stderr when --json keeps stdout for JSON. */
  out: ProgressStream;
  /** The process's stdout, for --json output. */
  stdout: { write(text: string): unknown };
  json: boolean;
  err: { write(text: string): unknown };
  now(): number;
}

export function println(ctx: CliContext, text = ""): void {
  ctx.out.write(`${text}\n`);
}

export function printJson(ctx: CliContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Ends the command with the hub's userErrors (already in the caller's language), exit code 1. */
export function failWithUserErrors(errors: UserErrorOut[]): never {
  const lines = errors.map((e) => `  - ${e.field ? `${e.field}: ` : ""}${e.message} [${e.code}]`);
  throw new CliFailure([t("userErrors"), ...lines].join("\n"), EXIT_USER);
}

export interface Page<T> {
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Reads every page of a connection; `stop` ends early once the caller has what it needs. */
export async function readAll<T>(
  fetchPage: (after: string | null) => Promise<Page<T>>,
  stop: (node: T) => boolean = () => false,
): Promise<T[]> {
  const all: T[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await fetchPage(after);
    for (const n of page.nodes) {
      if (stop(n)) return all;
      all.push(n);
    }
    if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return all;
    after = page.pageInfo.endCursor;
  }
}
