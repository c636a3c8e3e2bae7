import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";

export type MarketplaceCode = "shopee" | "lazada" | "tiktok-shop" | "tiki";

export enum ChannelStatus {
  ACTIVE = "ACTIVE",
  NEEDS_REAUTH = "NEEDS_REAUTH",
  PAUSED = "PAUSED",
  DISCONNECTED = "DISCONNECTED",
}

/** One connected marketplace shop of a producer. Credentials are AES-256-GCM ciphertext. */
@Entity()
export class Channel {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column("uuid") producerId!: string;
  @Column("text") marketplace!: MarketplaceCode;
  @Column("text") name!: string;
  @Column("text", { nullable: true }) shopId!: string | null;
  @Column("text") baseUrl!: string;
  @Column("text") status!: ChannelStatus;
  /** Never exposed through the API; see common/crypto and channels/credential-store. */
  @Column("bytea", { nullable: true, select: false }) credentials!: Buffer | null;
  /** Bumped on every credential write so concurrent token refreshes can detect each other. */
  @Column("integer") credentialsVersion!: number;
  @Column("timestamptz", { nullable: true }) accessExpiresAt!: Date | null;
  @Column("timestamptz", { nullable: true }) refreshExpiresAt!: Date | null;
  @Column("jsonb") settings!: Record<string, unknown>;
  @CreateDateColumn({ type: "timestamptz" }) createdAt!: Date;
  @UpdateDateColumn({ type: "timestamptz" }) updatedAt!: Date;
}
