import { Field, ID, Int, ObjectType } from "type-graphql";
import { toGlobalId } from "../../common/graphql/global-id";
import { Node } from "../../common/graphql/node.type";
import "../graphql/catalogue.enums";
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import { OcopCategory } from "../ocop";

@ObjectType("ProductImage")
export class ProductImageType {
  @Field() url!: string;
  @Field(() => String, { nullable: true }) alt?: string;
}

export type ProductImage = ProductImageType;

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

import { ProductStatus } from "../catalogue-states";
export { ProductStatus };

@ObjectType({
  implements: Node,
  description: "An OCOP product of the master catalogue.",
  simpleResolvers: true,
})
@Entity()
export class Product implements Node {
  @Field(() => ID, { name: "id", description: "Opaque global id." })
  get globalId(): string {
    return toGlobalId("Product", this.id);
  }

  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column("uuid") producerId!: string;
  /** The source's own identifier (e.g. OCOP-SEED-001); re-importing the same row updates this product. */
  @Field(() => String, {
    nullable: true,
    description: "Identifier in the source the product was imported from.",
  })
  @Column("text", { nullable: true })
  refCode!: string | null;
  @Field() @Column("text") name!: string;
  /** Folded name + producer name, for accent-insensitive whole-word search. */
  @Column("text") searchKey!: string;
  @Field() @Column("text") slug!: string;
  @Field() @Column("text") description!: string;
  @Field() @Column("text") story!: string;
  @Field(() => OcopCategory) @Column("text") category!: OcopCategory;
  @Field(() => Int, { nullable: true, description: "OCOP product set 1–26 (148/QĐ-TTg Annex I)." })
  @Column("smallint", { nullable: true })
  productSetNo!: number | null;
  @Field(() => [ProductImageType]) @Column("jsonb") images!: ProductImage[];
  @Field(() => ProductStatus) @Column("text") status!: ProductStatus;
  @Column("jsonb") provenance!: Provenance;
  @Field() @CreateDateColumn({ type: "timestamptz" }) createdAt!: Date;
  @Field() @UpdateDateColumn({ type: "timestamptz" }) updatedAt!: Date;
}
