import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from "typeorm";

/**
 * Whose data a key reaches: ADMIN, OPS and INTEGRATOR_READ keys are platform-wide, a PRODUCER key
 * one producer, an ORGANIZATION key the producers of one organization. Its scopes say what it may do.
 */
export enum ApiKeyRole {
  ADMIN = "ADMIN",
  PRODUCER = "PRODUCER",
  ORGANIZATION = "ORGANIZATION",
  INTEGRATOR_READ = "INTEGRATOR_READ",
  OPS = "OPS",
}

/** A bearer credential; only its SHA-256 is stored, the key itself is shown once at creation. */
@Entity()
export class ApiKey {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column("text") name!: string;
  @Column("text") keyPrefix!: string;
  @Column("text") keyHash!: string;
  @Column("text") role!: ApiKeyRole;
  @Column("uuid", { nullable: true }) producerId!: string | null;
  @Column("uuid", { nullable: true }) organizationId!: string | null;
  /** The user who created it; the key never reaches further than that user still may. */
  @Column("uuid", { nullable: true }) userId!: string | null;
  @Column("text", { array: true }) scopes!: string[];
  @CreateDateColumn({ type: "timestamptz" }) createdAt!: Date;
  @Column("timestamptz", { nullable: true }) lastUsedAt!: Date | null;
  @Column("timestamptz", { nullable: true }) revokedAt!: Date | null;
}
