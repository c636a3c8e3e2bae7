import { Column, Entity, PrimaryGeneratedColumn } from "typeorm";
import type { NormalizedOrderStatus } from "../../channels/connectors/connector";

export type OrderSource = "WEBHOOK" | "PULL" | "MANUAL";

/** An order from a marketplace; unique per (channel, external order id), so imports are idempotent. */
@Entity("marketplace_order")
export class MarketplaceOrder {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column("uuid") channelId!: string;
  @Column("uuid") producerId!: string;
  @Column("text") externalOrderId!: string;
  @Column("text") status!: NormalizedOrderStatus;
  @Column("text") remoteStatus!: string;
  @Column("text", { nullable: true }) buyerName!: string | null;
  /** bigint: totals can exceed 32 bits; exposed as the BigInt scalar. */
  @Column("bigint") totalVnd!: string;
  @Column("text") currency!: string;
  @Column("timestamptz", { nullable: true }) remoteCreatedAt!: Date | null;
  @Column("timestamptz", { nullable: true }) remoteUpdatedAt!: Date | null;
  @Column("text") source!: OrderSource;
  /** True when a line is unmapped or oversold: someone must look at it. */
  @Column("boolean") hasProblems!: boolean;
  @Column("jsonb", { nullable: true }) raw!: unknown;
  @Column("timestamptz") importedAt!: Date;
  @Column("timestamptz") updatedAt!: Date;
}

export enum OrderLineState {
  RESERVED = "RESERVED",
  /** No stock was left when the order arrived: flagged, never reserved below zero. */
  OVERSOLD = "OVERSOLD",
  /** No variant has this SKU: flagged, not dropped. */
  UNMAPPED = "UNMAPPED",
  RELEASED = "RELEASED",
  SOLD = "SOLD",
  RETURNED = "RETURNED",
}

@Entity()
export class OrderLine {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column("uuid") orderId!: string;
  @Column("text") externalLineId!: string;
  @Column("text", { nullable: true }) sku!: string | null;
  @Column("uuid", { nullable: true }) variantId!: string | null;
  @Column("text") title!: string;
  @Column("integer") quantity!: number;
  @Column("integer") unitPriceVnd!: number;
  @Column("text") state!: OrderLineState;
}

@Entity()
export class OrderStatusHistory {
  @PrimaryGeneratedColumn({ type: "bigint" }) id!: string;
  @Column("uuid") orderId!: string;
  @Column("text") status!: string;
  @Column("text") remoteStatus!: string;
  @Column("text") source!: string;
  @Column("timestamptz") at!: Date;
}
