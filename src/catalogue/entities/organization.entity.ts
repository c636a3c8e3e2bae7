import { Field, ID, ObjectType } from "type-graphql";
import { toGlobalId } from "../../common/graphql/global-id";
import { Node } from "../../common/graphql/node.type";
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";

/** A body that manages many producers, e.g. a provincial OCOP coordination office. */
@ObjectType({
  implements: Node,
  description: "A body managing many producers, e.g. a provincial OCOP office.",
})
@Entity()
export class Organization implements Node {
  @Field(() => ID, { name: "id", description: "Opaque global id." })
  get globalId(): string {
    return toGlobalId("Organization", this.id);
  }

  @PrimaryGeneratedColumn("uuid") id!: string;
  @Field() @Column("text") name!: string;
  @Field() @Column("text") kind!: string;
  @Field(() => String, { nullable: true }) @Column("text", { nullable: true }) provinceCode!: string | null;
  @Field() @CreateDateColumn({ type: "timestamptz" }) createdAt!: Date;
  @Field() @UpdateDateColumn({ type: "timestamptz" }) updatedAt!: Date;
}
