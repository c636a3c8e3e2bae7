/**
 * Records every successful mutation in the audit log: the field's arguments (as the resolver saw
 * them, inline or from variables, secrets removed), the ids in its result, the caller, address and
 * request id. A mutation field counts as successful when it returned a value, raised no error and
 * its payload has no userErrors. login and refreshSession are not recorded here: the session row
 * already keeps who logged in, when and from where, and their arguments are all secrets.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import { FieldNode, GraphQLSchema, Kind, SelectionSetNode } from "graphql";
import { getArgumentValues } from "graphql/execution/values";
import type { HubContext } from "../app/context";
import type { Logger } from "../common/logger";
import { idsIn } from "./audit.service";

const NOT_RECORDED = new Set(["login", "refreshSession"]);

function topFields(set: SelectionSetNode, out: FieldNode[] = []): FieldNode[] {
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) out.push(s);
    else if (s.kind === Kind.INLINE_FRAGMENT) topFields(s.selectionSet, out);
  }
  return out;
}

export function auditPlugin(log: Logger): ApolloServerPlugin<HubContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue: ctx, operation, response, request, schema }) {
          if (operation?.operation !== "mutation" || response.body.kind !== "single" || !ctx.viewer) return;
          const { data, errors } = response.body.singleResult;
          try {
            await recordFields(ctx, schema, operation.selectionSet, request.variables ?? {}, data, errors);
          } catch (err) {
            // The change is committed; losing its entry is logged loudly rather than failing the reply.
            log.error({ err, requestId: ctx.requestId }, "audit entry could not be written");
          }
        },
      };
    },
  };
}

async function recordFields(
  ctx: HubContext,
  schema: GraphQLSchema,
  selectionSet: SelectionSetNode,
  variables: Record<string, unknown>,
  data: Record<string, unknown> | null | undefined,
  errors: ReadonlyArray<{ path?: ReadonlyArray<string | number> }> | undefined,
): Promise<void> {
  const fields = schema.getMutationType()?.getFields() ?? {};
  const v = ctx.viewer!;
  for (const node of topFields(selectionSet)) {
    const name = node.name.value;
    const key = node.alias?.value ?? name;
    const value = data?.[key] as Record<string, unknown> | null | undefined;
    const def = fields[name];
    if (!def || NOT_RECORDED.has(name) || value == null) continue;
    if (errors?.some((e) => e.path?.[0] === key)) continue;
    if (Array.isArray(value.userErrors) && value.userErrors.length > 0) continue;
    const args = getArgumentValues(def, node, variables);
    const resultIds = idsIn(value);
    const ids = [...resultIds, ...idsIn(args)];
    const audit = ctx.services.audit;
    const producerIds = await audit.producersOf(ids.map((i) => i.id));
    if (producerIds.length === 0 && v.producerId) producerIds.push(v.producerId);
    const target = resultIds[0] ?? ids[0];
    await audit.record({
      actor: v.actor,
      userId: v.userId ?? null,
      apiKeyId: v.keyId,
      operation: name,
      targetType: target?.type ?? null,
      targetId: target ? (findGlobalId(value, target.id) ?? findGlobalId(args, target.id)) : null,
      producerIds,
      changes: { input: args, resultIds: resultIds.map((r) => `${r.type}:${r.id}`) },
      ip: ctx.ip,
      requestId: ctx.requestId,
    });
  }
}

/** The global id string (as clients see it) that decodes to `uuid`, so filters match what clients hold. */
function findGlobalId(value: unknown, uuid: string): string | null {
  let found: string | null = null;
  const walk = (x: unknown) => {
    if (found) return;
    if (typeof x === "string") {
      if (idsIn(x)[0]?.id === uuid) found = x;
    } else if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === "object") Object.values(x).forEach(walk);
  };
  walk(value);
  return found;
}
