import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from "typeorm";

/** Current stock of a variant; only the stock service writes it, always with a ledger movement. */
@Entity()
export class StockLevel {
  @PrimaryColumn("uuid") variantId!: string;
  @Column("integer") onHand!: number;
  /** Units promised to orders not yet shipped; available = onHand − reserved. */
  @Column("integer") reserved!: number;
  @UpdateDateColumn({ type: "timestamptz" }) updatedAt!: Date;
}

import { StockMovementKind } from "../catalogue-states";
export { StockMovementKind };

/** Append-only ledger: every change of on-hand or reserved stock, with its reason and reference. */
@Entity()
export class StockMovement {
  @PrimaryGeneratedColumn({ type: "bigint" }) id!: string;
  @Column("uuid") variantId!: string;
  @Column("text") kind!: StockMovementKind;
  @Column("integer") onHandDelta!: number;
  @Column("integer") reservedDelta!: number;
  @Column("integer") onHandAfter!: number;
  @Column("integer") reservedAfter!: number;
  @Column("text") reason!: string;
  @Column("text", { nullable: true }) reference!: string | null;
  @Column("text") actor!: string;
  @CreateDateColumn({ type: "timestamptz" }) createdAt!: Date;
}
