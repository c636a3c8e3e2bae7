/** GraphQL shapes of sync runs and their items. Run ids are the sync_run UUIDs (as publish returns them). */
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { Connection } from "../../common/graphql/relay";
import { UserError } from "../../common/graphql/user-error.type";
import { toGlobalId } from "../../common/graphql/global-id";
import type { Locale } from "../../common/i18n";
import { SyncItem, SyncItemStatus } from "../entities/sync-item.entity";
import { SyncKind, SyncOutcome, SyncRun, SyncRunStatus, SyncTrigger } from "../entities/sync-run.entity";

registerEnumType(SyncKind, { name: "SyncKind", description: "What a sync run does." });
registerEnumType(SyncTrigger, { name: "SyncTrigger", description: "Who or what started a sync run." });
registerEnumType(SyncRunStatus, { name: "SyncRunStatus", description: "Where a run is in its life." });
registerEnumType(SyncOutcome, { name: "SyncOutcome", description: "What a finished run achieved." });
registerEnumType(SyncItemStatus, { name: "SyncItemStatus" });

@ObjectType("SyncItem", {
  description: "One listing (or order, token…) a run touched, with the result explained.",
})
export class SyncItemType {
  @Field(() => ID) id!: string;
  @Field(() => ID, { nullable: true }) listingId!: string | null;
  @Field(() => String, { nullable: true }) sku!: string | null;
  @Field({ description: "price, stock, content, listing, order, token…" }) kind!: string;
  @Field(() => SyncItemStatus) status!: SyncItemStatus;
  @Field(() => String, { nullable: true, description: "The listing version this item pushed." })
  version!: string | null;
  @Field(() => String, { nullable: true, description: "What was (or would be) sent, as JSON." })
  valueJson!: string | null;
  @Field(() => String, { nullable: true, description: "The marketplace's own error code, verbatim." })
  remoteCode!: string | null;
  @Field(() => String, { nullable: true }) remoteMessage!: string | null;
  @Field(() => String, { nullable: true, description: "Our stable error code." }) code!: string | null;
  @Field(() => String, { nullable: true, description: "In the caller's language (Accept-Language)." })
  message!: string | null;
  @Field(() => String, { nullable: true, description: "How to fix it, in the caller's language." })
  hint!: string | null;
  @Field(() => String, { nullable: true }) messageVi!: string | null;
  @Field(() => String, { nullable: true }) messageEn!: string | null;
  @Field(() => String, { nullable: true }) hintVi!: string | null;
  @Field(() => String, { nullable: true }) hintEn!: string | null;
  @Field(() => Int) attempts!: number;
  @Field() createdAt!: Date;
}

@ObjectType()
export class SyncItemConnection extends Connection(SyncItemType, "SyncItem") {}

@ObjectType("SyncRun", { description: "One piece of sync work on one channel, kept as data." })
export class SyncRunType {
  @Field(() => ID) id!: string;
  @Field(() => ID, { nullable: true, description: "Global id of the channel." }) channelId!: string | null;
  @Field(() => SyncKind) kind!: SyncKind;
  @Field(() => SyncTrigger) trigger!: SyncTrigger;
  @Field(() => SyncRunStatus) status!: SyncRunStatus;
  @Field(() => SyncOutcome, { nullable: true, description: "Set once the run has finished." })
  outcome!: SyncOutcome | null;
  @Field() dryRun!: boolean;
  @Field(() => Int) total!: number;
  @Field(() => Int) applied!: number;
  @Field(() => Int) skipped!: number;
  @Field(() => Int) failed!: number;
  @Field(() => Int, { description: "Marketplace API calls the run made." }) calls!: number;
  @Field(() => String, { nullable: true }) errorCode!: string | null;
  @Field(() => String, { nullable: true }) errorMessage!: string | null;
  @Field(() => ID, { nullable: true, description: "The run this one retries." }) retryOf!: string | null;
  @Field() queuedAt!: Date;
  @Field(() => Date, { nullable: true }) startedAt!: Date | null;
  @Field(() => Date, { nullable: true }) finishedAt!: Date | null;
  @Field(() => Int, { nullable: true, description: "From start to finish, ms." }) durationMs!: number | null;
}

@ObjectType()
export class SyncRunConnection extends Connection(SyncRunType, "SyncRun") {}

@InputType({ description: "All given conditions must hold." })
export class SyncRunFilterInput {
  @Field(() => ID, { nullable: true, description: "Channel global id (or UUID)." }) channelId?: string | null;
  @Field(() => SyncKind, { nullable: true }) kind?: SyncKind | null;
  @Field(() => SyncRunStatus, { nullable: true }) status?: SyncRunStatus | null;
  @Field(() => SyncOutcome, { nullable: true }) outcome?: SyncOutcome | null;
  @Field(() => SyncTrigger, { nullable: true }) trigger?: SyncTrigger | null;
}

@ObjectType()
export class SyncRunPayload {
  @Field(() => SyncRunType, { nullable: true }) run!: SyncRunType | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

export function toSyncRunType(r: SyncRun): SyncRunType {
  const retryOf = r.details?.retryOf;
  return {
    id: r.id,
    channelId: r.channelId ? toGlobalId("Channel", r.channelId) : null,
    kind: r.kind,
    trigger: r.trigger,
    status: r.status,
    outcome: r.outcome,
    dryRun: r.dryRun,
    total: r.total,
    applied: r.applied,
    skipped: r.skipped,
    failed: r.failed,
    calls: r.calls,
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    retryOf: typeof retryOf === "string" ? retryOf : null,
    queuedAt: r.queuedAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    durationMs: r.startedAt && r.finishedAt ? r.finishedAt.getTime() - r.startedAt.getTime() : null,
  };
}

export function toSyncItemType(i: SyncItem, locale: Locale): SyncItemType {
  return {
    id: String(i.id),
    listingId: i.listingId,
    sku: i.sku,
    kind: i.kind,
    status: i.status,
    version: i.version,
    valueJson: i.value == null ? null : JSON.stringify(i.value),
    remoteCode: i.remoteCode,
    remoteMessage: i.remoteMessage,
    code: i.code,
    message: locale === "en" ? (i.messageEn ?? i.messageVi) : (i.messageVi ?? i.messageEn),
    hint: locale === "en" ? (i.hintEn ?? i.hintVi) : (i.hintVi ?? i.hintEn),
    messageVi: i.messageVi,
    messageEn: i.messageEn,
    hintVi: i.hintVi,
    hintEn: i.hintEn,
    attempts: i.attempts,
    createdAt: i.createdAt,
  };
}
