import { Field, ID, Int, ObjectType } from "type-graphql";
import { toGlobalId } from "../../common/graphql/global-id";
import { Node } from "../../common/graphql/node.type";
import "../graphql/catalogue.enums";
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from "typeorm";
import { IssuerLevel, ValidityBasis } from "../ocop";

/** One OCOP rating decision for a product; history is kept, status is derived from dates. */
@ObjectType({
  implements: Node,
  description: "One OCOP rating decision; history is kept.",
  simpleResolvers: true,
})
@Entity()
export class OcopCertification implements Node {
  @Field(() => ID, { name: "id", description: "Opaque global id." })
  get globalId(): string {
    return toGlobalId("OcopCertification", this.id);
  }

  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column("uuid") productId!: string;
  @Field(() => Int) @Column("smallint") star!: number;
  @Field() @Column("boolean") potentialFiveStar!: boolean;
  /** numeric(5,2) arrives from pg as a string; kept as text to avoid float drift. */
  @Column("numeric", { precision: 5, scale: 2, nullable: true }) score!: string | null;
  @Field(() => String, { nullable: true }) @Column("text", { nullable: true }) decisionNumber!: string | null;
  @Field(() => String, { nullable: true, description: "YYYY-MM-DD" })
  @Column("date", { nullable: true })
  decisionDate!: string | null;
  @Field(() => Int, { nullable: true }) @Column("smallint", { nullable: true }) decisionYear!: number | null;
  @Field(() => IssuerLevel, { nullable: true })
  @Column("text", { nullable: true })
  issuerLevel!: IssuerLevel | null;
  @Field(() => String, { nullable: true }) @Column("text", { nullable: true }) issuerName!: string | null;
  @Field(() => String, { nullable: true }) @Column("text", { nullable: true }) criteriaVersion!:
    | string
    | null;
  @Field(() => String, { nullable: true, description: "YYYY-MM-DD; decision date + 36 months." })
  @Column("date", { nullable: true })
  validUntil!: string | null;
  @Field(() => ValidityBasis) @Column("text") validityBasis!: ValidityBasis;
  /** A = signed decision; B1/B2 = government news; C = third-party list (never shown as verified). */
  @Field(() => String, {
    nullable: true,
    description: "A = signed decision; B1/B2 = government news; C = third-party list.",
  })
  @Column("text", { nullable: true })
  verification!: string | null;
  @Field(() => String, { nullable: true }) @Column("text", { nullable: true }) sourceUrl!: string | null;
  @Field(() => String, {
    nullable: true,
    description: "Picture of the certificate; added to listings' pictures where the channel's template asks.",
  })
  @Column("text", { nullable: true })
  imageUrl!: string | null;
  @Field() @Column("boolean") isReRecognition!: boolean;
  @Field(() => Date, { nullable: true })
  @Column("timestamptz", { nullable: true })
  supersededAt!: Date | null;
  @Column("uuid", { nullable: true }) supersededById!: string | null;
  @Field(() => Date, { nullable: true }) @Column("timestamptz", { nullable: true }) revokedAt!: Date | null;
  @Field(() => String, { nullable: true }) @Column("text", { nullable: true }) revocationReason!:
    | string
    | null;
  @Field() @Column("text") notes!: string;
  @Field() @CreateDateColumn({ type: "timestamptz" }) createdAt!: Date;
}
