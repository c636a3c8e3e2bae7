/** The Shopee connector instance the registry uses. */
import { ShopeeConnector } from "./shopee.connector";

export { ShopeeConnector };
export const connector = new ShopeeConnector();
