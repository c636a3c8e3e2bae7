/** Alerts: list with filters, acknowledge; thin resolvers over AlertService. */
import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import type { HubContext } from "../../app/context";
import { mutate } from "../../common/graphql/mutation";
import { PageArgs } from "../../common/graphql/relay";
import { idOf } from "../../common/graphql/global-id";
import { UserErrors } from "../../common/errors";
import { connectionOf, pageWindow } from "../../catalogue/graphql/paging";
import { AlertService } from "../alert.service";
import { AlertConnection, AlertFilterInput, AlertPayload, AlertType, toAlertType } from "./alert.types";

const NO_UUID = "00000000-0000-0000-0000-000000000000";
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Resolver(() => AlertType)
export class AlertResolver {
  @Authorized()
  @Query(() => AlertConnection, { description: "Alerts of the producers the caller may see, newest first." })
  async alerts(
    @Ctx() ctx: HubContext,
    @Args() page: PageArgs,
    @Arg("filter", () => AlertFilterInput, { nullable: true }) filter?: AlertFilterInput | null,
  ) {
    const win = pageWindow(ctx, page);
    const f = {
      ...filter,
      producerId: filter?.producerId ? (idOf("Producer", filter.producerId) ?? NO_UUID) : null,
      channelId: filter?.channelId ? (idOf("Channel", filter.channelId) ?? NO_UUID) : null,
    };
    const svc = new AlertService(ctx.dataSource);
    const rows = await svc.list(ctx.viewer!, f, win);
    return connectionOf(
      rows.map((a) => toAlertType(a, ctx.locale)),
      win,
      () => svc.count(ctx.viewer!, f),
    );
  }

  @Authorized()
  @Mutation(() => AlertPayload, {
    description:
      "Marks an open alert as seen; it stays ACKNOWLEDGED (no new alert for the same subject) until its condition clears.",
  })
  acknowledgeAlert(@Ctx() ctx: HubContext, @Arg("id", () => ID) id: string): Promise<AlertPayload> {
    return mutate(ctx, { alert: null }, async () => {
      if (!UUID_RE.test(id)) throw UserErrors.one("id", "NOT_FOUND", { entity: "alert", id });
      const a = await new AlertService(ctx.dataSource).acknowledge(ctx.viewer!, id.toLowerCase());
      return { alert: toAlertType(a, ctx.locale) };
    });
  }
}
