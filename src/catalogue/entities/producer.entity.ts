import { Field, ID, ObjectType } from "type-graphql";
import { toGlobalId } from "../../common/graphql/global-id";
import { Node } from "../../common/graphql/node.type";
import "../graphql/catalogue.enums";
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import { ProducerType } from "../ocop";

/** A "chủ thể OCOP": the enterprise, cooperative, cooperative group or household that makes products. */
@ObjectType({ implements: Node, description: "A producer (chủ thể OCOP).", simpleResolvers: true })
@Entity()
export class Producer implements Node {
  @Field(() => ID, { name: "id", description: "Opaque global id." })
  get globalId(): string {
    return toGlobalId("Producer", this.id);
  }

  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column("uuid", { nullable: true }) organizationId!: string | null;
  @Field() @Column("text") legalName!: string;
  /** Folded legal name (see common/text); with the province it identifies a producer on import. */
  @Column("text") nameKey!: string;
  @Field(() => ProducerType) @Column("text") type!: ProducerType;
  @Field(() => String, { nullable: true })
  @Column("text", { nullable: true })
  taxCode!: string | null;
  @Field(() => String, { nullable: true })
  @Column("text", { nullable: true })
  representative!: string | null;
  @Field(() => String, { nullable: true })
  @Column("text", { nullable: true })
  phone!: string | null;
  @Field(() => String, { nullable: true })
  @Column("text", { nullable: true })
  email!: string | null;
  /** The address as written on the decision or by the producer. */
  @Column("text", { nullable: true }) addressRaw!: string | null;
  @Column("text", { nullable: true }) legacyProvinceName!: string | null;
  @Column("text", { nullable: true }) legacyDistrictName!: string | null;
  @Column("text", { nullable: true }) legacyWardName!: string | null;
  /** Current (post-July-2025) 2-digit province code. */
  @Column("text", { nullable: true }) provinceCode!: string | null;
  @Column("text", { nullable: true }) provinceName!: string | null;
  /** Current 5-digit ward/commune code. */
  @Column("text", { nullable: true }) wardCode!: string | null;
  @Column("text", { nullable: true }) wardName!: string | null;
  @Field() @CreateDateColumn({ type: "timestamptz" }) createdAt!: Date;
  @Field() @UpdateDateColumn({ type: "timestamptz" }) updatedAt!: Date;
}
