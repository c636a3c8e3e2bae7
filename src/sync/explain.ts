/**
 * Turns a failure into something a producer can act on: one of our stable codes, a message in
 * Vietnamese and English, and a fix hint in both. Input is whatever we know: our own code (from
 * preflight, the dispatcher or reconciliation), or the marketplace's code and message as the
 * connector reported them (ItemResult.remoteCode/remoteMessage, ConnectorError.code). Each
 * marketplace's codes are mapped from its connector's errors file, README and sandbox; what is not
 * recognised becomes REMOTE_REJECTED, quoting the marketplace's own message.
 */
import type { MarketplaceCode } from "../channels/connectors/connector";

export type ExplainCode =
  | "AUTH_EXPIRED"
  | "NEEDS_REAUTH"
  | "RATE_LIMITED"
  | "REMOTE_UNAVAILABLE"
  | "REMOTE_NOT_APPLIED"
  | "SKU_NOT_FOUND_REMOTE"
  | "PRICE_OUT_OF_RANGE"
  | "STOCK_INVALID"
  | "CATEGORY_NOT_MAPPED"
  | "MISSING_ATTRIBUTE"
  | "IMAGE_REJECTED"
  | "TITLE_TOO_LONG"
  | "DUPLICATE_SKU_REMOTE"
  | "OCOP_CLAIM_WITHOUT_CERTIFICATE"
  | "NO_PRICE"
  | "NOT_LINKED"
  | "STOCK_DRIFT"
  | "PRICE_DRIFT"
  | "CONTENT_REVIEW_REQUIRED"
  | "CONTENT_IN_REVIEW"
  | "LISTING_IN_REVIEW"
  | "HIDDEN_PENDING_REVIEW"
  | "CONTENT_REVIEW_REJECTED"
  | "REMOTE_REJECTED";

export interface ExplainInput {
  /** Our own code, when the caller already knows what went wrong (wins over the remote code). */
  code?: string;
  remoteCode?: string;
  remoteMessage?: string;
  marketplace: MarketplaceCode;
  /** What was being written: price, stock, content, listing, order… (adds precision to fallbacks). */
  kind: string;
}

export interface Explanation {
  code: string;
  messageVi: string;
  messageEn: string;
  hintVi: string;
  hintEn: string;
}

const MARKETPLACE_NAMES: Record<MarketplaceCode, string> = {
  shopee: "Shopee",
  lazada: "Lazada",
  "tiktok-shop": "TikTok Shop",
  tiki: "Tiki",
};

interface Ctx {
  mp: string;
  kind: string;
  remote: string;
}

type Text = (c: Ctx) => string;
interface Entry {
  vi: Text;
  en: Text;
  hintVi: Text;
  hintEn: Text;
}

const KIND_VI: Record<string, string> = {
  price: "giá",
  stock: "tồn kho",
  content: "nội dung sản phẩm",
  listing: "sản phẩm",
  order: "đơn hàng",
  review: "đánh giá",
};

function kindVi(kind: string): string {
  return KIND_VI[kind] ?? kind;
}

/** The marketplace's words, quoted, when it gave any. */
function quote(c: Ctx): string {
  return c.remote ? ` (${c.mp}: "${c.remote}")` : "";
}

