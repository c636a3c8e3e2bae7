import type { Page } from "../../src/channels/connectors/connector";
import {
  paginate,
  paginatePages,
  PaginationLimitError,
  PaginationLoopError,
} from "../../src/channels/connectors/http/paginate";

function pages(map: Record<string, Page<number>>) {
  const calls: Array<string | null> = [];
  const fetch = async (cursor: string | null) => {
    calls.push(cursor);
    return map[cursor ?? "START"];
  };
  return { fetch, calls };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("paginate", () => {
  it("yields every item and stops at a null cursor", async () => {
    const { fetch, calls } = pages({
      START: { items: [1, 2], nextCursor: "a" },
      a: { items: [3], nextCursor: "b" },
      b: { items: [], nextCursor: null },
    });
    expect(await collect(paginate(fetch))).toEqual([1, 2, 3]);
    expect(calls).toEqual([null, "a", "b"]);
  });

  it("throws a clear error when a cursor repeats, before refetching a page", async () => {
    const { fetch, calls } = pages({
      START: { items: [1], nextCursor: "a" },
      a: { items: [2], nextCursor: "b" },
      b: { items: [3], nextCursor: "a" },
    });
    const got: number[] = [];
    const run = async () => {
      for await (const x of paginate(fetch)) got.push(x);
    };
    await expect(run()).rejects.toThrow(PaginationLoopError);
    await expect(run()).rejects.toThrow(/cursor "a" came back on page 3/);
    expect(got.slice(0, 3)).toEqual([1, 2, 3]);
    expect(calls.slice(0, 3)).toEqual([null, "a", "b"]);
  });

  it("detects a page that points at itself", async () => {
    const { fetch } = pages({ START: { items: [1], nextCursor: "x" }, x: { items: [2], nextCursor: "x" } });
    await expect(collect(paginate(fetch))).rejects.toBeInstanceOf(PaginationLoopError);
  });

  it("stops at maxPages", async () => {
    let n = 0;
    const endless = async () => ({ items: [n], nextCursor: `c${++n}` });
    await expect(collect(paginate(endless, { maxPages: 5 }))).rejects.toBeInstanceOf(PaginationLimitError);
    expect(n).toBe(5);
  });

  it("resumes from a saved cursor and reports each page's cursors", async () => {
    const { fetch, calls } = pages({
      START: { items: [1], nextCursor: "a" },
      a: { items: [2], nextCursor: "b" },
      b: { items: [3], nextCursor: null },
    });
    const steps = await collect(paginatePages(fetch, { startCursor: "a" }));
    expect(steps).toEqual([
      { cursor: "a", items: [2], nextCursor: "b" },
      { cursor: "b", items: [3], nextCursor: null },
    ]);
    expect(calls).toEqual(["a", "b"]);
  });
});
