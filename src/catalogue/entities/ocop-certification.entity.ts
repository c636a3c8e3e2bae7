import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from "typeorm";
import { IssuerLevel, ValidityBasis } from "../ocop";

/** One OCOP rating decision for a product; history is kept, status is derived from dates. */
@Entity()
export class OcopCertification {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column("uuid") productId!: string;
  @Column("smallint") star!: number;
  @Column("boolean") potentialFiveStar!: boolean;
  /** numeric(5,2) arrives from pg as a string; kept as text to avoid float drift. */
  @Column("numeric", { precision: 5, scale: 2, nullable: true }) score!: string | null;
  @Column("text", { nullable: true }) decisionNumber!: string | null;
  @Column("date", { nullable: true }) decisionDate!: string | null;
  @Column("smallint", { nullable: true }) decisionYear!: number | null;
  @Column("text", { nullable: true }) issuerLevel!: IssuerLevel | null;
  @Column("text", { nullable: true }) issuerName!: string | null;
  @Column("text", { nullable: true }) criteriaVersion!: string | null;
  @Column("date", { nullable: true }) validUntil!: string | null;
  @Column("text") validityBasis!: ValidityBasis;
  /** A = signed decision; B1/B2 = government news; C = third-party list (never shown as verified). */
  @Column("text", { nullable: true }) verification!: string | null;
  @Column("text", { nullable: true }) sourceUrl!: string | null;
  @Column("boolean") isReRecognition!: boolean;
  @Column("timestamptz", { nullable: true }) supersededAt!: Date | null;
  @Column("uuid", { nullable: true }) supersededById!: string | null;
  @Column("timestamptz", { nullable: true }) revokedAt!: Date | null;
  @Column("text", { nullable: true }) revocationReason!: string | null;
  @Column("text") notes!: string;
  @CreateDateColumn({ type: "timestamptz" }) createdAt!: Date;
}
