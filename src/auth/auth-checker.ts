/**
 * The one auth checker behind every @Authorized(): a caller must present a valid API key, and the
 * key's role must be among the listed ones (none listed = any role). Row-level rules (which
 * producer) are enforced in the services through the Viewer.
 */
import type { AuthChecker } from "type-graphql";
import type { HubContext } from "../app/context";

export const authChecker: AuthChecker<HubContext> = ({ context }, roles) => {
  const viewer = context.viewer;
  if (!viewer) return false;
  return roles.length === 0 || roles.includes(viewer.role);
};
