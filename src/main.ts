/**
 * The one entry point. `npm start` runs every role in one process (API, worker, marketplace
 * sandboxes) on an embedded PostgreSQL when DATABASE_URL is unset; `--role api|worker|sandbox`
 * (or HUB_ROLE) runs one part, for scale-out on a shared database.
 */
import "reflect-metadata";
import fs from "node:fs";
import path from "node:path";
import { ConfigError, HubConfig, loadConfig, redactUrl } from "./common/config";
import { createLogger, Logger } from "./common/logger";
import { startEmbeddedPostgres, EmbeddedDatabase } from "./common/embedded-postgres";
import { createDataSource } from "./common/database";
import { migrate } from "./common/migrate";
import { createServices } from "./app/services";
import { createServer } from "./app/server";
import { ApiKeyRole } from "./auth/api-key.entity";
import { seedIfEmpty } from "./catalogue/seed/seed.service";
import { loadSecretBox } from "./common/crypto";
import { PgBossJobQueue } from "./sync/job-queue";
import { startWorker } from "./sync/worker";
import { SyncScheduler } from "./sync/scheduler";
import { webhookRoutes } from "./orders/webhook.routes";
import { staticRoutes } from "./sync/publish.service";
import { connectDemoChannels } from "./sync/demo-channels";
import { startDemoOrders } from "./sync/demo-orders";
import { OcopClaimsJob } from "./ocop-claims/claims-job";
import { reportRoutes } from "./reporting/report.routes";
import { CampaignTicker } from "./campaigns/campaign-ticker";
import { AlertScheduler } from "./alerts/alert.scheduler";
import { WebhookDeliverer } from "./outbound-webhooks/deliverer";
import { targetPolicyFor } from "./outbound-webhooks/target-policy";
import { startMetricsServer } from "./observability/http";
import { consoleRoutes } from "./app/console.routes";

type Stopper = () => Promise<void>;

