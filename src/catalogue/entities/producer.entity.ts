import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import { ProducerType } from "../ocop";

/** A "chủ thể OCOP": the enterprise, cooperative, cooperative group or household that makes products. */
@Entity()
export class Producer {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column("uuid", { nullable: true }) organizationId!: string | null;
  @Column("text") legalName!: string;
  /** Folded legal name (see common/text); with the province it identifies a producer on import. */
  @Column("text") nameKey!: string;
  @Column("text") type!: ProducerType;
  @Column("text", { nullable: true }) taxCode!: string | null;
  @Column("text", { nullable: true }) representative!: string | null;
  @Column("text", { nullable: true }) phone!: string | null;
  @Column("text", { nullable: true }) email!: string | null;
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
  @CreateDateColumn({ type: "timestamptz" }) createdAt!: Date;
  @UpdateDateColumn({ type: "timestamptz" }) updatedAt!: Date;
}
