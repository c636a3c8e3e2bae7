import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from "typeorm";

export enum SyncItemStatus {
  APPLIED = "APPLIED",
  SKIPPED = "SKIPPED",
  FAILED = "FAILED",
  RETRYING = "RETRYING",
  /** Dry runs: what would be sent. */
  PLANNED = "PLANNED",
}

/** One item of a run: the marketplace's own code and message, ours, and a fix hint in vi/en. */
@Entity()
export class SyncItem {
  @PrimaryGeneratedColumn({ type: "bigint" }) id!: string;
  @Column("uuid") runId!: string;
  @Column("uuid", { nullable: true }) listingId!: string | null;
  @Column("text", { nullable: true }) sku!: string | null;
  @Column("text") kind!: string;
  @Column("text") status!: SyncItemStatus;
  @Column("bigint", { nullable: true }) version!: string | null;
  @Column("jsonb", { nullable: true }) value!: unknown;
  @Column("text", { nullable: true }) remoteCode!: string | null;
  @Column("text", { nullable: true }) remoteMessage!: string | null;
  @Column("text", { nullable: true }) code!: string | null;
  @Column("text", { nullable: true }) messageVi!: string | null;
  @Column("text", { nullable: true }) messageEn!: string | null;
  @Column("text", { nullable: true }) hintVi!: string | null;
  @Column("text", { nullable: true }) hintEn!: string | null;
  @Column("integer") attempts!: number;
  @CreateDateColumn({ type: "timestamptz" }) createdAt!: Date;
}
