/**
 * Static checks of a GraphQL document before anything runs: nesting depth, number of aliases, and
 * the query cost (Shopify-like points: an object field costs 1, a scalar 0, a connection 2 plus
 * `first` × the cost of one node), which is also where page sizes are capped for every connection in
 * the schema at once, so a new list resolver cannot forget it.
 */
import {
  ASTVisitor,
  DocumentNode,
  FragmentDefinitionNode,
  GraphQLError,
  GraphQLNamedType,
  GraphQLSchema,
  OperationDefinitionNode,
  SelectionSetNode,
  ValidationContext,
  getNamedType,
} from "graphql";
import { ComplexityEstimator, getComplexity } from "graphql-query-complexity";
import { DEFAULT_PAGE_SIZE } from "../../common/graphql/relay";

/** Error codes a client can act on; each has a bilingual message below. */
export const LIMIT_CODES = {
  depth: "QUERY_TOO_DEEP",
  aliases: "TOO_MANY_ALIASES",
  tokens: "QUERY_TOO_LARGE",
  cost: "QUERY_TOO_COMPLEX",
  pageSize: "BAD_USER_INPUT",
  throttled: "THROTTLED",
  batch: "BATCH_NOT_SUPPORTED",
  body: "PAYLOAD_TOO_LARGE",
} as const;

/** Errors thrown before execution would otherwise answer HTTP 500; these are the client's fault. */
export const BAD_REQUEST = { status: 400 };

export function depthError(max: number): GraphQLError {
  return new GraphQLError(
    `Truy vấn lồng quá sâu (tối đa ${max} cấp). / Query is nested too deeply (at most ${max} levels).`,
    { extensions: { code: LIMIT_CODES.depth, maxDepth: max } },
  );
}

export function aliasError(max: number, found: number): GraphQLError {
  return new GraphQLError(
    `Truy vấn dùng ${found} bí danh, tối đa ${max}. / Query uses ${found} aliases; at most ${max} are allowed.`,
    { extensions: { code: LIMIT_CODES.aliases, maxAliases: max } },
  );
}

export function costError(max: number, requested: number | null): GraphQLError {
  const what = requested === null ? "" : ` (${requested})`;
  return new GraphQLError(
    `Truy vấn quá tốn kém${what}, tối đa ${max} điểm; hãy giảm \`first\` hoặc bớt trường. / ` +
      `Query cost${what} exceeds the limit of ${max} points; lower \`first\` or select fewer fields.`,
    {
      extensions: { code: LIMIT_CODES.cost, maxCost: max, requestedQueryCost: requested, http: BAD_REQUEST },
    },
  );
}

export function pageSizeError(field: string, max: number): GraphQLError {
  return new GraphQLError(
    `\`first\` của \`${field}\` phải từ 0 đến ${max}. / \`first\` of \`${field}\` must be between 0 and ${max}.`,
    { extensions: { code: LIMIT_CODES.pageSize, field, http: BAD_REQUEST } },
  );
}

/** Deepest field nesting of each operation, following fragments; introspection fields do not count. */
export function depthLimitRule(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(op: OperationDefinitionNode) {
      if (selectionDepth(op.selectionSet, context, new Set(), maxDepth + 1) > maxDepth) {
        context.reportError(depthError(maxDepth));
      }
    },
  });
}

/** Walks no deeper than `stop`, so a hostile document costs at most the limit to measure. */
function selectionDepth(
  set: SelectionSetNode,
  context: ValidationContext,
  visiting: Set<string>,
  stop: number,
): number {
  if (stop <= 0) return 0;
  let deepest = 0;
  for (const sel of set.selections) {
    let d = 0;
    if (sel.kind === "Field") {
      if (sel.name.value.startsWith("__")) continue;
      d = sel.selectionSet ? 1 + selectionDepth(sel.selectionSet, context, visiting, stop - 1) : 1;
    } else if (sel.kind === "InlineFragment") {
      d = selectionDepth(sel.selectionSet, context, visiting, stop);
    } else {
      const name = sel.name.value;
      const frag: FragmentDefinitionNode | null | undefined = context.getFragment(name);
      // Fragment cycles are reported by graphql's own NoFragmentCyclesRule; here they just stop.
      if (!frag || visiting.has(name)) continue;
      visiting.add(name);
      d = selectionDepth(frag.selectionSet, context, visiting, stop);
      visiting.delete(name);
    }
    if (d > deepest) deepest = d;
    if (deepest >= stop) break;
  }
  return deepest;
}

/** Counts every aliased field in the document (fragments once each, where they are written). */
export function aliasLimitRule(maxAliases: number) {
  return (context: ValidationContext): ASTVisitor => {
    let found = 0;
    return {
      Field(node) {
        if (node.alias) found++;
      },
      Document: {
        leave() {
          if (found > maxAliases) context.reportError(aliasError(maxAliases, found));
        },
      },
    };
  };
}

export interface CostResult {
  cost: number;
  /** First connection asked for more rows than allowed, if any. */
  pageSizeViolation: string | null;
}

function isConnection(type: GraphQLNamedType): boolean {
  return type.name.endsWith("Connection");
}

/**
 * Requested cost of the operation. Throws the graphql-query-complexity error when the document
 * expands past its node limit (fragment bombs), or a variables error when they do not coerce.
 */
export function queryCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown> | undefined,
  maxPageSize: number,
): CostResult {
  let pageSizeViolation: string | null = null;
  const estimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
    const named = getNamedType(field.type);
    if (isConnection(named) && field.args.some((a) => a.name === "first")) {
      const first = typeof args.first === "number" ? args.first : DEFAULT_PAGE_SIZE;
      if ((first < 0 || first > maxPageSize) && pageSizeViolation === null) pageSizeViolation = field.name;
      return 2 + Math.max(0, Math.min(first, maxPageSize)) * childComplexity;
    }
    // Scalars and enums are free; each object (or list of objects) costs one point plus its fields.
    return "getFields" in named ? 1 + childComplexity : 0;
  };
  const cost = getComplexity({
    schema,
    query: document,
    operationName,
    variables: variables ?? {},
    estimators: [estimator],
    maxQueryNodes: 10_000,
  });
  return { cost, pageSizeViolation };
}
