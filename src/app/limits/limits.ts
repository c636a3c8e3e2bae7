/**
 * Abuse limits of the GraphQL endpoint, in one place: the options and their defaults, the Apollo
 * plugin that prices each operation (reported in `extensions.cost`, like Shopify) and charges it to
 * the caller's budget, and the Fastify hooks that refuse oversized bodies and batches before any
 * GraphQL work. Depth and alias limits run as validation rules (see query-limits.ts).
 */
import type { FastifyError, FastifyInstance } from "fastify";
import { ApolloServerPlugin, HeaderMap } from "@apollo/server";
import { GraphQLError, ValidationRule } from "graphql";
import type { HubContext } from "../context";
import { DEFAULT_RATE_LIMIT, RateLimitOptions, RateLimiter, ThrottleStatus } from "./rate-limiter";
import {
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
  /** Parser token cap, so a huge document is refused while it is read (default 5000). */
  maxTokens: number;
  /** Per-caller cost budget; false turns it off (default: on, except in test mode). */
  rate: RateLimitOptions | false;
}

export const DEFAULT_LIMITS: Omit<LimitOptions, "rate"> = {
  maxDepth: 12,
  maxAliases: 30,
  maxCost: 1000,
  maxTokens: 5000,
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

export function limitsPlugin(limits: LimitOptions, maxPageSize: number): ApolloServerPlugin<HubContext> {
  const limiter = limits.rate ? new RateLimiter(limits.rate) : null;
  return {
    async requestDidStart() {
      let cost: CostExtension | null = null;
      return {
        async didResolveOperation(rc) {
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
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      const mib = Math.round((bodyLimit / 1024 / 1024) * 100) / 100;
      return reply
        .code(413)
        .header("connection", "close")
        .send(
          httpError(
            `Nội dung yêu cầu quá lớn (tối đa ${mib} MiB). / Request body too large (at most ${mib} MiB).`,
            LIMIT_CODES.body,
            { limitBytes: bodyLimit },
          ),
        );
    }
    throw error;
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

/**
 * What a client may see of a limit error (its code and figures), or null for any other error.
 * Validation rules' errors arrive wrapped as GRAPHQL_VALIDATION_FAILED; their own code is kept.
 */
export function limitErrorExtensions(original: unknown): Record<string, unknown> | null {
  if (!(original instanceof GraphQLError)) return null;
  const code = original.extensions?.code;
  if (typeof code !== "string" || !LIMIT_CODE_SET.has(code) || code === "BAD_USER_INPUT") return null;
  const { http: _http, ...rest } = original.extensions;
  return rest;
}
