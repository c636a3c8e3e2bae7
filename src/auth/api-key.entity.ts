import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from "typeorm";

export enum ApiKeyRole {
  ADMIN = "ADMIN",
  PRODUCER = "PRODUCER",
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
  @CreateDateColumn({ type: "timestamptz" }) createdAt!: Date;
  @Column("timestamptz", { nullable: true }) lastUsedAt!: Date | null;
  @Column("timestamptz", { nullable: true }) revokedAt!: Date | null;
}
