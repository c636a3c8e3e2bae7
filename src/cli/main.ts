/**
 * `npm run hub -- <command> [options]`: operations from a terminal, through the hub's GraphQL API
 * only (HUB_URL, HUB_API_KEY). Exit codes: 0 done, 1 the hub refused or the work failed (user
 * errors, failed items or rows), 2 usage, connection or authentication problems.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs, ParseArgsConfig } from "node:util";
import { DEFAULT_PORT } from "../common/config";
import { CliFailure, EXIT_USAGE, HubClient, graphqlUrl } from "./client";
import type { CliContext } from "./context";
import { channelsHealth } from "./commands/channels";
import { productsImport } from "./commands/products";
import { SYNC_KINDS, syncRetry, syncStatus, syncTrigger } from "./commands/sync";
import { CliLang, lang, pickLang, setLang, t } from "./i18n";

type Options = NonNullable<ParseArgsConfig["options"]>;
type Values = Record<string, string | boolean | undefined>;

const GLOBAL: Options = {
  "api-key": { type: "string" },
  url: { type: "string" },
  lang: { type: "string" },
  help: { type: "boolean", short: "h" },
};

const WAIT: Options = {
  wait: { type: "boolean" },
  json: { type: "boolean" },
  interval: { type: "string" },
  timeout: { type: "string" },
  "max-items": { type: "string" },
};

interface Command {
  options: Options;
  positionals: number;
  help: Record<CliLang, string>;
  run(ctx: CliContext, values: Values, positionals: string[]): Promise<number>;
}

const GLOBAL_HELP: Record<CliLang, string> = {
  vi: `Tùy chọn chung:
  --api-key <khóa>   khóa API (mặc định HUB_API_KEY, hoặc tệp admin-api-key trong HUB_DATA_DIR)
  --url <url>        địa chỉ hub (mặc định HUB_URL, hoặc http://127.0.0.1:$PORT, cổng ${DEFAULT_PORT})
  --lang vi|en       ngôn ngữ thông báo (mặc định HUB_LANG, hoặc vi)
  -h, --help         trợ giúp
Mã thoát: 0 xong, 1 hub từ chối hoặc có mục/dòng lỗi, 2 sai cú pháp, không kết nối được hoặc sai khóa.`,
  en: `Common options:
  --api-key <key>    API key (default HUB_API_KEY, else the admin-api-key file in HUB_DATA_DIR)
  --url <url>        hub address (default HUB_URL, else http://127.0.0.1:$PORT, port ${DEFAULT_PORT})
  --lang vi|en       language of messages (default HUB_LANG, else vi)
  -h, --help         help
Exit codes: 0 done, 1 the hub refused or items/rows failed, 2 usage, connection or key problems.`,
};

const WAIT_HELP: Record<CliLang, string> = {
  vi: `  --wait             chờ lượt chạy xong, hiện tiến độ và tổng kết
  --interval <ms>    chu kỳ hỏi trạng thái (mặc định 500)
  --timeout <giây>   thôi chờ sau chừng này giây (mặc định 600)
  --max-items <n>    số mục lỗi liệt kê đầy đủ (mặc định 50)
  --json             tổng kết dạng JSON trên stdout (tiến độ sang stderr)`,
  en: `  --wait             wait for the run to finish, with progress and a summary
  --interval <ms>    polling interval (default 500)
  --timeout <s>      stop waiting after this many seconds (default 600)
  --max-items <n>    failed items listed in full (default 50)
  --json             the summary as JSON on stdout (progress goes to stderr)`,
};

function int(values: Values, name: string, fallback: number, min: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw usage(t("badOption", { name: `--${name}`, value: String(raw) }));
  return n;
}

function waitOptions(values: Values) {
  return {
    wait: values.wait === true,
    intervalMs: int(values, "interval", 500, 50),
    timeoutMs: int(values, "timeout", 600, 1) * 1000,
    maxItems: int(values, "max-items", 50, 0),
  };
}

function usage(reason: string): CliFailure {
  return new CliFailure(t("usageError", { reason }), EXIT_USAGE);
}

const COMMANDS: Record<string, Command> = {
  "sync trigger": {
    options: {
      channel: { type: "string" },
      kind: { type: "string" },
      "dry-run": { type: "boolean" },
      ...WAIT,
    },
    positionals: 0,
    help: {
      vi: `npm run hub -- sync trigger --channel <id|tên> --kind <${SYNC_KINDS.join("|")}> [--dry-run] [--wait] [--json]
Xếp hàng một lượt đồng bộ của kênh (triggerSync). --dry-run ghi lại những gì sẽ gửi (mục PLANNED) mà không
gửi gì lên sàn. Với --wait: thanh tiến độ, rồi tổng kết theo trạng thái và các mục lỗi kèm mã, giải thích,
cách xử lý. Mã thoát 1 khi lượt chạy có mục lỗi.
  --channel <id|tên> id toàn cục, UUID hoặc tên kênh
  --kind <loại>      ${SYNC_KINDS.join(", ")}
  --dry-run          chạy thử (STOCK, PRICE, CONTENT, RECONCILE)
${WAIT_HELP.vi}`,
      en: `npm run hub -- sync trigger --channel <id|name> --kind <${SYNC_KINDS.join("|")}> [--dry-run] [--wait] [--json]
Queues a sync run of a channel (triggerSync). --dry-run records what would be sent (PLANNED items) and
sends nothing. With --wait: a progress bar, then counts by status and the failed items with code,
explanation and fix. Exit code 1 when the run has failed items.
  --channel <id|name> global id, UUID or channel name
  --kind <kind>      ${SYNC_KINDS.join(", ")}
  --dry-run          plan only (STOCK, PRICE, CONTENT, RECONCILE)
${WAIT_HELP.en}`,
    },
    async run(ctx, v) {
      if (typeof v.channel !== "string" || !v.channel) throw usage(t("missingOption", { name: "--channel" }));
      if (typeof v.kind !== "string") throw usage(t("missingOption", { name: "--kind" }));
      const kind = v.kind.toUpperCase();
      if (!(SYNC_KINDS as readonly string[]).includes(kind))
        throw usage(t("badOption", { name: "--kind", value: v.kind, allowed: SYNC_KINDS.join(", ") }));
      return syncTrigger(ctx, { channel: v.channel, kind, dryRun: v["dry-run"] === true, ...waitOptions(v) });
    },
  },
  "sync status": {
    options: { ...WAIT },
    positionals: 1,
    help: {
      vi: `npm run hub -- sync status <runId> [--wait] [--json]
Trạng thái một lượt đồng bộ; với --wait, chờ xong rồi tổng kết như sync trigger --wait.
${WAIT_HELP.vi}`,
      en: `npm run hub -- sync status <runId> [--wait] [--json]
A sync run's state; with --wait, waits for it and sums it up as sync trigger --wait does.
${WAIT_HELP.en}`,
    },
    async run(ctx, v, pos) {
      return syncStatus(ctx, { runId: pos[0], ...waitOptions(v) });
    },
  },
  "sync retry": {
    options: { items: { type: "string" }, ...WAIT },
    positionals: 1,
    help: {
      vi: `npm run hub -- sync retry <runId> [--items <id,…>] [--wait] [--json]
Thử lại các mục lỗi của một lượt (tất cả, hoặc các mục --items) thành một lượt RETRY mới (retrySyncItems).
  --items <id,…>     chỉ các mục này (số [item …] trong tổng kết)
${WAIT_HELP.vi}`,
      en: `npm run hub -- sync retry <runId> [--items <id,…>] [--wait] [--json]
Retries a run's failed items (all, or the --items given) as a new RETRY run (retrySyncItems).
  --items <id,…>     only these items (the [item …] numbers of the summary)
${WAIT_HELP.en}`,
    },
    async run(ctx, v, pos) {
      const itemIds =
        typeof v.items === "string"
          ? v.items
              .split(",")
              .map((x) => x.trim())
              .filter(Boolean)
          : null;
      return syncRetry(ctx, { runId: pos[0], itemIds, ...waitOptions(v) });
    },
  },
  "products import": {
    options: {
      "dry-run": { type: "boolean" },
      json: { type: "boolean" },
      "chunk-rows": { type: "string" },
      "max-items": { type: "string" },
    },
    positionals: 1,
    help: {
      vi: `npm run hub -- products import <tệp.csv> [--dry-run] [--json]
Nhập sản phẩm từ CSV (các cột của ocop-products.csv: id, name, producer, star, category, …) qua
importProducts, từng phần (thanh tiến độ theo dòng). Dòng hợp lệ được ghi, dòng lỗi được liệt kê với số
dòng trong tệp, cột và lý do; nhập lại cùng tệp không đổi gì. Mã thoát 1 khi có dòng lỗi.
  --dry-run          kiểm tra và đếm như khi nhập thật, rồi hoàn tác: không ghi gì
  --chunk-rows <n>   số dòng mỗi lần gửi (mặc định 500)
  --max-items <n>    số dòng lỗi liệt kê đầy đủ (mặc định 50)
  --json             tổng kết dạng JSON trên stdout (tiến độ sang stderr)`,
      en: `npm run hub -- products import <file.csv> [--dry-run] [--json]
Imports products from a CSV (the columns of ocop-products.csv: id, name, producer, star, category, …)
through importProducts, in chunks (a progress bar counts rows). Valid rows are written; failed rows are
listed with their file row, column and reason; re-importing the same file changes nothing. Exit code 1
when a row failed.
  --dry-run          check and count as a real import would, then roll back: nothing is written
  --chunk-rows <n>   rows per request (default 500)
  --max-items <n>    failed rows listed in full (default 50)
  --json             the summary as JSON on stdout (progress goes to stderr)`,
    },
    async run(ctx, v, pos) {
      return productsImport(ctx, {
        file: pos[0],
        dryRun: v["dry-run"] === true,
        chunkRows: int(v, "chunk-rows", 500, 1),
        chunkBytes: 512 * 1024,
        maxItems: int(v, "max-items", 50, 0),
      });
    },
  },
  "channels health": {
    options: { json: { type: "boolean" } },
    positionals: 0,
    help: {
      vi: `npm run hub -- channels health [--json]
Bảng các kênh: sàn, trạng thái, thời hạn token (đếm ngược), lần đồng bộ thành công gần nhất theo loại,
số mục lỗi trong 24 giờ qua. --json in ra JSON.`,
      en: `npm run hub -- channels health [--json]
Table of channels: marketplace, status, token expiry countdown, last success per sync kind, failed items
in the last 24 hours. --json prints JSON.`,
    },
    async run(ctx) {
      return channelsHealth(ctx);
    },
  },
};

function overview(l: CliLang): string {
  const lines = Object.values(COMMANDS).map(
    (c) => `  ${c.help[l].split("\n")[0].replace("npm run hub -- ", "")}`,
  );
  const head =
    l === "vi"
      ? "Công cụ dòng lệnh cho vận hành ocop-hub, qua API GraphQL của hub.\nLệnh:"
      : "Command line for ocop-hub operations, through the hub's GraphQL API.\nCommands:";
  const tail =
    l === "vi" ? "Chi tiết: npm run hub -- <lệnh> --help" : "Details: npm run hub -- <command> --help";
  return `${head}\n${lines.join("\n")}\n\n${GLOBAL_HELP[l]}\n${tail}`;
}

/** The first admin key `npm start` saved under HUB_DATA_DIR, for ops on the hub's own machine. */
function localAdminKey(env: NodeJS.ProcessEnv): string | null {
  try {
    return (
      readFileSync(path.join(env.HUB_DATA_DIR?.trim() || ".data", "admin-api-key"), "utf8").trim() || null
    );
  } catch {
    return null;
  }
}

