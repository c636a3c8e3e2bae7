import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";

/** A sellable pack of a product ("gói 250g"), identified by a SKU unique per producer. */
@Entity()
export class Variant {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column("uuid") productId!: string;
  @Column("uuid") producerId!: string;
  @Column("text") sku!: string;
  @Column("text") packSpec!: string;
  @Column("integer", { nullable: true }) weightGrams!: number | null;
  @Column("integer", { nullable: true }) lengthMm!: number | null;
  @Column("integer", { nullable: true }) widthMm!: number | null;
  @Column("integer", { nullable: true }) heightMm!: number | null;
  @Column("text", { nullable: true }) barcode!: string | null;
  /** Consumer price in whole đồng, VAT included; null until the producer sets one. */
  @Column("integer", { nullable: true }) priceVnd!: number | null;
  @Column("smallint") vatRatePercent!: number;
  @Column("smallint") position!: number;
  @CreateDateColumn({ type: "timestamptz" }) createdAt!: Date;
  @UpdateDateColumn({ type: "timestamptz" }) updatedAt!: Date;
}
