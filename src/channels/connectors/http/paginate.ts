/**
 * Walks a cursor-paginated endpoint to its end. A marketplace that hands back a cursor it has
 * already given would make a naive loop spin forever; like Meltano's paginator we remember every
 * cursor seen and stop with a clear error instead.
 */
import type { Page } from "../connector";

export class PaginationLoopError extends Error {
  constructor(
    public readonly cursor: string,
    public readonly page: number,
  ) {
    super(
      `pagination loop: cursor "${cursor}" came back on page ${page}; stopping instead of repeating pages`,
    );
    this.name = "PaginationLoopError";
  }
}

export class PaginationLimitError extends Error {
  constructor(public readonly maxPages: number) {
    super(
      `pagination stopped after ${maxPages} pages (maxPages) while the marketplace still returned a cursor`,
    );
    this.name = "PaginationLimitError";
  }
}

export interface PaginateOptions {
  /** Safety stop (default 10_000 pages). */
  maxPages?: number;
  /** Cursor to resume from (default null: first page). */
  startCursor?: string | null;
}

export interface PageStep<T> {
  /** Cursor this page was fetched with (null = first page). */
  cursor: string | null;
  items: T[];
  /** Cursor of the next page; null on the last one. Save it to resume after a crash. */
  nextCursor: string | null;
}

/** Yields whole pages with their cursors, for callers that checkpoint between pages. */
export async function* paginatePages<T>(
  fetchPage: (cursor: string | null) => Promise<Page<T>>,
  opts: PaginateOptions = {},
): AsyncGenerator<PageStep<T>, void, undefined> {
  const maxPages = opts.maxPages ?? 10_000;
  const seen = new Set<string>();
  let cursor: string | null = opts.startCursor ?? null;
  if (cursor !== null) seen.add(cursor);
  for (let page = 1; ; page++) {
    if (page > maxPages) throw new PaginationLimitError(maxPages);
    const result = await fetchPage(cursor);
    const next = result.nextCursor ?? null;
    yield { cursor, items: result.items, nextCursor: next };
    if (next === null) return;
    if (seen.has(next)) throw new PaginationLoopError(next, page);
    seen.add(next);
    cursor = next;
  }
}

/** Yields each item of every page in order. */
export async function* paginate<T>(
  fetchPage: (cursor: string | null) => Promise<Page<T>>,
  opts: PaginateOptions = {},
): AsyncGenerator<T, void, undefined> {
  for await (const page of paginatePages(fetchPage, opts)) yield* page.items;
}
