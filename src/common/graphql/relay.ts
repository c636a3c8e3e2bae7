/**
 * Relay connections (first/after, pageInfo, totalCount) on every list. Cursors are opaque offsets;
 * totalCount is computed only when a client asks for it.
 */
import { ArgsType, ClassType, Field, Int, ObjectType } from "type-graphql";
import { Max, Min } from "class-validator";

export const DEFAULT_PAGE_SIZE = 20;

@ObjectType({ description: "Relay page information.", simpleResolvers: true })
export class PageInfo {
  @Field() hasNextPage!: boolean;
  @Field() hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true }) startCursor!: string | null;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: "Page size (default 20, at most the server's cap, 100)." })
  @Min(0)
  @Max(1000)
  first?: number;

  @Field(() => String, { nullable: true, description: "Cursor of the last item of the previous page." })
  after?: string;
}

export function encodeCursor(offset: number): string {
  return Buffer.from(`o:${offset}`).toString("base64url");
}

/** Offset after a cursor; null for a malformed cursor. */
export function decodeCursor(cursor: string | undefined | null): number | null {
  if (cursor === undefined || cursor === null || cursor === "") return 0;
  const m = /^o:(\d{1,9})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  return m ? Number(m[1]) + 1 : null;
}

export interface PageWindow {
  offset: number;
  limit: number;
}

export interface ConnectionShape<T> {
  edges: Array<{ cursor: string; node: T }>;
  nodes: T[];
  pageInfo: PageInfo;
  totalCount: Promise<number> | number;
}

/** Builds a connection from `limit + 1` fetched rows (the extra row tells whether a next page exists). */
export function toConnection<T>(
  rows: T[],
  win: PageWindow,
  count: () => Promise<number>,
): ConnectionShape<T> {
  const hasNextPage = rows.length > win.limit;
  const nodes = hasNextPage ? rows.slice(0, win.limit) : rows;
  const edges = nodes.map((node, i) => ({ cursor: encodeCursor(win.offset + i), node }));
  let memo: Promise<number> | null = null;
  return {
    edges,
    nodes,
    pageInfo: {
      hasNextPage,
      hasPreviousPage: win.offset > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    get totalCount() {
      memo ??= count();
      return memo;
    },
  };
}

/** Generic connection type for node class `T`: `XConnection { edges { cursor node } nodes pageInfo totalCount }`. */
export function Connection<T extends object>(nodeClass: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`, { simpleResolvers: true })
  class Edge {
    @Field() cursor!: string;
    @Field(() => nodeClass) node!: T;
  }

  @ObjectType({ simpleResolvers: true })
  abstract class ConnectionClass {
    @Field(() => [Edge]) edges!: Edge[];
    @Field(() => [nodeClass], { description: "The nodes of this page, without cursors." }) nodes!: T[];
    @Field(() => PageInfo) pageInfo!: PageInfo;
    @Field(() => Int, { description: "Matching items across all pages." }) totalCount!: number;
  }
  return ConnectionClass;
}
