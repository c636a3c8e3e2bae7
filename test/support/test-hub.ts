/** A real hub for e2e tests: fresh database, HTTP server on a free port, an admin key, a GraphQL client. */
import { createTestDatabase, TestDatabase } from "./test-db";
import { createServices, HubServices } from "../../src/app/services";
import { createServer } from "../../src/app/server";
import { ApiKeyRole } from "../../src/auth/api-key.entity";
import { createLogger } from "../../src/common/logger";
import { Clock, systemClock } from "../../src/common/time";

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
  close(): Promise<void>;
}

export async function startTestHub(
  opts: { clock?: Clock; onQuery?: (sql: string) => void } = {},
): Promise<TestHub> {
  const db = await createTestDatabase({ onQuery: opts.onQuery });
  const logger = createLogger(process.env.TEST_HUB_LOG ?? "silent");
  const services = createServices(
    db.dataSource,
    { maxPageSize: 100, mode: "test" },
    opts.clock ?? systemClock,
  );
  const { app } = await createServer({ dataSource: db.dataSource, services, logger });
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