export const EXPLANATIONS: Record<ExplainCode, Entry> = {
  AUTH_EXPIRED: {
    vi: (c) => `Phiên đăng nhập ${c.mp} của gian hàng đã hết hạn.`,
    en: (c) => `The shop's ${c.mp} access token has expired.`,
    hintVi: () => `Hệ thống sẽ tự gia hạn và thử lại; nếu lỗi lặp lại, hãy kết nối lại gian hàng.`,
    hintEn: () => `The hub refreshes the token and retries; if this repeats, reconnect the shop.`,
  },
  NEEDS_REAUTH: {
    vi: (c) => `${c.mp} đã thu hồi quyền truy cập của gian hàng; không thể đồng bộ.`,
    en: (c) => `${c.mp} no longer accepts the shop's authorization; nothing can be synced.`,
    hintVi: (c) => `Chủ gian hàng cần đăng nhập ${c.mp} và cấp quyền lại cho kênh này.`,
    hintEn: (c) => `The shop owner must sign in to ${c.mp} and authorize this channel again.`,
  },
  RATE_LIMITED: {
    vi: (c) => `${c.mp} đang giới hạn số lần gọi; chưa cập nhật được ${kindVi(c.kind)}.`,
    en: (c) => `${c.mp} is rate-limiting the shop; the ${c.kind} update did not go through yet.`,
    hintVi: () => `Không cần làm gì: hệ thống tự thử lại chậm hơn.`,
    hintEn: () => `Nothing to do: the hub retries more slowly on its own.`,
  },
  REMOTE_UNAVAILABLE: {
    vi: (c) => `${c.mp} tạm thời lỗi hoặc quá tải${quote(c)}.`,
    en: (c) => `${c.mp} is temporarily failing or overloaded${quote(c)}.`,
    hintVi: () => `Hệ thống tự thử lại; nếu kéo dài, kiểm tra trang trạng thái của sàn.`,
    hintEn: () => `The hub retries on its own; if it lasts, check the marketplace's status page.`,
  },
  CONTENT_REVIEW_REQUIRED: {
    vi: (c) =>
      `${c.mp} duyệt mọi thay đổi nội dung (tên, mô tả, ảnh); giá và tồn kho đã được cập nhật, nội dung thì chưa.`,
    en: (c) =>
      `${c.mp} reviews every content change (title, description, images); price and stock were updated, content was not.`,
    hintVi: (c) =>
      `Gửi yêu cầu cập nhật sản phẩm trong trang người bán ${c.mp}; hệ thống sẽ gửi lại khi nội dung thay đổi lần sau.`,
    hintEn: (c) =>
      `Submit a product update request in the ${c.mp} seller centre; the hub sends again on the next content change.`,
  },
  LISTING_IN_REVIEW: {
    vi: (c) =>
      `${c.mp} duyệt mọi sản phẩm mới: yêu cầu tạo sản phẩm đã được gửi và đang chờ duyệt; sản phẩm lên sàn (với giá và tồn kho hiện tại) khi được duyệt.`,
    en: (c) =>
      `${c.mp} reviews every new product: the creation request was sent and awaits review; the product goes live (with the current price and stock) once approved.`,
    hintVi: () => `Không cần làm gì: hệ thống theo dõi yêu cầu và liên kết sản phẩm khi sàn duyệt.`,
    hintEn: () =>
      `Nothing to do: the hub follows the request and links the product when the marketplace approves.`,
  },
  CONTENT_IN_REVIEW: {
    vi: (c) =>
      `${c.mp} duyệt mọi thay đổi nội dung: yêu cầu cập nhật (tên, mô tả, ảnh) đã được gửi và đang chờ duyệt; giá và tồn kho đã được cập nhật.`,
    en: (c) =>
      `${c.mp} reviews every content change: the update request (title, description, images) was sent and awaits review; price and stock were updated.`,
    hintVi: () => `Không cần làm gì: hệ thống theo dõi yêu cầu và ghi nhận khi sàn duyệt.`,
    hintEn: () => `Nothing to do: the hub follows the request and records it when the marketplace approves.`,
  },
  HIDDEN_PENDING_REVIEW: {
    vi: (c) =>
      `Sản phẩm đang tạm ẩn trên ${c.mp}: nội dung đang hiển thị còn ghi hạng OCOP không còn hiệu lực, và ${c.mp} đang duyệt nội dung mới.`,
    en: (c) =>
      `The product is hidden on ${c.mp} for now: what buyers would see still claims an OCOP star that is no longer valid, and ${c.mp} is reviewing the new content.`,
    hintVi: () =>
      `Không cần làm gì: sản phẩm tự mở bán lại khi sàn duyệt nội dung mới. Nếu bị từ chối, hệ thống sẽ báo lý do.`,
    hintEn: () =>
      `Nothing to do: the product goes back on sale when the marketplace approves the new content. If it is rejected, the hub says why.`,
  },
  CONTENT_REVIEW_REJECTED: {
    vi: (c) => `${c.mp} từ chối yêu cầu sản phẩm (tạo mới hoặc cập nhật nội dung)${quote(c)}.`,
    en: (c) => `${c.mp} rejected the product request (new product or content update)${quote(c)}.`,
    hintVi: (c) =>
      `Sửa nội dung theo lý do ${c.mp} nêu (tên, thuộc tính, ảnh) rồi lưu sản phẩm: hệ thống gửi yêu cầu mới. Nếu sản phẩm đang bị ẩn vì hạng OCOP cũ, nó sẽ mở bán lại khi yêu cầu mới được duyệt.`,
    hintEn: (c) =>
      `Fix the content as ${c.mp} says (title, attributes, images) and save the product: the hub sends a new request. A product hidden because of its old OCOP claim goes back on sale once the new request is approved.`,
  },
  REMOTE_NOT_APPLIED: {
    vi: (c) => `${c.mp} báo thành công nhưng ${kindVi(c.kind)} đọc lại vẫn chưa đổi, sau nhiều lần gửi.`,
    en: (c) => `${c.mp} answered OK but reading the ${c.kind} back shows it unchanged, after several pushes.`,
    hintVi: (c) =>
      `Kiểm tra sản phẩm trên ${c.mp} (có bị khóa, đang duyệt hay có chương trình khuyến mãi không); hệ thống sẽ gửi lại khi giá trị thay đổi hoặc khi đối soát.`,
    hintEn: (c) =>
      `Check the item on ${c.mp} (locked, under review, or in a promotion); the hub pushes again on the next change or reconciliation.`,
  },
  SKU_NOT_FOUND_REMOTE: {
    vi: (c) => `Không tìm thấy sản phẩm/SKU này trên ${c.mp}${quote(c)}.`,
    en: (c) => `This item/SKU no longer exists on ${c.mp}${quote(c)}.`,
    hintVi: (c) => `Sản phẩm có thể đã bị xóa trên ${c.mp}: đăng lại sản phẩm, hoặc liên kết lại theo SKU.`,
    hintEn: (c) => `It may have been deleted on ${c.mp}: publish the product again, or relink it by SKU.`,
  },
  PRICE_OUT_OF_RANGE: {
    vi: (c) => `${c.mp} không chấp nhận mức giá này${quote(c)}.`,
    en: (c) => `${c.mp} does not accept this price${quote(c)}.`,
    hintVi: () => `Kiểm tra giá bán của biến thể và quy tắc giá của kênh (tăng %, làm tròn, giá sàn).`,
    hintEn: () => `Check the variant's price and the channel's price rule (markup, rounding, floor).`,
  },
  STOCK_INVALID: {
    vi: (c) => `${c.mp} không chấp nhận số lượng tồn kho này${quote(c)}.`,
    en: (c) => `${c.mp} does not accept this stock quantity${quote(c)}.`,
    hintVi: () => `Kiểm tra tồn kho của biến thể và quy tắc tồn kho của kênh (tỷ lệ, giữ lại, tối đa).`,
    hintEn: () => `Check the variant's stock and the channel's stock rule (share, buffer, maximum).`,
  },
  CATEGORY_NOT_MAPPED: {
    vi: (c) => `Danh mục của sản phẩm chưa được ánh xạ sang danh mục hợp lệ của ${c.mp}${quote(c)}.`,
    en: (c) => `The product's category is not mapped to a valid ${c.mp} category${quote(c)}.`,
    hintVi: (c) => `Thêm ánh xạ danh mục cho ${c.mp} (danh mục lá) rồi đăng lại.`,
    hintEn: (c) => `Add a category mapping for ${c.mp} (a leaf category), then publish again.`,
  },
  MISSING_ATTRIBUTE: {
    vi: (c) => `Thiếu hoặc sai thuộc tính bắt buộc của danh mục trên ${c.mp}${quote(c)}.`,
    en: (c) => `A required ${c.mp} category attribute is missing or invalid${quote(c)}.`,
    hintVi: () => `Bổ sung ánh xạ thuộc tính cho danh mục này (giá trị cố định hoặc lấy từ sản phẩm).`,
    hintEn: () => `Add an attribute mapping for this category (a fixed value or a product field).`,
  },
  IMAGE_REJECTED: {
    vi: (c) => `${c.mp} từ chối hình ảnh sản phẩm${quote(c)}.`,
    en: (c) => `${c.mp} rejected the product images${quote(c)}.`,
    hintVi: () => `Dùng ảnh JPG hoặc PNG rõ nét, đúng kích thước sàn yêu cầu, rồi đăng lại.`,
    hintEn: () => `Use sharp JPG or PNG images of the size the marketplace asks for, then publish again.`,
  },
  TITLE_TOO_LONG: {
    vi: (c) => `Tên sản phẩm không đạt yêu cầu độ dài của ${c.mp}${quote(c)}.`,
    en: (c) => `The product title does not meet ${c.mp}'s length limits${quote(c)}.`,
    hintVi: () => `Rút gọn (hoặc bổ sung) tên sản phẩm cho đúng giới hạn của sàn.`,
    hintEn: () => `Shorten (or complete) the product title to fit the marketplace's limits.`,
  },
  DUPLICATE_SKU_REMOTE: {
    vi: (c) => `SKU này đã tồn tại trên ${c.mp} ở một sản phẩm khác${quote(c)}.`,
    en: (c) => `This SKU already exists on ${c.mp} on another item${quote(c)}.`,
    hintVi: () => `Liên kết sản phẩm có sẵn theo SKU thay vì tạo mới, hoặc đổi SKU.`,
    hintEn: () => `Link the existing item by SKU instead of creating a new one, or change the SKU.`,
  },
  OCOP_CLAIM_WITHOUT_CERTIFICATE: {
    vi: () => `Sản phẩm ghi "OCOP" nhưng không có giấy chứng nhận OCOP còn hiệu lực.`,
    en: () => `The product claims OCOP but has no valid OCOP certificate.`,
    hintVi: () => `Cập nhật quyết định công nhận OCOP còn hạn, hoặc bỏ nội dung OCOP khỏi sản phẩm.`,
    hintEn: () => `Record a current OCOP certification decision, or remove the OCOP claim.`,
  },
  NO_PRICE: {
    vi: () => `Biến thể chưa có giá bán nên không thể gửi giá lên sàn.`,
    en: () => `The variant has no price yet, so no price can be pushed.`,
    hintVi: () => `Nhập giá bán (đồng) cho biến thể.`,
    hintEn: () => `Enter a price (whole đồng) for the variant.`,
  },
  NOT_LINKED: {
    vi: (c) => `Sản phẩm chưa được liên kết với mã sản phẩm trên ${c.mp}.`,
    en: (c) => `The listing is not linked to a ${c.mp} item id yet.`,
    hintVi: () => `Đăng sản phẩm lên kênh, hoặc liên kết theo SKU.`,
    hintEn: () => `Publish the product to the channel, or link it by SKU.`,
  },
  STOCK_DRIFT: {
    vi: (c) => `Tồn kho trên ${c.mp} khác với tồn kho hệ thống muốn hiển thị.`,
    en: (c) => `The stock shown on ${c.mp} differs from what the hub wants shown.`,
    hintVi: () => `Hệ thống đã tự gửi lại giá trị đúng. Nếu lặp lại, tránh sửa tồn kho trực tiếp trên sàn.`,
    hintEn: () =>
      `The hub pushed the right value again. If it keeps happening, avoid editing stock on the marketplace.`,
  },
  PRICE_DRIFT: {
    vi: (c) => `Giá trên ${c.mp} khác với giá hệ thống muốn hiển thị.`,
    en: (c) => `The price shown on ${c.mp} differs from what the hub wants shown.`,
    hintVi: () => `Hệ thống đã tự gửi lại giá đúng. Nếu lặp lại, tránh sửa giá trực tiếp trên sàn.`,
    hintEn: () =>
      `The hub pushed the right price again. If it keeps happening, avoid editing prices on the marketplace.`,
  },
  REMOTE_REJECTED: {
    vi: (c) => `${c.mp} từ chối cập nhật ${kindVi(c.kind)}${quote(c)}.`,
    en: (c) => `${c.mp} rejected the ${c.kind} update${quote(c)}.`,
    hintVi: (c) => `Đọc thông báo của ${c.mp} ở trên, sửa dữ liệu sản phẩm rồi đồng bộ lại.`,
    hintEn: (c) => `Read ${c.mp}'s message above, fix the product data and sync again.`,
  },
};

