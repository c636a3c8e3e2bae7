/** The Tiki connector instance the registry uses. */
import { TikiConnector } from "./tiki.connector";

export { TikiConnector, TIKI_LIMITS } from "./tiki.connector";

export const connector = new TikiConnector();
