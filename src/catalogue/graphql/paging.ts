/** Page-size and cursor handling shared by the list resolvers. */
import { GraphQLError } from "graphql";
import type { HubContext } from "../../app/context";
import {
  DEFAULT_PAGE_SIZE,
  PageArgs,
  PageWindow,
  decodeCursor,
  toConnection,
} from "../../common/graphql/relay";

export function pageWindow(ctx: HubContext, page: PageArgs): PageWindow {
  const offset = decodeCursor(page.after);
  if (offset === null) {
    throw new GraphQLError(
      ctx.locale === "en" ? "Invalid cursor in `after`." : "Con trỏ `after` không hợp lệ.",
      {
        extensions: { code: "BAD_USER_INPUT" },
      },
    );
  }
  const max = ctx.services.config.maxPageSize;
  const first = page.first ?? DEFAULT_PAGE_SIZE;
  if (first < 0 || first > max) {
    throw new GraphQLError(
      ctx.locale === "en" ? `\`first\` must be between 0 and ${max}.` : `\`first\` phải từ 0 đến ${max}.`,
      { extensions: { code: "BAD_USER_INPUT" } },
    );
  }
  return { offset, limit: first };
}

export function connectionOf<T>(
  rows: Array<T | null | Error>,
  win: PageWindow,
  count: () => Promise<number>,
) {
  const clean = rows.filter((r): r is T => r !== null && !(r instanceof Error));
  return toConnection(clean, win, count);
}
