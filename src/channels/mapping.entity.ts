import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from "typeorm";
import type { MarketplaceCode } from "./channel.entity";
import type { OcopCategory } from "../catalogue/ocop";

/** Which marketplace category an OCOP category (optionally narrowed to a product set) lists under. */
@Entity()
export class CategoryMapping {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column("text") marketplace!: MarketplaceCode;
  @Column("text") category!: OcopCategory;
  @Column("smallint", { nullable: true }) productSetNo!: number | null;
  @Column("text") remoteCategoryId!: string;
  @Column("text", { nullable: true }) remoteCategoryName!: string | null;
  @CreateDateColumn({ type: "timestamptz" }) createdAt!: Date;
}

/**
 * A marketplace attribute's value for every product in a remote category: a fixed value
 * ("Việt Nam" for origin) or a product field ("producer.legalName", "ocop.star", "variant.weightGrams").
 */
@Entity()
export class AttributeMapping {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column("text") marketplace!: MarketplaceCode;
  @Column("text") remoteCategoryId!: string;
  @Column("text") remoteAttributeId!: string;
  @Column("text") valueSource!: "FIXED" | "PRODUCT_FIELD";
  @Column("text") value!: string;
  @CreateDateColumn({ type: "timestamptz" }) createdAt!: Date;
}
