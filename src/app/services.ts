/** The process's long-lived services, built once and shared by all requests. */
import type { DataSource } from "typeorm";
import type { HubConfig } from "../common/config";
import { Clock, systemClock } from "../common/time";
import { ApiKeyService } from "../auth/api-key.service";
import { CatalogueService } from "../catalogue/catalogue.service";
import { CatalogueQuery } from "../catalogue/catalogue.query";

export interface HubServices {
  config: Pick<HubConfig, "maxPageSize" | "mode">;
  clock: Clock;
  apiKeys: ApiKeyService;
  catalogue: CatalogueService;
  query: CatalogueQuery;
}

export function createServices(
  ds: DataSource,
  config: Pick<HubConfig, "maxPageSize" | "mode">,
  clock: Clock = systemClock,
): HubServices {
  return {
    config,
    clock,
    apiKeys: new ApiKeyService(ds),
    catalogue: new CatalogueService(ds, clock),
    query: new CatalogueQuery(ds, clock),
  };
}
