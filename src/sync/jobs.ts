/**
 * The durable job queue (pg-boss on the hub's PostgreSQL): queue names and payloads in one place.
 * Every kind of background work is a job, so any number of workers on any number of hosts share
 * it, and a job whose worker dies is picked up again by another.
 */
export const QUEUES = {
  /** Import (or update) orders named by a webhook event or a pull page. */
  ORDER_IMPORT: "order-import",
  /** One sync run: publish, price/stock/content sweep, order pull, reconciliation, token refresh. */
  SYNC_RUN: "sync-run",
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface OrderImportJob {
  channelId: string;
  /** Orders to fetch in detail and import. */
  externalOrderIds: string[];
  source: "WEBHOOK" | "PULL";
  /** webhook_event ids to mark processed once imported. */
  webhookEventIds?: string[];
  requestId?: string;
}

export interface SyncRunJob {
  /** The sync_run row (QUEUED) this job executes. */
  runId: string;
  requestId?: string;
}

/** How producers of work hand it to the queue (implemented on pg-boss by sync/job-queue.ts). */
export interface JobQueue {
  /** Queues the execution of a QUEUED sync_run. */
  enqueueRun(runId: string, opts?: { singletonKey?: string; startAfterSeconds?: number }): Promise<void>;
  enqueueOrderImport(job: OrderImportJob): Promise<void>;
}
