/**
 * Status write-back: tells the marketplace about a status the seller sets in the hub (today: ready
 * to ship), then re-reads the order from the marketplace and imports it, so the hub records what
 * the marketplace now says (status history, stock effects) through the one import path.
 */
import { UserErrors } from "../common/errors";
import type { NormalizedOrderStatus } from "../channels/connectors/connector";
import { ConnectorError } from "../channels/connectors/http/types";
import { Scope, Viewer, assertScope, canSeeProducer } from "../auth/viewer";
import { ChannelUnavailableError, SyncRuntime, openChannel } from "../sync/runtime";
import { explainFailure } from "../sync/explain";
import { importOrders } from "./order-import.service";

/** Statuses a seller may set from the hub. */
export const WRITABLE_STATUSES: NormalizedOrderStatus[] = ["READY_TO_SHIP"];

export async function writeBackOrderStatus(
  rt: SyncRuntime,
  viewer: Viewer,
  orderId: string,
  status: NormalizedOrderStatus,
  locale: "vi" | "en",
): Promise<string> {
  const [order]: Array<{
    id: string;
    channel_id: string;
    producer_id: string;
    external_order_id: string;
    status: string;
  }> = await rt.ds.query(
    `SELECT id, channel_id, producer_id, external_order_id, status FROM marketplace_order WHERE id = $1`,
    [orderId],
  );
  if (!order || !canSeeProducer(viewer, order.producer_id, Scope.READ_ORDERS)) {
    throw UserErrors.one("id", "NOT_FOUND", { entity: "đơn hàng / order", id: orderId });
  }
  assertScope(viewer, Scope.MANAGE_CHANNELS, order.producer_id);
  if (!WRITABLE_STATUSES.includes(status)) {
    throw UserErrors.one("status", "INVALID_VALUE", {
      value: status,
      label: "status",
      allowed: WRITABLE_STATUSES.join(", "),
    });
  }
  let handle;
  try {
    handle = await openChannel(rt, order.channel_id);
  } catch (e) {
    if (e instanceof ChannelUnavailableError) {
      throw UserErrors.one("id", "CHANNEL_STATE", {
        status: e.status,
        action: "ghi trạng thái đơn / write order status",
      });
    }
    throw e;
  }
  const { connector, ctx, channel } = handle;
  if (!connector.setOrderStatus || !connector.capabilities.has("order.status")) {
    throw UserErrors.one("status", "MARKETPLACE_REFUSED", {
      reason: `${connector.displayName}: ${locale === "vi" ? "không hỗ trợ ghi trạng thái qua API" : "no status write-back through its API"}`,
    });
  }
  let result;
  try {
    result = await connector.setOrderStatus(ctx, order.external_order_id, status);
  } catch (e) {
    const ce = e instanceof ConnectorError ? e : null;
    result = {
      key: order.external_order_id,
      outcome: "failed_retriable" as const,
      remoteCode: ce?.code,
      remoteMessage: ce?.remoteMessage ?? (e as Error).message,
    };
  }
  if (result.outcome === "failed_fatal" || result.outcome === "failed_retriable") {
    const x = explainFailure({
      remoteCode: result.remoteCode,
      remoteMessage: result.remoteMessage,
      marketplace: channel.marketplace,
      kind: "order",
    });
    throw UserErrors.one("status", "MARKETPLACE_REFUSED", {
      reason: `${locale === "vi" ? x.messageVi : x.messageEn} ${locale === "vi" ? x.hintVi : x.hintEn}`,
    });
  }
  // Record what the marketplace now says, through the normal import (history, stock effects).
  if (connector.getOrders) {
    const fresh = await connector.getOrders(ctx, [order.external_order_id]);
    if (fresh.length) await importOrders(rt, channel.id, fresh, "PULL");
  }
  return order.id;
}
