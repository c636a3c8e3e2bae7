/** A real hub for e2e tests: fresh database, HTTP server on a free port, an admin key, a GraphQL client. */
import { createTestDatabase, TestDatabase } from "./test-db";
import { createServices, HubServices } from "../../src/app/services";
import { createServer } from "../../src/app/server";
import { ApiKeyRole } from "../../src/auth/api-key.entity";
import { createLogger } from "../../src/common/logger";
import { Clock, systemClock } from "../../src/common/time";
import type { FastifyInstance } from "fastify";
import type { LimitOptions } from "../../src/app/limits/limits";
import type { HubConfig } from "../../src/common/config";

export interface GqlResult<T = any> {
  status: number;
  data?: T;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
  extensions?: Record<string, unknown>;
}

export interface TestHub {
  db: TestDatabase;
  url: string;
  services: HubServices;
  adminKey: string;
  gql<T = any>(
    query: string,
    variables?: Record<string, unknown>,
    opts?: { key?: string | null; lang?: string },
  ): Promise<GqlResult<T>>;
  issueKey(role: ApiKeyRole, producerId?: string | null): Promise<string>;
  /** With `capture: true`: every log line the hub wrote and every response body it sent, in order. */
  captured: { logs: string[]; responses: string[] };
  close(): Promise<void>;
}

export interface TestHubOptions {
  clock?: Clock;
  onQuery?: (sql: string) => void;
  /** Server mode (default "test": no rate limit; "production" turns introspection off). */
  mode?: HubConfig["mode"];
  limits?: Partial<LimitOptions>;
  /** Keep log lines (at `logLevel`, default debug) and response bodies in `captured`. */
  capture?: boolean;
  logLevel?: string;
  /** More routes to mount, built from the hub's services (e.g. webhook routes with a test queue). */
  routes?: (services: HubServices) => Array<(app: FastifyInstance) => void | Promise<void>>;
}

export async function startTestHub(opts: TestHubOptions = {}): Promise<TestHub> {
  const db = await createTestDatabase({ onQuery: opts.onQuery });
  const captured: TestHub["captured"] = { logs: [], responses: [] };
  const logger = opts.capture
    ? createLogger(opts.logLevel ?? "debug", { write: (line: string) => void captured.logs.push(line) })
    : createLogger(process.env.TEST_HUB_LOG ?? "silent");
  const services = createServices(
    db.dataSource,
    { maxPageSize: 100, mode: opts.mode ?? "test" },
    opts.capture ? { clock: opts.clock ?? systemClock, log: logger } : (opts.clock ?? systemClock),
  );
  const routes = opts.capture
    ? [
        (app: FastifyInstance) => {
          app.addHook("onSend", async (_req, _reply, payload) => {
            if (typeof payload === "string" || Buffer.isBuffer(payload))
              captured.responses.push(String(payload));
            return payload;
          });
        },
      ]
    : [];
  routes.push(...(opts.routes?.(services) ?? []));
  const { app } = await createServer({
    dataSource: db.dataSource,
    services,
    logger,
    limits: opts.limits,
    routes,
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}/graphql`;
  const adminKey = (await services.apiKeys.issue({ name: "test admin", role: ApiKeyRole.ADMIN })).key;
  const hub: TestHub = {
    db,
    url,
    services,
    adminKey,
    captured,
    async gql(query, variables, o = {}) {
      const key = o.key === undefined ? adminKey : o.key;
      const res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(o.lang ? { "accept-language": o.lang } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as GqlResult;
      return { ...body, status: res.status };
    },
    async issueKey(role, producerId) {
      return (await services.apiKeys.issue({ name: `test ${role}`, role, producerId })).key;
    },
    async close() {
      await app.close();
      await db.drop();
    },
  };
  return hub;
}
