import { Field, ID, Int, ObjectType } from "type-graphql";
import { toGlobalId } from "../../common/graphql/global-id";
import { Node } from "../../common/graphql/node.type";
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";

/** A sellable pack of a product ("gói 250g"), identified by a SKU unique per producer. */
@ObjectType({
  implements: Node,
  description: "A sellable pack of a product, identified by its SKU.",
  simpleResolvers: true,
})
@Entity()
export class Variant implements Node {
  @Field(() => ID, { name: "id", description: "Opaque global id." })
  get globalId(): string {
    return toGlobalId("Variant", this.id);
  }

  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column("uuid") productId!: string;
  @Column("uuid") producerId!: string;
  @Field() @Column("text") sku!: string;
  @Field({ description: 'Pack specification, e.g. "gói 250g".' }) @Column("text") packSpec!: string;
  @Field(() => Int, { nullable: true }) @Column("integer", { nullable: true }) weightGrams!: number | null;
  @Field(() => Int, { nullable: true }) @Column("integer", { nullable: true }) lengthMm!: number | null;
  @Field(() => Int, { nullable: true }) @Column("integer", { nullable: true }) widthMm!: number | null;
  @Field(() => Int, { nullable: true }) @Column("integer", { nullable: true }) heightMm!: number | null;
  @Field(() => String, { nullable: true }) @Column("text", { nullable: true }) barcode!: string | null;
  /** Consumer price in whole đồng, VAT included; null until the producer sets one. */
  @Field(() => Int, { nullable: true, description: "Consumer price in whole đồng, VAT included." })
  @Column("integer", { nullable: true })
  priceVnd!: number | null;
  @Field(() => Int) @Column("smallint") vatRatePercent!: number;
  @Field(() => Int) @Column("smallint") position!: number;
  @Field() @CreateDateColumn({ type: "timestamptz" }) createdAt!: Date;
  @Field() @UpdateDateColumn({ type: "timestamptz" }) updatedAt!: Date;
}