/** Exact codes per marketplace (from each connector's errors file, README and sandbox). */
const EXACT: Record<MarketplaceCode, Record<string, ExplainCode>> = {
  shopee: {
    invalid_access_token: "AUTH_EXPIRED",
    invalid_acceess_token: "AUTH_EXPIRED",
    error_access_token: "AUTH_EXPIRED",
    refresh_token_expired: "NEEDS_REAUTH",
    shop_access_expired: "NEEDS_REAUTH",
    error_shop_refresh_token: "NEEDS_REAUTH",
    invalid_refresh_token: "NEEDS_REAUTH",
    error_auth_expired: "NEEDS_REAUTH",
    error_server: "REMOTE_UNAVAILABLE",
    error_inner: "REMOTE_UNAVAILABLE",
    error_network: "REMOTE_UNAVAILABLE",
    error_system_busy: "REMOTE_UNAVAILABLE",
    error_busy: "REMOTE_UNAVAILABLE",
    error_update_price_fail: "REMOTE_UNAVAILABLE",
    error_busi_update_stock_failed: "REMOTE_UNAVAILABLE",
    not_acknowledged: "REMOTE_NOT_APPLIED",
    error_item_not_found: "SKU_NOT_FOUND_REMOTE",
    models_missing: "SKU_NOT_FOUND_REMOTE",
    error_price_out_of_range: "PRICE_OUT_OF_RANGE",
    error_invalid_price: "PRICE_OUT_OF_RANGE",
    error_category_invalid: "CATEGORY_NOT_MAPPED",
    error_invalid_category: "CATEGORY_NOT_MAPPED",
    error_attribute_invalid: "MISSING_ATTRIBUTE",
    error_invalid_image_format: "IMAGE_REJECTED",
    error_item_name_length: "TITLE_TOO_LONG",
    error_duplicate: "DUPLICATE_SKU_REMOTE",
  },
  lazada: {
    IllegalAccessToken: "AUTH_EXPIRED",
    InvalidAccessToken: "AUTH_EXPIRED",
    AccessTokenExpired: "AUTH_EXPIRED",
    IllegalRefreshToken: "NEEDS_REAUTH",
    RefreshTokenExpired: "NEEDS_REAUTH",
    SellerAuthorizationRevoked: "NEEDS_REAUTH",
    ApiCallLimit: "RATE_LIMITED",
    AppCallLimit: "RATE_LIMITED",
    E901: "RATE_LIMITED",
    "901": "RATE_LIMITED",
    ServiceUnavailable: "REMOTE_UNAVAILABLE",
    ServiceTimeout: "REMOTE_UNAVAILABLE",
    InternalError: "REMOTE_UNAVAILABLE",
    SystemError: "REMOTE_UNAVAILABLE",
    "ISP.ServiceUnavailable": "REMOTE_UNAVAILABLE",
    E006: "REMOTE_UNAVAILABLE",
    "513": "REMOTE_UNAVAILABLE",
    E513: "REMOTE_UNAVAILABLE",
    "1000": "REMOTE_UNAVAILABLE",
    SELLER_SKU_NOT_FOUND: "SKU_NOT_FOUND_REMOTE",
    BIZ_CHECK_PRICE_IS_ZERO: "PRICE_OUT_OF_RANGE",
    BIZ_CHECK_PRICE_PRECISION_INVALID: "PRICE_OUT_OF_RANGE",
    BIZ_CHECK_PRICE_OUT_OF_RANGE: "PRICE_OUT_OF_RANGE",
    BIZ_CHECK_QUANTITY_INVALID: "STOCK_INVALID",
    BIZ_CHECK_CAT_PROP_MANDATORY: "MISSING_ATTRIBUTE",
    CHK_BASIC_REQUIRED: "MISSING_ATTRIBUTE",
    NO_SALE_PROP: "CATEGORY_NOT_MAPPED",
    BIZ_CHECK_SELLER_SKU_DUPLICATE: "DUPLICATE_SKU_REMOTE",
  },
  "tiktok-shop": {
    "105002": "AUTH_EXPIRED",
    "105005": "NEEDS_REAUTH",
    "101000": "NEEDS_REAUTH",
    "36004005": "NEEDS_REAUTH",
    "36009002": "RATE_LIMITED",
    "36009007": "REMOTE_UNAVAILABLE",
    "12019022": "SKU_NOT_FOUND_REMOTE",
    "12052048": "SKU_NOT_FOUND_REMOTE",
    "12052073": "PRICE_OUT_OF_RANGE",
    INVALID_PRICE: "PRICE_OUT_OF_RANGE",
    "12052074": "STOCK_INVALID",
    "12052201": "TITLE_TOO_LONG",
    "12052202": "CATEGORY_NOT_MAPPED",
    "12052203": "MISSING_ATTRIBUTE",
    "12052204": "IMAGE_REJECTED",
    "12052206": "DUPLICATE_SKU_REMOTE",
  },
  tiki: {
    CONTENT_REVIEW_REQUIRED: "CONTENT_REVIEW_REQUIRED",
    CONTENT_IN_REVIEW: "CONTENT_IN_REVIEW",
    LISTING_IN_REVIEW: "LISTING_IN_REVIEW",
    HIDDEN_PENDING_REVIEW: "HIDDEN_PENDING_REVIEW",
    REQUEST_REJECTED: "CONTENT_REVIEW_REJECTED",
    invalid_grant: "NEEDS_REAUTH",
    access_denied: "NEEDS_REAUTH",
    unauthorized_client: "NEEDS_REAUTH",
    invalid_scope: "NEEDS_REAUTH",
    temporarily_unavailable: "REMOTE_UNAVAILABLE",
    server_error: "REMOTE_UNAVAILABLE",
    INTERNAL_ERROR: "REMOTE_UNAVAILABLE",
    HTTP_401: "AUTH_EXPIRED",
    HTTP_429: "RATE_LIMITED",
    HTTP_500: "REMOTE_UNAVAILABLE",
    HTTP_502: "REMOTE_UNAVAILABLE",
    HTTP_503: "REMOTE_UNAVAILABLE",
    HTTP_504: "REMOTE_UNAVAILABLE",
    PRODUCT_NOT_FOUND: "SKU_NOT_FOUND_REMOTE",
    INVALID_PRICE: "PRICE_OUT_OF_RANGE",
    INVALID_QUANTITY: "STOCK_INVALID",
    CATEGORY_NOT_FOUND: "CATEGORY_NOT_MAPPED",
    ATTRIBUTE_NOT_FOUND: "MISSING_ATTRIBUTE",
  },
};

