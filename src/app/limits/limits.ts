/**
 * Abuse limits of the GraphQL endpoint, in one place: the options and their defaults, the Apollo
 * plugin that prices each operation (reported in `extensions.cost`, like Shopify) and charges it to
 * the caller's budget, and the Fastify hooks that refuse oversized bodies and batches before any
 * GraphQL work. Depth and alias limits run as validation rules (see query-limits.ts).
 */
import type { FastifyError, FastifyInstance } from "fastify";
import { ApolloServerPlugin, HeaderMap } from "@apollo/server";
import { GraphQLError, GraphQLFormattedError, ValidationRule } from "graphql";
import type { HubContext } from "../context";
import { DEFAULT_RATE_LIMIT, RateLimitOptions, RateLimiter, ThrottleStatus } from "./rate-limiter";
import {
  BAD_REQUEST,
  LIMIT_CODES,
  aliasLimitRule,
  costError,
  depthLimitRule,
  pageSizeError,
  queryCost,
} from "./query-limits";

export interface LimitOptions {
  /** Deepest field nesting (default 12). */
  maxDepth: number;
  /** Aliased fields per document (default 30). */
  maxAliases: number;
  /** Largest requested cost of one operation, points (default 1000, as Shopify). */
  maxCost: number;
  /**
   * Parser token cap (default 2000): a huge document is refused while it is read, before graphql's
   * validation, whose overlapping-fields check grows with the square of repeated fields.
   */
  maxTokens: number;
  /** Per-caller cost budget; false turns it off (default: on, except in test mode). */
  rate: RateLimitOptions | false;
}

export const DEFAULT_LIMITS: Omit<LimitOptions, "rate"> = {
  maxDepth: 12,
  maxAliases: 30,
  maxCost: 1000,
  maxTokens: 2000,
};

/** Test mode has no rate limit unless asked for, so suites that fire many requests are not throttled. */
export function resolveLimits(mode: string, given: Partial<LimitOptions> = {}): LimitOptions {
  return { ...DEFAULT_LIMITS, rate: mode === "test" ? false : DEFAULT_RATE_LIMIT, ...given };
}

export function limitValidationRules(limits: LimitOptions): ValidationRule[] {
  return [depthLimitRule(limits.maxDepth), aliasLimitRule(limits.maxAliases)];
}

export interface CostExtension {
  requestedQueryCost: number;
  maximumQueryCost: number;
  throttleStatus?: ThrottleStatus;
}

/** Who a budget belongs to: the key or user behind the request, else its IP address. */
function budgetOwner(ctx: HubContext): string {
  return ctx.viewer ? ctx.viewer.actor : `ip:${ctx.ip ?? "unknown"}`;
}

export function throttledError(retryAfterMs: number, cost: CostExtension): GraphQLError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new GraphQLError(
    `Vượt hạn mức truy vấn; thử lại sau ${seconds} giây. / Query budget exceeded; retry in ${seconds} s.`,
    {
      extensions: {
        code: LIMIT_CODES.throttled,
        retryAfterSeconds: seconds,
        cost,
        http: { status: 429, headers: new HeaderMap([["retry-after", String(seconds)]]) },
      },
    },
  );
}

/** True when any string in `value` (at any depth) holds a NUL character. */
export function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (depth > 32 || value === null || typeof value !== "object") return false;
  for (const v of Array.isArray(value) ? value : Object.values(value))
    if (containsNul(v, depth + 1)) return true;
  return false;
}

/**
 * PostgreSQL text and jsonb cannot hold U+0000, so such input would fail deep in a service as an
 * internal error; it is refused here for every operation at once (found by the mutation fuzzer).
 */
export function nulError(): GraphQLError {
  return new GraphQLError(
    "Văn bản không được chứa ký tự NUL (\\u0000). / Text must not contain NUL characters (\\u0000).",
    { extensions: { code: "BAD_USER_INPUT", http: BAD_REQUEST } },
  );
}

