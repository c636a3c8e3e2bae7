/**
 * Look-ahead into a query's selection: lets a list resolver fetch in its first statement what the
 * nested fields will need (fragments and inline fragments included).
 */
import type { FieldNode, GraphQLResolveInfo, SelectionSetNode } from "graphql";

function childFields(set: SelectionSetNode | undefined, info: GraphQLResolveInfo, out: FieldNode[]): void {
  if (!set) return;
  for (const s of set.selections) {
    if (s.kind === "Field") out.push(s);
    else if (s.kind === "InlineFragment") childFields(s.selectionSet, info, out);
    else childFields(info.fragments[s.name.value]?.selectionSet, info, out);
  }
}

/** Fields selected under `info`'s field at `path` (e.g. ["nodes"] or ["edges", "node"]). */
function fieldsAt(info: GraphQLResolveInfo, path: string[]): FieldNode[] {
  let level: FieldNode[] = [];
  for (const f of info.fieldNodes) childFields(f.selectionSet, info, level);
  for (const name of path) {
    const next: FieldNode[] = [];
    for (const f of level) if (f.name.value === name) childFields(f.selectionSet, info, next);
    level = next;
  }
  return level;
}

/** True when a connection's nodes (via `nodes` or `edges.node`) select any of `names`. */
export function nodesSelectAny(info: GraphQLResolveInfo, names: string[]): boolean {
  const wanted = new Set(names);
  return [...fieldsAt(info, ["nodes"]), ...fieldsAt(info, ["edges", "node"])].some((f) =>
    wanted.has(f.name.value),
  );
}

/** True when the field itself selects `name` directly (e.g. a connection's totalCount). */
export function selects(info: GraphQLResolveInfo, name: string): boolean {
  return fieldsAt(info, []).some((f) => f.name.value === name);
}
