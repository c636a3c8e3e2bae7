/** Sync runs: trigger, list, read with items, retry failed items; thin resolvers over SyncOpsService. */
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import type { HubContext } from "../../app/context";
import { mutate } from "../../common/graphql/mutation";
import { PageArgs } from "../../common/graphql/relay";
import { idOf } from "../../common/graphql/global-id";
import { UserErrors } from "../../common/errors";
import { connectionOf, pageWindow } from "../../catalogue/graphql/paging";
import { SyncItemStatus } from "../entities/sync-item.entity";
import { SyncKind } from "../entities/sync-run.entity";
import { SyncOpsService } from "./sync-ops.service";
import {
  SyncItemConnection,
  SyncRunConnection,
  SyncRunFilterInput,
  SyncRunPayload,
  SyncRunType,
  toSyncItemType,
  toSyncRunType,
} from "./sync-run.types";

const NO_UUID = "00000000-0000-0000-0000-000000000000";
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function ops(ctx: HubContext): SyncOpsService {
  return new SyncOpsService(ctx.services.sync, ctx.services.queue);
}

@Resolver(() => SyncRunType)
export class SyncRunResolver {
  @Authorized()
  @Query(() => SyncRunConnection, { description: "Sync runs, newest first." })
  async syncRuns(
    @Ctx() ctx: HubContext,
    @Args() page: PageArgs,
    @Arg("filter", () => SyncRunFilterInput, { nullable: true }) filter?: SyncRunFilterInput | null,
  ) {
    const win = pageWindow(ctx, page);
    const f = {
      ...filter,
      channelId: filter?.channelId ? (idOf("Channel", filter.channelId) ?? NO_UUID) : null,
    };
    const svc = ops(ctx);
    const rows = await svc.list(ctx.viewer!, f, win);
    return connectionOf(rows.map(toSyncRunType), win, () => svc.count(ctx.viewer!, f));
  }

  @Authorized()
  @Query(() => SyncRunType, { nullable: true })
  async syncRun(@Ctx() ctx: HubContext, @Arg("id", () => ID) id: string): Promise<SyncRunType | null> {
    if (!UUID_RE.test(id)) return null;
    const run = await ops(ctx).get(ctx.viewer!, id.toLowerCase());
    return run ? toSyncRunType(run) : null;
  }

  @FieldResolver(() => SyncItemConnection, { description: "What the run did, item by item." })
  async items(
    @Root() run: SyncRunType,
    @Ctx() ctx: HubContext,
    @Args() page: PageArgs,
    @Arg("status", () => SyncItemStatus, { nullable: true }) status?: SyncItemStatus | null,
  ) {
    const win = pageWindow(ctx, page);
    const svc = ops(ctx);
    const rows = await svc.items(run.id, status ?? null, win);
    return connectionOf(
      rows.map((i) => toSyncItemType(i, ctx.locale)),
      win,
      () => svc.countItems(run.id, status ?? null),
    );
  }

  @Authorized()
  @Mutation(() => SyncRunPayload, {
    description:
      "Queues a sync run of a channel now; a dry run records what would be sent (PLANNED items) and sends nothing.",
  })
  triggerSync(
    @Ctx() ctx: HubContext,
    @Arg("channelId", () => ID) channelId: string,
    @Arg("kind", () => SyncKind) kind: SyncKind,
    @Arg("dryRun", { defaultValue: false }) dryRun: boolean,
  ): Promise<SyncRunPayload> {
    return mutate(ctx, { run: null }, async () => {
      const uuid = idOf("Channel", channelId);
      if (!uuid) throw UserErrors.one("channelId", "NOT_FOUND", { entity: "channel", id: channelId });
      const run = await ops(ctx).trigger(ctx.viewer!, { channelId: uuid, kind, dryRun }, ctx.requestId);
      return { run: toSyncRunType(run) };
    });
  }

  @Authorized()
  @Mutation(() => SyncRunPayload, {
    description: "Retries a run's failed items (all, or those given) as a new RETRY run.",
  })
  retrySyncItems(
    @Ctx() ctx: HubContext,
    @Arg("runId", () => ID) runId: string,
    @Arg("itemIds", () => [ID], { nullable: true }) itemIds?: string[] | null,
  ): Promise<SyncRunPayload> {
    return mutate(ctx, { run: null }, async () => {
      if (!UUID_RE.test(runId)) throw UserErrors.one("runId", "NOT_FOUND", { entity: "sync run", id: runId });
      const ids = itemIds?.map((i) => {
        if (!/^\d{1,18}$/.test(i))
          throw UserErrors.one("itemIds", "NOT_FOUND", { entity: "sync item", id: i });
        return i;
      });
      const run = await ops(ctx).retry(ctx.viewer!, runId.toLowerCase(), ids ?? null, ctx.requestId);
      return { run: toSyncRunType(run) };
    });
  }
}
