/** The CLI's progress bar (pure rendering, no hub): redraws in place on a TTY, plain lines elsewhere. */
import { ProgressBar } from "../../src/cli/progress";
import { csvLine, splitCsv } from "../../src/cli/csv-chunks";

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, out: { isTTY, write: (s: string) => writes.push(s) } };
}

test("on a terminal the bar redraws one line in place and ends it once", () => {
  const { writes, out } = stream(true);
  const bar = new ProgressBar(out, "import", "rows", 10);
  bar.update(0, 200);
  bar.update(50, 200);
  bar.update(200, 200);
  bar.stop();
  bar.stop();
  expect(writes).toEqual([
    "\rimport [░░░░░░░░░░]   0% 0/200 rows\x1b[K",
    "\rimport [███░░░░░░░]  25% 50/200 rows\x1b[K",
    "\rimport [██████████] 100% 200/200 rows\x1b[K",
    "\n",
  ]);
});

test("without a terminal it writes a line per tenth of the total, and per change when the total is unknown", () => {
  const { writes, out } = stream(false);
  const bar = new ProgressBar(out, "STOCK", "items", 10);
  for (let i = 0; i <= 100; i += 5) bar.update(i, 100);
  expect(writes).toHaveLength(11);
  expect(writes[10]).toBe("STOCK [██████████] 100% 100/100 items\n");
  const unknown = stream(false);
  const run = new ProgressBar(unknown.out, "STOCK", "items", 4);
  for (const n of [0, 0, 3, 3, 7]) run.update(n, null, "(RUNNING)");
  expect(unknown.writes).toEqual([
    "STOCK [····] 0 items (RUNNING)\n",
    "STOCK [····] 3 items (RUNNING)\n",
    "STOCK [····] 7 items (RUNNING)\n",
  ]);
});

test("CSV chunks keep quoted line breaks, quotes and blank rows, and cut by rows and by bytes", () => {
  const text = '\ufeffid,name\r\n1,"a\r\nb"\r\n\r\n2,"say ""hi"""\r\n3, c\r\n';
  const split = splitCsv(text, 2, 1024);
  expect(split.rows).toBe(4);
  expect(split.chunks.map((c) => [c.offset, c.rows])).toEqual([
    [0, 2],
    [2, 2],
  ]);
  expect(split.chunks[0].text).toBe('id,name\r\n1,"a\r\nb"\r\n');
  expect(split.chunks[1].text).toBe('id,name\r\n2,"say ""hi"""\r\n3," c"');
  expect(csvLine(["x,y", "plain"])).toBe('"x,y",plain');
  const bySize = splitCsv(`id,name\n${"1,aaaaaaaaaa\n".repeat(10)}`, 100, 40);
  expect(bySize.chunks.map((c) => c.rows)).toEqual([2, 2, 2, 2, 2]);
});
