/** TikTok Shop connector entry point: the registry imports `connector` from here. */
import { TiktokShopConnector } from "./tiktok-shop.connector";

export { TiktokShopConnector } from "./tiktok-shop.connector";

export const connector = new TiktokShopConnector();