async function main(): Promise<void> {
  let config: HubConfig;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger(config.logLevel);
  const stoppers: Stopper[] = [];
  const shutdown = async (signal: string) => {
    log.info({ signal }, "shutting down");
    for (const stop of stoppers.reverse())
      await stop().catch((err) => log.error({ err }, "error while stopping"));
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));

  if (config.role === "sandbox") {
    await startSandboxes(config, log, stoppers);
    return;
  }

  let embedded: EmbeddedDatabase | null = null;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres(config.dataDir, log);
    stoppers.push(() => embedded!.stop());
    url = embedded.url;
    log.info({ dataDir: embedded.dataDir }, "using embedded PostgreSQL (DATABASE_URL is unset)");
  } else {
    log.info({ database: redactUrl(url) }, "using DATABASE_URL");
  }

  const dataSource = createDataSource({ url, applicationName: `ocop-hub:${config.role}` });
  await dataSource.initialize();
  stoppers.push(() => dataSource.destroy());
  const applied = await migrate(dataSource);
  if (applied.length) log.info({ migrations: applied }, "migrations applied");
  const [{ autovacuum }] = await dataSource.query(`SELECT current_setting('autovacuum') AS autovacuum`);
  if (autovacuum !== "on")
    // The outbox, the queue and stock levels are updated all day; without vacuum they bloat and the
    // planner's statistics go stale (bulk imports refresh the catalogue's own; nothing else does).
    log.warn(
      "PostgreSQL autovacuum is off: hot tables will bloat and plans go stale; turn it on in production",
    );

  if (config.seed && (config.role === "all" || config.role === "api")) {
    const seeded = await seedIfEmpty(dataSource, log, { demoPrices: config.role === "all" });
    if (seeded.seeded) log.info({ rows: seeded.rows }, "seeded the real OCOP products");
  }

  const box = loadSecretBox({
    secretKey: config.secretKey,
    dataDir: config.dataDir,
    previous: process.env.HUB_SECRET_KEY_PREVIOUS ?? null,
  });
  // Every role but `sandbox` uses the queue: the API enqueues work, workers also take it.
  const queue = new PgBossJobQueue({ connectionString: url, log, instanceName: config.role });
  await queue.start();
  stoppers.push(() => queue.stop());
  const services = createServices(dataSource, config, { box, log, queue });
  if (config.role === "all" || config.role === "worker") {
    const worker = await startWorker(services.sync, queue, { connectionString: url });
    stoppers.push(() => worker.stop());
    const scheduler = new SyncScheduler(services.sync, queue);
    await scheduler.start();
    stoppers.push(() => scheduler.stop());
    // OCOP claims follow certificates that expire by time (once across all workers: see claims-job.ts).
    const claims = new OcopClaimsJob(services.sync, { queue });
    claims.start();
    stoppers.push(() => claims.stop());
    // Sale windows start and end on time (once across all workers: see campaign-ticker.ts).
    const campaigns = new CampaignTicker(services.sync);
    campaigns.start();
    stoppers.push(() => campaigns.stop());
    // Alert rules every minute (one evaluation per tick across all workers: see alert.service.ts).
    const alerts = new AlertScheduler(dataSource, { log });
    alerts.start();
    stoppers.push(() => alerts.stop());
    // Outbound webhooks: deliveries shared by all workers (SKIP LOCKED), woken by NOTIFY.
    const deliverer = new WebhookDeliverer({
      ds: dataSource,
      box,
      log,
      policy: targetPolicyFor(config.mode),
      connectionString: url,
    });
    await deliverer.start();
    stoppers.push(() => deliverer.stop());
    if (config.role === "worker" && process.env.HUB_METRICS_PORT) {
      const metrics = await startMetricsServer({
        dataSource,
        port: Number(process.env.HUB_METRICS_PORT),
        host: config.host,
      });
      stoppers.push(() => metrics.close());
      log.info({ url: metrics.url }, "worker metrics served");
    }
    log.info({ role: config.role }, "sync worker and schedules running");
  }
  if (config.role === "all" || config.role === "api") {
    await printFirstAdminKey(services, config);
    const { app } = await createServer({
      dataSource,
      services,
      logger: log,
      routes: [
        webhookRoutes({ rt: services.sync, queue: () => queue }),
        reportRoutes(services),
        staticRoutes,
        consoleRoutes(),
      ],
    });
    await app.listen({ port: config.port, host: config.host });
    stoppers.push(() => app.close());
    const where = `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${config.port}/graphql`;
    log.info({ url: where }, "GraphQL API ready");
    console.log(`\n  ocop-hub is up: ${where}\n`);
  }
  if (config.role === "all") {
    const started = await startSandboxes(config, log, stoppers);
    // Zero-config demo: one sandbox shop per marketplace for the biggest seeded producer (once).
    const hubUrl = `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${config.port}`;
    await connectDemoChannels(services.sync, started.sandboxes, queue, { hubUrl }).catch((err) =>
      log.error({ err }, "demo channels could not be connected"),
    );
    if (!/^(0|false|no|off)$/i.test(process.env.HUB_DEMO_ORDERS ?? "")) {
      const everyMs = 1000 * (Number(process.env.HUB_DEMO_ORDERS_EVERY_SECONDS) || 20);
      const demo = await startDemoOrders(services.sync, started.sandboxes, { hubUrl, log, everyMs });
      stoppers.push(async () => demo.stop());
    }
  }
}

/** On the very first start there is no key at all: issue an admin key, print it once, keep a local copy. */
async function printFirstAdminKey(
  services: ReturnType<typeof createServices>,
  config: HubConfig,
): Promise<void> {
  if ((await services.apiKeys.count()) > 0) return;
  const { key } = await services.apiKeys.issue({ name: "local admin (first run)", role: ApiKeyRole.ADMIN });
  fs.mkdirSync(config.dataDir, { recursive: true });
  const file = path.join(config.dataDir, "admin-api-key");
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
  console.log(`\n  First run: an admin API key was created (also saved to ${file}, readable by you only):\n`);
  console.log(`    Authorization: Bearer ${key}\n`);
}

async function startSandboxes(
  config: HubConfig,
  log: Logger,
  stoppers: Stopper[],
): Promise<import("./sandbox/standalone").StartedSandboxes> {
  const { startAllSandboxes } = require("./sandbox/standalone") as typeof import("./sandbox/standalone");
  const started = await startAllSandboxes(config.sandboxPort, log);
  stoppers.push(() => started.close());
  return started;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
