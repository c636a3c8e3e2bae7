/** The process's long-lived services, built once and shared by all requests. */
import type { DataSource } from "typeorm";
import type { HubConfig } from "../common/config";
import { Clock, systemClock } from "../common/time";
import { ApiKeyService } from "../auth/api-key.service";
import { SessionService } from "../auth/session.service";
import { AccountService } from "../auth/account.service";
import { AuditService } from "../audit/audit.service";
import { CatalogueService } from "../catalogue/catalogue.service";
import { CatalogueQuery } from "../catalogue/catalogue.query";
import crypto from "node:crypto";
import { SecretBox } from "../common/crypto";
import { Logger, logger } from "../common/logger";
import { SyncRuntime, createSyncRuntime } from "../sync/runtime";
import type { JobQueue } from "../sync/jobs";

export interface HubServices {
  config: Pick<HubConfig, "maxPageSize" | "mode">;
  clock: Clock;
  apiKeys: ApiKeyService;
  /** Logins, token refresh and revocation; access tokens to viewers. */
  sessions: SessionService;
  /** Users, memberships, key issuing. */
  accounts: AccountService;
  audit: AuditService;
  catalogue: CatalogueService;
  query: CatalogueQuery;
  /** Database, credentials box, connectors: what sync code needs to reach marketplaces. */
  sync: SyncRuntime;
  /** The durable job queue; null in a process that only serves reads (then writes that queue work fail). */
  queue: JobQueue | null;
}

export interface ServiceOptions {
  clock?: Clock;
  /** Encrypts marketplace credentials; a random in-memory key when omitted (tests). */
  box?: SecretBox;
  log?: Logger;
  queue?: JobQueue | null;
}

export function createServices(
  ds: DataSource,
  config: Pick<HubConfig, "maxPageSize" | "mode">,
  opts: ServiceOptions | Clock = {},
): HubServices {
  const o: ServiceOptions = "now" in opts ? { clock: opts as Clock } : (opts as ServiceOptions);
  const clock = o.clock ?? systemClock;
  const box = o.box ?? new SecretBox([crypto.randomBytes(32)]);
  const apiKeys = new ApiKeyService(ds);
  const sessions = new SessionService(ds, clock);
  return {
    config,
    clock,
    apiKeys,
    sessions,
    accounts: new AccountService(ds, sessions, apiKeys),
    audit: new AuditService(ds),
    catalogue: new CatalogueService(ds, clock),
    query: new CatalogueQuery(ds, clock),
    sync: createSyncRuntime({ ds, box, clock, log: o.log ?? logger }),
    queue: o.queue ?? null,
  };
}
