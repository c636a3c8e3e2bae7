/** The Lazada connector instance the registry uses. */
import { LazadaConnector } from "./lazada.connector";

export { LazadaConnector, LAZADA_LIMITS } from "./lazada.connector";
export type { LazadaConnectorOptions } from "./lazada.connector";

export const connector = new LazadaConnector();