/**
 * Patterns over code + message for what the exact tables miss (Shopee puts per-model reasons in
 * free text; every marketplace has codes we have not met). Order matters: first match wins.
 */
const PATTERNS: Array<[RegExp, ExplainCode]> = [
  [/too many requests|rate.?limit|call.?limit|frequen|\b429\b/i, "RATE_LIMITED"],
  [/refresh.?token|authori[sz]ation (revoked|expired)|not (longer )?authori[sz]ed/i, "NEEDS_REAUTH"],
  [/access.?token|token (expired|invalid)/i, "AUTH_EXPIRED"],
  [/try (again )?later|busy|time(d)? ?out|system error|unavailable|\b50[0-4]\b/i, "REMOTE_UNAVAILABLE"],
  [/duplicat|already exist/i, "DUPLICATE_SKU_REMOTE"],
  [
    /not.?found|wrong model_id|no longer exist|does not exist|invalid.*(sku|item|model).?id/i,
    "SKU_NOT_FOUND_REMOTE",
  ],
  [/price/i, "PRICE_OUT_OF_RANGE"],
  [/stock|quantity|inventory/i, "STOCK_INVALID"],
  [/title|item_name|name.*(long|length)/i, "TITLE_TOO_LONG"],
  [/image/i, "IMAGE_REJECTED"],
  [/categor/i, "CATEGORY_NOT_MAPPED"],
  [/attribute|mandatory/i, "MISSING_ATTRIBUTE"],
];

