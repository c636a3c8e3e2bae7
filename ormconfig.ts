/**
 * The DataSource for the TypeORM CLI (`typeorm migration:run -d dist/ormconfig.js`).
 * It needs DATABASE_URL; the app itself builds the same DataSource through src/common/database.
 */
import "reflect-metadata";
import { createDataSource } from "./src/common/database";

export default createDataSource({
  url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres",
});
