import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import { OcopCategory } from "../ocop";

export interface ProductImage {
  url: string;
  alt?: string;
}

/** Where a record came from (seed or import), kept so a claim can be traced to its document. */
export interface Provenance {
  verification?: string;
  sourceRepo?: string;
  sourcePath?: string;
  sourceUrl?: string;
  categorySource?: string;
  notes?: string;
  refPriceVnd?: number;
}

export enum ProductStatus {
  ACTIVE = "ACTIVE",
  ARCHIVED = "ARCHIVED",
}

@Entity()
export class Product {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column("uuid") producerId!: string;
  /** The source's own identifier (e.g. OCOP-SEED-001); re-importing the same row updates this product. */
  @Column("text", { nullable: true }) refCode!: string | null;
  @Column("text") name!: string;
  /** Folded name + producer name, for accent-insensitive whole-word search. */
  @Column("text") searchKey!: string;
  @Column("text") slug!: string;
  @Column("text") description!: string;
  @Column("text") story!: string;
  @Column("text") category!: OcopCategory;
  @Column("smallint", { nullable: true }) productSetNo!: number | null;
  @Column("jsonb") images!: ProductImage[];
  @Column("text") status!: ProductStatus;
  @Column("jsonb") provenance!: Provenance;
  @CreateDateColumn({ type: "timestamptz" }) createdAt!: Date;
  @UpdateDateColumn({ type: "timestamptz" }) updatedAt!: Date;
}
