/** `programmeReport`: sales by star, category, province and marketplace; expiring certificates; producers with no channel. */
import { Arg, Authorized, Ctx, Field, ID, InputType, Int, ObjectType, Query, Resolver } from "type-graphql";
import type { HubContext } from "../../app/context";
import { BigIntScalar } from "../../common/graphql/scalars";
import { idOf } from "../../common/graphql/global-id";
import { ProgrammeReport, ProgrammeReportService, reportCsv } from "../programme-report.service";

/** Matches no producer: a malformed id must not widen the filter to everything. */
const NO_UUID = "00000000-0000-0000-0000-000000000000";

@InputType()
export class ProgrammeReportFilter {
  @Field({ description: "First day, YYYY-MM-DD (Asia/Ho_Chi_Minh), inclusive." }) from!: string;
  @Field({ description: "Last day, YYYY-MM-DD, inclusive; at most 731 days after `from`." }) to!: string;
  @Field(() => String, { nullable: true, description: "Producer's province code (2025 scheme)." })
  provinceCode?: string | null;
  @Field(() => ID, { nullable: true }) producerId?: string | null;
}

@ObjectType("SalesFigures", { simpleResolvers: true })
export class SalesFiguresType {
  @Field(() => Int, { description: "Distinct orders." }) orders!: number;
  @Field(() => Int) quantity!: number;
  @Field(() => BigIntScalar, { description: "Quantity × unit price paid, whole đồng." }) revenueVnd!: number;
}

@ObjectType("SalesRow", { simpleResolvers: true })
export class SalesRowType extends SalesFiguresType {
  @Field({ description: 'Star ("3"–"5", "NONE"), category code, province code or marketplace code.' })
  key!: string;
  @Field() label!: string;
}

@ObjectType("ExpiringMonth", { simpleResolvers: true })
export class ExpiringMonthType {
  @Field({ description: "YYYY-MM" }) month!: string;
  @Field(() => Int) certificates!: number;
  @Field(() => Int) products!: number;
}

@ObjectType("ProducerWithoutChannel", { simpleResolvers: true })
export class ProducerWithoutChannelType {
  @Field(() => ID) producerId!: string;
  @Field() legalName!: string;
  @Field(() => String, { nullable: true }) provinceCode!: string | null;
  @Field(() => String, { nullable: true }) provinceName!: string | null;
  @Field(() => Int) activeProducts!: number;
}

@ObjectType("ProgrammeReport", { simpleResolvers: true })
export class ProgrammeReportType {
  @Field({ description: "The day (Vietnam) the figures were computed." }) generatedOn!: string;
  @Field(() => SalesFiguresType) totals!: SalesFiguresType;
  @Field(() => [SalesRowType]) byStar!: SalesRowType[];
  @Field(() => [SalesRowType]) byCategory!: SalesRowType[];
  @Field(() => [SalesRowType]) byProvince!: SalesRowType[];
  @Field(() => [SalesRowType]) byMarketplace!: SalesRowType[];
  @Field(() => [ExpiringMonthType], {
    description: "Certificates in force ending in each of the next 12 months.",
  })
  expiringByMonth!: ExpiringMonthType[];
  @Field(() => [ProducerWithoutChannelType], { description: "At most 1,000, most products first." })
  producersWithoutChannel!: ProducerWithoutChannelType[];
  @Field({
    description: "The same figures as CSV (UTF-8; the /reports/programme.csv route adds a BOM for Excel).",
  })
  csv!: string;
}

@Resolver()
export class ProgrammeReportResolver {
  @Authorized()
  @Query(() => ProgrammeReportType, {
    description:
      "Programme figures over a period (from imported orders): sales by star, category, province and marketplace; certificates expiring per month; producers with no channel. Scoped to the caller's producers.",
  })
  async programmeReport(
    @Ctx() ctx: HubContext,
    @Arg("filter", () => ProgrammeReportFilter) filter: ProgrammeReportFilter,
  ): Promise<ProgrammeReportType> {
    const r: ProgrammeReport = await new ProgrammeReportService(ctx.dataSource, ctx.clock).report(
      ctx.viewer!,
      {
        from: filter.from,
        to: filter.to,
        provinceCode: filter.provinceCode ?? null,
        producerId: filter.producerId ? (idOf("Producer", filter.producerId) ?? NO_UUID) : null,
      },
      ctx.locale,
    );
    return { ...r, csv: reportCsv(r) };
  }
}
