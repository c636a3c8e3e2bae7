import { Column, Entity, PrimaryGeneratedColumn } from "typeorm";

export enum SyncKind {
  PUBLISH = "PUBLISH",
  PRICE = "PRICE",
  STOCK = "STOCK",
  CONTENT = "CONTENT",
  ORDERS = "ORDERS",
  RECONCILE = "RECONCILE",
  REFRESH_TOKEN = "REFRESH_TOKEN",
  /** Pull buyer reviews (marketplaces with a review API). */
  REVIEWS = "REVIEWS",
}

export enum SyncTrigger {
  SCHEDULE = "SCHEDULE",
  EVENT = "EVENT",
  MANUAL = "MANUAL",
  WEBHOOK = "WEBHOOK",
  RETRY = "RETRY",
  STARTUP = "STARTUP",
}

/** Where a run is in its life; what it achieved is `outcome`. */
export enum SyncRunStatus {
  QUEUED = "QUEUED",
  RUNNING = "RUNNING",
  FINISHED = "FINISHED",
  CANCELLED = "CANCELLED",
}

export enum SyncOutcome {
  SUCCEEDED = "SUCCEEDED",
  PARTIALLY_FAILED = "PARTIALLY_FAILED",
  FAILED = "FAILED",
}

/** One piece of sync work on one channel, kept as data: who asked, what happened, item by item. */
@Entity()
export class SyncRun {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column("uuid", { nullable: true }) channelId!: string | null;
  @Column("text") kind!: SyncKind;
  @Column("text") trigger!: SyncTrigger;
  @Column("text") status!: SyncRunStatus;
  @Column("text", { nullable: true }) outcome!: SyncOutcome | null;
  @Column("boolean") dryRun!: boolean;
  @Column("integer") total!: number;
  @Column("integer") applied!: number;
  @Column("integer") skipped!: number;
  @Column("integer") failed!: number;
  /** Marketplace API calls the run made. */
  @Column("integer") calls!: number;
  @Column("text", { nullable: true }) errorCode!: string | null;
  @Column("text", { nullable: true }) errorMessage!: string | null;
  @Column("text", { nullable: true }) requestId!: string | null;
  @Column("jsonb") details!: Record<string, unknown>;
  @Column("timestamptz") queuedAt!: Date;
  @Column("timestamptz", { nullable: true }) startedAt!: Date | null;
  @Column("timestamptz", { nullable: true }) finishedAt!: Date | null;
}