export interface RunIo {
  out: CliContext["out"];
  err: CliContext["err"];
  env: NodeJS.ProcessEnv;
  now?: () => number;
}

export async function runCli(argv: string[], io: RunIo): Promise<number> {
  // The language is needed for usage errors too, so read --lang before anything else.
  const langFlag =
    argv.find((a, i) => argv[i - 1] === "--lang") ?? argv.find((a) => a.startsWith("--lang="))?.slice(7);
  const chosen = pickLang(langFlag, io.env);
  setLang(chosen ?? "vi");
  try {
    if (chosen === null)
      throw usage(t("badOption", { name: "--lang", value: String(langFlag), allowed: "vi, en" }));
    const words = argv.slice(0, 2).filter((w) => !w.startsWith("-"));
    const name = words.join(" ");
    const command = COMMANDS[name];
    if (!command) {
      const group = words[0] ?? "";
      const knownGroup = group === "" || Object.keys(COMMANDS).some((k) => k.startsWith(`${group} `));
      const wantsHelp =
        argv.length === 0 || argv.includes("--help") || argv.includes("-h") || group === "help";
      if (wantsHelp && words.length <= 1 && (knownGroup || group === "help")) {
        io.out.write(`${overview(lang())}\n`);
        return 0;
      }
      throw usage(`${t("unknownCommand", { cmd: name || argv[0] || "" })}\n${overview(lang())}`);
    }
    let parsed;
    try {
      parsed = parseArgs({
        args: argv.slice(words.length),
        options: { ...GLOBAL, ...command.options },
        allowPositionals: true,
        strict: true,
      });
    } catch (e) {
      throw usage(`${(e as Error).message}\n${t("seeHelp", { cmd: name })}`);
    }
    const values = parsed.values as Values;
    if (values.help) {
      io.out.write(`${command.help[lang()]}\n\n${GLOBAL_HELP[lang()]}\n`);
      return 0;
    }
    if (parsed.positionals.length !== command.positionals) {
      throw usage(`${command.help[lang()].split("\n")[0]}\n${t("seeHelp", { cmd: name })}`);
    }
    const base =
      (typeof values.url === "string" && values.url) ||
      io.env.HUB_URL ||
      `http://127.0.0.1:${io.env.PORT || DEFAULT_PORT}`;
    let url: string;
    try {
      url = graphqlUrl(base);
    } catch {
      throw usage(t("badOption", { name: "--url / HUB_URL", value: base }));
    }
    const apiKey =
      (typeof values["api-key"] === "string" && values["api-key"]) ||
      io.env.HUB_API_KEY ||
      localAdminKey(io.env);
    const client = new HubClient({
      url,
      apiKey,
      lang: lang(),
      onThrottle: (seconds) => io.err.write(`${t("throttled", { seconds })}\n`),
    });
    const json = values.json === true;
    const ctx: CliContext = {
      client,
      out: json ? io.err : io.out,
      stdout: io.out,
      json,
      err: io.err,
      now: io.now ?? Date.now,
    };
    return await command.run(ctx, values, parsed.positionals);
  } catch (e) {
    if (e instanceof CliFailure) {
      io.err.write(`${e.message}\n`);
      return e.exitCode;
    }
    io.err.write(`${(e as Error).stack ?? String(e)}\n`);
    return EXIT_USAGE;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2), { out: process.stdout, err: process.stderr, env: process.env }).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = EXIT_USAGE;
    },
  );
}
