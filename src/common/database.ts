/** Builds the hub's TypeORM DataSource; schema changes only ever come from migrations. */
import { DataSource } from "typeorm";
import { types } from "pg";
import { ENTITIES, MIGRATIONS } from "../app/entities";
import { SnakeNamingStrategy } from "./snake-naming.strategy";

// Calendar dates stay "YYYY-MM-DD" strings (the pg default turns them into local-midnight Dates).
types.setTypeParser(types.builtins.DATE, (v: string) => v);

export interface DataSourceOptions {
  url: string;
  poolSize?: number;
  applicationName?: string;
  /** Called with each SQL statement; tests count statements with it. */
  onQuery?: (sql: string) => void;
}

export function createDataSource(opts: DataSourceOptions): DataSource {
  return new DataSource({
    type: "postgres",
    url: opts.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: "typeorm_migrations",
    migrationsTransactionMode: "each",
    namingStrategy: new SnakeNamingStrategy(),
    uuidExtension: "pgcrypto",
    synchronize: false,
    logging: opts.onQuery ? ["query"] : false,
    logger: opts.onQuery
      ? {
          logQuery: (q: string) => opts.onQuery!(q),
          logQueryError: () => undefined,
          logQuerySlow: () => undefined,
          logSchemaBuild: () => undefined,
          logMigration: () => undefined,
          log: () => undefined,
        }
      : undefined,
    extra: {
      max: opts.poolSize ?? 10,
      application_name: opts.applicationName ?? "ocop-hub",
    },
  });
}
