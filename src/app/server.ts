/**
 * The HTTP edge: Fastify + Apollo Server. `/graphql` (API key auth, locale, request id, masked
 * errors), `/healthz` (process), `/readyz` (database and queue), `/metrics` (Prometheus; see
 * src/observability/http.ts). Other modules add routes (webhooks, …)
 * through `routes`.
 */
import crypto from "node:crypto";
import Fastify, { FastifyInstance } from "fastify";
import { ApolloServer, ApolloServerPlugin } from "@apollo/server";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from "@apollo/server/plugin/disabled";
import fastifyApollo, { fastifyApolloDrainPlugin } from "@as-integrations/fastify";
import { GraphQLError, GraphQLFormattedError } from "graphql";
import type { DataSource } from "typeorm";
import { AuthenticationError, AuthorizationError } from "type-graphql";
import { buildHubSchema } from "./schema";
import { authenticateBearer } from "../auth/authenticate";
import { auditPlugin } from "../audit/audit.plugin";
import type { HubContext } from "./context";
import type { HubServices } from "./services";
import { createCatalogueLoaders } from "../catalogue/catalogue.loaders";
import { localeFrom } from "../common/i18n";
import { ForbiddenError, UserErrors, renderUserError } from "../common/errors";
import type { Logger } from "../common/logger";
import {
  LimitOptions,
  installHttpLimits,
  formatLimitError,
  limitValidationRules,
  limitsPlugin,
  resolveLimits,
} from "./limits/limits";
import { graphqlMetricsPlugin, installMetrics } from "../observability/http";

export interface ServerOptions {
  dataSource: DataSource;
  services: HubServices;
  logger: Logger;
  /** Largest request body accepted, bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Extra routes mounted by other modules (webhooks, metrics). */
  routes?: Array<(app: FastifyInstance) => void | Promise<void>>;
  /** Depth, alias, cost and rate limits; defaults in src/app/limits/limits.ts. */
  limits?: Partial<LimitOptions>;
}

const PASS_THROUGH_CODES = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_USER_INPUT",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_RESOLUTION_FAILURE",
  "BAD_REQUEST",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "THROTTLED",
  "QUERY_TOO_COMPLEX",
]);

/** Clients see what went wrong in their request, never a stack trace, SQL or internal message. */
export function maskError(
  formatted: GraphQLFormattedError,
  error: unknown,
  log: Logger,
): GraphQLFormattedError {
  const original = (error as GraphQLError)?.originalError ?? error;
  if (original instanceof AuthenticationError) {
    return {
      message: "Cần khóa API hợp lệ (Authorization: Bearer …). / A valid API key is required.",
      path: formatted.path,
      extensions: { code: "UNAUTHENTICATED" },
    };
  }
  if (original instanceof AuthorizationError || original instanceof ForbiddenError) {
    return {
      message: "Bạn không có quyền thực hiện thao tác này. / You are not allowed to do this.",
      path: formatted.path,
      extensions: { code: "FORBIDDEN" },
    };
  }
  if (original instanceof UserErrors) {
    // A query argument was refused (mutations return these as userErrors instead).
    const [vi, en] = [renderUserError(original.errors[0], "vi"), renderUserError(original.errors[0], "en")];
    return {
      message: `${vi.message} / ${en.message}`,
      path: formatted.path,
      extensions: { code: "BAD_USER_INPUT", field: vi.field, reason: vi.code },
    };
  }
  const limit = formatLimitError(formatted, original);
  if (limit) return limit;
  const code = formatted.extensions?.code as string | undefined;
  if (code && PASS_THROUGH_CODES.has(code)) {
    return {
      message: formatted.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code },
    };
  }
  log.error({ err: original, path: formatted.path }, "unexpected error in a GraphQL request");
  return {
    message: "Lỗi máy chủ; đã ghi nhận. / Internal server error; it has been logged.",
    path: formatted.path,
    extensions: { code: "INTERNAL_SERVER_ERROR" },
  };
}

export async function createServer(
  opts: ServerOptions,
): Promise<{ app: FastifyInstance; apollo: ApolloServer<HubContext> }> {
  const { dataSource, services, logger } = opts;
  const bodyLimit = opts.bodyLimit ?? 1024 * 1024;
  const app = Fastify({
    logger: false,
    bodyLimit,
    genReqId: (req) =>
      (req.headers["x-request-id"] as string | undefined)?.slice(0, 64) ?? crypto.randomUUID(),
    trustProxy: false,
  });
  const production = services.config.mode === "production";
  const limits = resolveLimits(services.config.mode, opts.limits);
  installHttpLimits(app, bodyLimit);
  // No HTTP cache hints are used; disabling the plugin also spares a wrapper around every field resolver.
  const plugins: ApolloServerPlugin<HubContext>[] = [
    fastifyApolloDrainPlugin(app),
    ApolloServerPluginCacheControlDisabled(),
    limitsPlugin(limits, services.config.maxPageSize),
    auditPlugin(logger),
    graphqlMetricsPlugin(),
  ];
  if (production) plugins.push(ApolloServerPluginLandingPageDisabled());
  const apollo = new ApolloServer<HubContext>({
    schema: buildHubSchema(),
    introspection: !production,
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => maskError(formatted, error, logger),
    plugins,
    validationRules: limitValidationRules(limits),
    parseOptions: { maxTokens: limits.maxTokens },
    // CSRF prevention stays on (Apollo's default): simple cross-site requests are refused.
    csrfPrevention: true,
  });
  await apollo.start();

  installMetrics(app, { dataSource });
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_req, reply) => {
    try {
      await dataSource.query("SELECT 1");
    } catch {
      return reply.code(503).send({ status: "unavailable", reason: "database" });
    }
    // The queue's own connection pool (pg-boss), when this process has a queue.
    const boss = (services.queue as { boss?: { getDb(): { executeSql(sql: string): Promise<unknown> } } })
      ?.boss;
    if (boss) {
      try {
        await boss.getDb().executeSql("SELECT 1 FROM pgboss.version");
      } catch {
        return reply.code(503).send({ status: "unavailable", reason: "queue" });
      }
    }
    return { status: "ready" };
  });
  for (const add of opts.routes ?? []) await add(app);

  await app.register(fastifyApollo(apollo), {
    path: "/graphql",
    context: async (request): Promise<HubContext> => {
      const header = request.headers.authorization;
      const token = header?.startsWith("Bearer ") ? header.slice(7).trim() : null;
      const viewer = token ? await authenticateBearer(services, token) : null;
      if (token && !viewer) {
        throw new GraphQLError("Khóa API không hợp lệ hoặc đã bị thu hồi. / Invalid or revoked API key.", {
          extensions: { code: "UNAUTHENTICATED", http: { status: 401 } },
        });
      }
      return {
        requestId: String(request.id),
        viewer,
        locale: localeFrom(request.headers["accept-language"]),
        dataSource,
        clock: services.clock,
        loaders: createCatalogueLoaders(dataSource),
        services,
        ip: request.ip ?? null,
      };
    },
  });
  return { app, apollo };
}
