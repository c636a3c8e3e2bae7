import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";

/** A body that manages many producers, e.g. a provincial OCOP coordination office. */
@Entity()
export class Organization {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column("text") name!: string;
  @Column("text") kind!: string;
  @Column("text", { nullable: true }) provinceCode!: string | null;
  @CreateDateColumn({ type: "timestamptz" }) createdAt!: Date;
  @UpdateDateColumn({ type: "timestamptz" }) updatedAt!: Date;
}