/** "product.error_param" → "error_param" (Shopee namespaces some names). */
function baseName(code: string): string {
  const dot = code.lastIndexOf(".");
  return dot >= 0 && !/^\d/.test(code) ? code.slice(dot + 1) : code;
}

/** Our code for a failure, without the texts. */
export function classifyFailure(input: ExplainInput): ExplainCode {
  if (input.code && input.code in EXPLANATIONS) return input.code as ExplainCode;
  const remote = (input.remoteCode ?? "").trim();
  // Shopee says "too many requests" under the generic error_server name: the message decides.
  if (PATTERNS[0][0].test(input.remoteMessage ?? "")) return "RATE_LIMITED";
  const exact = EXACT[input.marketplace] ?? {};
  const hit = exact[remote] ?? exact[baseName(remote)];
  if (hit) return hit;
  // Shopee's per-model failures and Shopee/connector-side "invalid_value" carry the meaning in
  // the message; so do generic HTTP codes.
  const text = `${remote} ${input.remoteMessage ?? ""}`;
  if (remote === "invalid_value" || remote === "INVALID_VALUE") {
    if (input.kind === "price") return "PRICE_OUT_OF_RANGE";
    if (input.kind === "stock") return "STOCK_INVALID";
  }
  for (const [re, code] of PATTERNS) if (re.test(text)) return code;
  return "REMOTE_REJECTED";
}

export function explainFailure(input: ExplainInput): Explanation {
  const code = classifyFailure(input);
  const entry = EXPLANATIONS[code];
  const ctx: Ctx = {
    mp: MARKETPLACE_NAMES[input.marketplace] ?? input.marketplace,
    kind: input.kind,
    remote: (input.remoteMessage || input.remoteCode || "").slice(0, 300),
  };
  return {
    code,
    messageVi: entry.vi(ctx),
    messageEn: entry.en(ctx),
    hintVi: entry.hintVi(ctx),
    hintEn: entry.hintEn(ctx),
  };
}
