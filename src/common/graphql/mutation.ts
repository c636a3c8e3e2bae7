/**
 * Runs a mutation's service call and shapes its payload: the result with `userErrors: []`, or the
 * payload's nullable fields left null with the rendered `userErrors` when the service refused.
 */
import { UserErrors, renderUserError } from "../errors";
import type { HubContext } from "../../app/context";
import type { UserError } from "./user-error.type";

export async function mutate<T extends object>(
  ctx: HubContext,
  empty: Omit<T, "userErrors">,
  run: () => Promise<Omit<T, "userErrors">>,
): Promise<T & { userErrors: UserError[] }> {
  try {
    return { ...(await run()), userErrors: [] } as T & { userErrors: UserError[] };
  } catch (e) {
    if (e instanceof UserErrors) {
      return { ...empty, userErrors: e.errors.map((u) => renderUserError(u, ctx.locale)) } as T & {
        userErrors: UserError[];
      };
    }
    throw e;
  }
}
