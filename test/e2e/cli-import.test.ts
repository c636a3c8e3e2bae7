/**
 * `products import` as a child process against a real hub: a dry run that writes nothing, a real
 * import with a bad row reported by its file row and column, an idempotent re-import, and a file
 * sent in chunks whose row numbers still point at the right lines.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startTestHub, TestHub } from "../support/test-hub";
import { runCli } from "./cli-harness";

let hub: TestHub;
let env: Record<string, string>;
let dir: string;
const tag = crypto.randomBytes(3).toString("hex").toUpperCase();
const HEADER = "id,name,producer,producer_type,star,category,ref_price_vnd,ref_unit,notes";

beforeAll(async () => {
  hub = await startTestHub();
  env = { HUB_URL: hub.url, HUB_API_KEY: hub.adminKey, HUB_LANG: "en" };
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "cli-import-"));
}, 60_000);

afterAll(async () => {
  await hub?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, lines: string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${lines.join("\r\n")}\r\n`);
  return file;
}

const row = (id: string, name: string, star = "4") =>
  `${id},${name},HTX Chè ${tag},COOPERATIVE,${star},Thực phẩm,120000,gói 200g,`;

async function countProducts(prefix: string): Promise<number> {
  const [{ n }] = await hub.db.dataSource.query(
    `SELECT count(*)::int AS n FROM product WHERE ref_code LIKE $1`,
    [`${prefix}%`],
  );
  return n;
}

test("--dry-run checks and counts every row, reports the bad one, and writes nothing", async () => {
  const file = write("small.csv", [
    HEADER,
    row(`${tag}-A`, "Chè búp Tân Cương"),
    `${tag}-B,"Trà ""đinh"" hộp",HTX Chè ${tag},COOPERATIVE,3,Thực phẩm,90000,hộp 100g,"hái tay,\r\nsao chảo gang"`,
    row(`${tag}-C`, "Chè móc câu", "7"),
    row(`${tag}-D`, "Chè nõn tôm"),
  ]);
  const r = await runCli(["products", "import", file, "--dry-run"], env);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(1);
  expect(r.stdout).toContain(
    `[DRY RUN, nothing written] Imported 4 rows from ${file}: 3 created, 0 updated, 0 unchanged, 1 failed`,
  );
  expect(r.stdout).toContain("Rows with errors (1):");
  expect(r.stdout).toContain(`✗ row 4 (id ${tag}-C) star: "star" must be between 3 and 5. [OUT_OF_RANGE]`);
  expect(await countProducts(tag)).toBe(0);

  const json = await runCli(["products", "import", file, "--dry-run", "--json"], env);
  expect(json.code).toBe(1);
  expect(json.stderr).toMatch(/^small\.csv \[█+\] 100% 4\/4 rows$/m);
  expect(JSON.parse(json.stdout)).toMatchObject({
    dryRun: true,
    rows: 4,
    created: 3,
    failed: 1,
    failedRows: [{ row: 4, refCode: `${tag}-C`, errors: [{ field: "star", code: "OUT_OF_RANGE" }] }],
  });
  expect(await countProducts(tag)).toBe(0);
});

test("a real import writes the valid rows, the bad row is reported, and re-importing changes nothing", async () => {
  const file = path.join(dir, "small.csv");
  const r = await runCli(["products", "import", file], env);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/^small\.csv \[█+\] 100% 4\/4 rows$/m);
  expect(r.stdout).toContain(`Imported 4 rows from ${file}: 3 created, 0 updated, 0 unchanged, 1 failed`);
  expect(r.stdout).toContain(`✗ row 4 (id ${tag}-C) star:`);
  expect(await countProducts(tag)).toBe(3);
  const [b] = await hub.db.dataSource.query(`SELECT name FROM product WHERE ref_code = $1`, [`${tag}-B`]);
  expect(b.name).toBe('Trà "đinh" hộp');

  const again = await runCli(["products", "import", file, "--lang", "vi"], env);
  expect(again.code).toBe(1);
  expect(again.stdout).toContain(`Nhập 4 dòng từ ${file}: 0 tạo mới, 0 cập nhật, 3 không đổi, 1 lỗi`);
  expect(again.stdout).toContain(`✗ dòng 4 (id ${tag}-C) star: "star" phải nằm trong khoảng 3 đến 5.`);
});

test("a large file goes in chunks with a progress bar, and failed rows keep their file row numbers", async () => {
  const lines = [HEADER];
  for (let i = 1; i <= 1200; i++) {
    const id = `${tag}-L${String(i).padStart(4, "0")}`;
    // File rows: the header is row 1, so item i is row i + 1 (plus one after the blank line).
    if (i === 600) lines.push("");
    lines.push(i === 1 || i === 700 || i === 1200 ? row(id, "", "4") : row(id, `Chè số ${i}`));
  }
  const file = write("large.csv", lines);
  const r = await runCli(["products", "import", file, "--chunk-rows", "250"], env);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(1);
  const progress = r.stdout.split("\n").filter((l) => l.startsWith("large.csv ["));
  // Without a TTY: one line at the start and one per chunk (each chunk is more than a tenth).
  expect(progress.map((l) => /(\d+)\/1201 rows/.exec(l)?.[1])).toEqual([
    "0",
    "250",
    "500",
    "750",
    "1000",
    "1201",
  ]);
  expect(r.stdout).toContain(
    `Imported 1200 rows from ${file}: 1197 created, 0 updated, 0 unchanged, 3 failed`,
  );
  for (const fileRow of [2, 702, 1202])
    expect(r.stdout).toContain(
      `✗ row ${fileRow} (id ${tag}-L${String(fileRow <= 600 ? fileRow - 1 : fileRow - 2).padStart(4, "0")}) name:`,
    );
  expect(await countProducts(`${tag}-L`)).toBe(1197);
});

test("file-level problems: an unreadable path exits 2, missing columns are the hub's userErrors (exit 1)", async () => {
  const missing = await runCli(["products", "import", path.join(dir, "nope.csv")], env);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain("Cannot read");
  const file = write("columns.csv", ["id,name", `${tag}-X,Chè`]);
  const r = await runCli(["products", "import", file], env);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("The hub refused the request:");
  expect(r.stderr).toContain("[CSV_MISSING_COLUMNS]");
  expect(r.stderr).toMatch(/producer, star, category/);
});

test("a throttled request waits the time the hub asks for and goes on", async () => {
  // A budget of one import request (4 points) restored at 2 points a second: a chunk sent less
  // than 2 s after the one before is refused with THROTTLED first.
  const slow = await startTestHub({ limits: { rate: { capacity: 4, restorePerSecond: 2 } } });
  try {
    const lines = [HEADER];
    for (let i = 1; i <= 3; i++) lines.push(row(`${tag}-T${i}`, `Chè chậm ${i}`));
    const file = write("throttled.csv", lines);
    const r = await runCli(["products", "import", file, "--chunk-rows", "1"], {
      ...env,
      HUB_URL: slow.url,
      HUB_API_KEY: slow.adminKey,
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^The hub is throttling queries; retrying in \d s…$/m);
    expect(r.stdout).toContain(`Imported 3 rows from ${file}: 3 created, 0 updated, 0 unchanged, 0 failed`);
  } finally {
    await slow.close();
  }
});