export function limitsPlugin(limits: LimitOptions, maxPageSize: number): ApolloServerPlugin<HubContext> {
  const limiter = limits.rate ? new RateLimiter(limits.rate) : null;
  return {
    async requestDidStart() {
      let cost: CostExtension | null = null;
      return {
        async didResolveOperation(rc) {
          if (rc.source.includes("\u0000") || /\\u0000/i.test(rc.source) || containsNul(rc.request.variables))
            throw nulError();
          let requested: number;
          let pageSizeViolation: string | null = null;
          try {
            ({ cost: requested, pageSizeViolation } = queryCost(
              rc.schema,
              rc.document,
              rc.operationName ?? undefined,
              rc.request.variables,
              maxPageSize,
            ));
          } catch (err) {
            // Variables that do not coerce are reported by execution with their own BAD_USER_INPUT;
            // anything else here is the node cap of a fragment bomb.
            if (err instanceof GraphQLError && /^Variable "/.test(err.message)) requested = 1;
            else throw costError(limits.maxCost, null);
          }
          if (pageSizeViolation !== null) throw pageSizeError(pageSizeViolation, maxPageSize);
          if (requested > limits.maxCost) throw costError(limits.maxCost, requested);
          cost = { requestedQueryCost: requested, maximumQueryCost: limits.maxCost };
          if (!limiter) return;
          const taken = limiter.take(budgetOwner(rc.contextValue), Math.max(1, requested));
          cost.throttleStatus = taken.status;
          if (!taken.ok) throw throttledError(taken.retryAfterMs, cost);
        },
        async willSendResponse(rc) {
          if (cost && rc.response.body.kind === "single") {
            const result = rc.response.body.singleResult;
            result.extensions = { ...result.extensions, cost };
          }
        },
      };
    },
  };
}

/** JSON error body shaped like a GraphQL response, so GraphQL clients show the message. */
function httpError(message: string, code: string, extra: Record<string, unknown> = {}) {
  return { errors: [{ message, extensions: { code, ...extra } }] };
}

/**
 * Fastify-level limits: a body over `bodyLimit` is refused with 413 as soon as its Content-Length
 * is read (or once the streamed bytes pass it), and a JSON array (an Apollo batch) with 400 before
 * authentication or parsing. Other errors keep Fastify's default handling.
 */
export function installHttpLimits(app: FastifyInstance, bodyLimit: number, graphqlPath = "/graphql"): void {
  const mib = Math.round((bodyLimit / 1024 / 1024) * 100) / 100;
  const tooLarge = JSON.stringify(
    httpError(
      `Nội dung yêu cầu quá lớn (tối đa ${mib} MiB). / Request body too large (at most ${mib} MiB).`,
      LIMIT_CODES.body,
      { limitBytes: bodyLimit },
    ),
  );
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      return reply.code(413).type("application/json; charset=utf-8").send(tooLarge);
    }
    throw error;
  });
  // A client that sends `Expect: 100-continue` (curl does above 1 MiB) is refused before it sends
  // the body. Without it, the 413 above goes out as soon as Content-Length is read, and Fastify
  // then closes the connection, so an oversized body is never read.
  app.server.on("checkContinue", (req, res) => {
    if (Number(req.headers["content-length"]) > bodyLimit) {
      res.writeHead(413, {
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(tooLarge),
        connection: "close",
      });
      res.end(tooLarge);
      return;
    }
    res.writeContinue();
    app.server.emit("request", req, res);
  });
  app.addHook("preValidation", async (request, reply) => {
    if (Array.isArray(request.body) && request.url.split("?")[0] === graphqlPath) {
      return reply
        .code(400)
        .send(
          httpError(
            "Không hỗ trợ gộp nhiều thao tác trong một yêu cầu; hãy gửi từng thao tác. / " +
              "Batched operations are not supported; send one operation per request.",
            LIMIT_CODES.batch,
          ),
        );
    }
  });
}

const LIMIT_CODE_SET = new Set<string>(Object.values(LIMIT_CODES));
// graphql 16 words it "more that"; later versions may fix the typo.
const TOKEN_CAP = /^Syntax Error: Document contains more tha[nt] (\d+) tokens/;

/**
 * The client's view of a limit error (its code and figures, a bilingual message), or null for any
 * other error. Validation rules' errors arrive wrapped as GRAPHQL_VALIDATION_FAILED; their own code
 * is kept. The parser's token cap is reworded, since graphql-js words it as a syntax error.
 */
export function formatLimitError(
  formatted: GraphQLFormattedError,
  original: unknown,
): GraphQLFormattedError | null {
  const tokens = TOKEN_CAP.exec(formatted.message);
  if (tokens) {
    return {
      message: `Truy vấn quá dài (tối đa ${tokens[1]} token). / Query document too large (at most ${tokens[1]} tokens).`,
      extensions: { code: LIMIT_CODES.tokens, maxTokens: Number(tokens[1]) },
    };
  }
  if (!(original instanceof GraphQLError)) return null;
  const code = original.extensions?.code;
  if (typeof code !== "string" || !LIMIT_CODE_SET.has(code) || code === "BAD_USER_INPUT") return null;
  const { http: _http, ...extensions } = original.extensions;
  return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions };
}
