/** Per-request context: the caller, their language, the DataSource, request-scoped DataLoaders. */
import type { DataSource } from "typeorm";
import type { Viewer } from "../auth/viewer";
import type { Locale } from "../common/i18n";
import type { Clock } from "../common/time";
import type { CatalogueLoaders } from "../catalogue/catalogue.loaders";
import type { HubServices } from "./services";

export interface HubContext {
  requestId: string;
  viewer: Viewer | null;
  locale: Locale;
  dataSource: DataSource;
  clock: Clock;
  loaders: CatalogueLoaders;
  services: HubServices;
  ip: string | null;
}
