/**
 * Preflight: everything we can check before a listing is sent, per channel and variant, so a seller
 * fixes problems once in the hub instead of reading four marketplaces' rejections. Each problem names
 * the field, a stable code, a Vietnamese and English message and a fix hint. The marketplace limits
 * live in ONE table below (sources: the connector READMEs and shared/docs/MARKETPLACES.md).
 */
import type { MarketplaceCode, RemoteAttribute } from "../channels/connectors/connector";
import type { BuiltDraft } from "./listing-draft";

export interface MarketplaceListingLimits {
  titleMin: number;
  titleMax: number;
  descriptionMin: number;
  descriptionMax: number;
  imagesMax: number;
  priceMinVnd: number;
  priceMaxVnd: number;
  /** Package weight is a required field of the create call. */
  weightRequired: boolean;
}

/**
 * Title and description limits count Unicode code points (NFC). Shopee: item_name ≤120, price
 * 1,000–120,000,000 đ (typical get_item_limit answer), ≤9 images. Lazada: name ≤255, ≤8 images,
 * price ≤1,000,000,000 đ. TikTok Shop: title 25–255 in VN, ≤9 main images, price ≤180,000,000 đ.
 * Tiki: name ≤255, description 100–100,000 characters, price 1,000–1,000,000,000 đ.
 */
export const LISTING_LIMITS: Record<MarketplaceCode, MarketplaceListingLimits> = {
  shopee: {
    titleMin: 1,
    titleMax: 120,
    descriptionMin: 1,
    descriptionMax: 3000,
    imagesMax: 9,
    priceMinVnd: 1_000,
    priceMaxVnd: 120_000_000,
    weightRequired: true,
  },
  lazada: {
    titleMin: 1,
    titleMax: 255,
    descriptionMin: 1,
    descriptionMax: 25_000,
    imagesMax: 8,
    priceMinVnd: 1,
    priceMaxVnd: 1_000_000_000,
    weightRequired: true,
  },
  "tiktok-shop": {
    titleMin: 25,
    titleMax: 255,
    descriptionMin: 1,
    descriptionMax: 10_000,
    imagesMax: 9,
    priceMinVnd: 1,
    priceMaxVnd: 180_000_000,
    weightRequired: true,
  },
  tiki: {
    titleMin: 1,
    titleMax: 255,
    descriptionMin: 100,
    descriptionMax: 100_000,
    imagesMax: 20,
    priceMinVnd: 1_000,
    priceMaxVnd: 1_000_000_000,
    weightRequired: false,
  },
};

export type ProblemSeverity = "ERROR" | "WARNING";

export interface PreflightProblem {
  channelId: string;
  productId: string;
  sku: string | null;
  /** Dotted path in the preview: "title", "category", "attributes.100095", "variants.SKU-1.priceVnd". */
  field: string;
  code: PreflightCode;
  severity: ProblemSeverity;
  messageVi: string;
  messageEn: string;
  hintVi: string;
  hintEn: string;
}

type P = Record<string, string | number>;
const TEXT = {
  CATEGORY_UNMAPPED: {
    vi: (p: P) => `Chưa có danh mục ${p.marketplace} cho nhóm "${p.category}".`,
    en: (p: P) => `No ${p.marketplace} category is mapped for "${p.category}".`,
    hintVi: () => `Gán danh mục bằng setCategoryMapping (xem remoteCategories của kênh).`,
    hintEn: () => `Map one with setCategoryMapping (see the channel's remoteCategories).`,
  },
  ATTRIBUTE_MISSING: {
    vi: (p: P) => `Thiếu thuộc tính bắt buộc "${p.name}".`,
    en: (p: P) => `Required attribute "${p.name}" is missing.`,
    hintVi: (p: P) => `Thêm setAttributeMapping cho thuộc tính ${p.id} của danh mục ${p.categoryId}.`,
    hintEn: (p: P) => `Add setAttributeMapping for attribute ${p.id} of category ${p.categoryId}.`,
  },
  IMAGE_MISSING: {
    vi: () => `Sản phẩm chưa có ảnh.`,
    en: () => `The product has no image.`,
    hintVi: () => `Thêm ít nhất một ảnh cho sản phẩm.`,
    hintEn: () => `Add at least one image to the product.`,
  },
  IMAGE_TOO_MANY: {
    vi: (p: P) => `Sàn nhận tối đa ${p.max} ảnh; sản phẩm có ${p.count}.`,
    en: (p: P) => `The marketplace takes at most ${p.max} images; the product has ${p.count}.`,
    hintVi: (p: P) => `Giữ lại ${p.max} ảnh đẹp nhất.`,
    hintEn: (p: P) => `Keep the best ${p.max} images.`,
  },
  TITLE_TOO_SHORT: {
    vi: (p: P) => `Tiêu đề cần ít nhất ${p.min} ký tự (hiện ${p.length}).`,
    en: (p: P) => `The title needs at least ${p.min} characters (now ${p.length}).`,
    hintVi: () => `Đặt tên sản phẩm đầy đủ hơn (loại, vùng, quy cách).`,
    hintEn: () => `Give the product a fuller name (kind, region, pack).`,
  },
  TITLE_TOO_LONG: {
    vi: (p: P) => `Tiêu đề dài tối đa ${p.max} ký tự (hiện ${p.length}).`,
    en: (p: P) => `The title is at most ${p.max} characters (now ${p.length}).`,
    hintVi: () => `Rút gọn tên sản phẩm.`,
    hintEn: () => `Shorten the product name.`,
  },
  DESCRIPTION_TOO_SHORT: {
    vi: (p: P) => `Mô tả cần ít nhất ${p.min} ký tự (hiện ${p.length}).`,
    en: (p: P) => `The description needs at least ${p.min} characters (now ${p.length}).`,
    hintVi: () => `Bổ sung mô tả hoặc câu chuyện sản phẩm.`,
    hintEn: () => `Add to the product's description or story.`,
  },
  DESCRIPTION_TOO_LONG: {
    vi: (p: P) => `Mô tả dài tối đa ${p.max} ký tự (hiện ${p.length}).`,
    en: (p: P) => `The description is at most ${p.max} characters (now ${p.length}).`,
    hintVi: () => `Rút gọn mô tả hoặc câu chuyện sản phẩm.`,
    hintEn: () => `Shorten the description or story.`,
  },
  PRICE_MISSING: {
    vi: (p: P) => `SKU ${p.sku} chưa có giá.`,
    en: (p: P) => `SKU ${p.sku} has no price.`,
    hintVi: () => `Đặt giá bán cho phân loại này trong danh mục gốc.`,
    hintEn: () => `Set a price for this variant in the master catalogue.`,
  },
  PRICE_OUT_OF_RANGE: {
    vi: (p: P) => `Giá sau quy tắc kênh (${p.price} ₫) ngoài khoảng sàn cho phép ${p.min}–${p.max} ₫.`,
    en: (p: P) => `The price after the channel rule (${p.price} ₫) is outside ${p.min}–${p.max} ₫.`,
    hintVi: () => `Sửa giá gốc hoặc quy tắc giá của kênh.`,
    hintEn: () => `Fix the catalogue price or the channel's price rule.`,
  },
  WEIGHT_MISSING: {
    vi: () => `Thiếu khối lượng đóng gói.`,
    en: () => `The package weight is missing.`,
    hintVi: () => `Nhập khối lượng (gram) cho các phân loại.`,
    hintEn: () => `Enter a weight in grams for the variants.`,
  },
  VARIANTS_TOO_MANY: {
    vi: (p: P) => `Sàn nhận tối đa ${p.max} phân loại mỗi sản phẩm; có ${p.count}.`,
    en: (p: P) => `The marketplace takes at most ${p.max} variants per listing; there are ${p.count}.`,
    hintVi: () => `Tách sản phẩm thành nhiều sản phẩm nhỏ hơn.`,
    hintEn: () => `Split the product into several.`,
  },
  NO_VARIANTS: {
    vi: () => `Sản phẩm chưa có phân loại (SKU) nào.`,
    en: () => `The product has no variant (SKU).`,
    hintVi: () => `Thêm ít nhất một SKU.`,
    hintEn: () => `Add at least one SKU.`,
  },
  PRODUCT_ARCHIVED: {
    vi: () => `Sản phẩm đã lưu trữ.`,
    en: () => `The product is archived.`,
    hintVi: () => `Khôi phục sản phẩm trước khi đăng bán.`,
    hintEn: () => `Restore the product before publishing it.`,
  },
  OCOP_CLAIM_UNCERTIFIED: {
    vi: () => `Nội dung nhắc tới OCOP nhưng sản phẩm không có chứng nhận OCOP còn hiệu lực.`,
    en: () => `The text mentions OCOP but the product has no OCOP certificate in force.`,
    hintVi: () => `Bỏ chữ OCOP khỏi tên/mô tả, hoặc ghi nhận quyết định OCOP còn hiệu lực.`,
    hintEn: () => `Remove "OCOP" from the name/description, or record a certificate in force.`,
  },
  CHANNEL_NOT_ACTIVE: {
    vi: (p: P) => `Kênh đang ở trạng thái ${p.status}.`,
    en: (p: P) => `The channel is ${p.status}.`,
    hintVi: () => `Kết nối lại hoặc tiếp tục kênh trước khi đăng.`,
    hintEn: () => `Reconnect or resume the channel first.`,
  },
  CATEGORY_ATTRIBUTES_UNAVAILABLE: {
    vi: () => `Không đọc được thuộc tính bắt buộc của danh mục từ sàn; chưa kiểm tra được.`,
    en: () => `The category's required attributes could not be read from the marketplace; not checked.`,
    hintVi: () => `Thử lại sau; sàn sẽ báo nếu còn thiếu.`,
    hintEn: () => `Try again later; the marketplace will report anything missing.`,
  },
} as const;

export type PreflightCode = keyof typeof TEXT;

export function problem(
  b: { channelId: string; productId: string },
  code: PreflightCode,
  field: string,
  params: P = {},
  opts: { sku?: string | null; severity?: ProblemSeverity } = {},
): PreflightProblem {
  const t = TEXT[code] as {
    vi: (p: P) => string;
    en: (p: P) => string;
    hintVi: (p: P) => string;
    hintEn: (p: P) => string;
  };
  return {
    channelId: b.channelId,
    productId: b.productId,
    sku: opts.sku ?? null,
    field,
    code,
    severity: opts.severity ?? "ERROR",
    messageVi: t.vi(params),
    messageEn: t.en(params),
    hintVi: t.hintVi(params),
    hintEn: t.hintEn(params),
  };
}

const OCOP_WORD = /\bOCOP\b/i;

/**
 * Problems of one built draft. `remoteAttributes` are the category's attributes from the connector
 * (null when they could not be read, undefined when the marketplace has no such call).
 */
export function checkDraft(
  b: BuiltDraft,
  remoteAttributes: RemoteAttribute[] | null | undefined,
  variantsPerListing: number,
): PreflightProblem[] {
  const out: PreflightProblem[] = [];
  const lim = LISTING_LIMITS[b.marketplace];
  const d = b.draft;
  if (b.productStatus !== "ACTIVE") out.push(problem(b, "PRODUCT_ARCHIVED", "product"));
  if (b.variants.length === 0) out.push(problem(b, "NO_VARIANTS", "variants"));
  if (b.variants.length > variantsPerListing)
    out.push(
      problem(b, "VARIANTS_TOO_MANY", "variants", { max: variantsPerListing, count: b.variants.length }),
    );
  if (!b.remoteCategoryId) {
    out.push(
      problem(b, "CATEGORY_UNMAPPED", "category", { marketplace: b.marketplace, category: b.category }),
    );
  } else if (remoteAttributes === null) {
    out.push(problem(b, "CATEGORY_ATTRIBUTES_UNAVAILABLE", "attributes", {}, { severity: "WARNING" }));
  } else if (remoteAttributes) {
    for (const a of remoteAttributes) {
      const v = d.attributes[a.id];
      if (a.required && (v === undefined || v === "" || (Array.isArray(v) && v.length === 0)))
        out.push(
          problem(b, "ATTRIBUTE_MISSING", `attributes.${a.id}`, {
            name: a.name,
            id: a.id,
            categoryId: b.remoteCategoryId,
          }),
        );
    }
  }
  if (b.imageSources.length === 0) out.push(problem(b, "IMAGE_MISSING", "images"));
  else if (b.imageSources.length > lim.imagesMax)
    out.push(
      problem(
        b,
        "IMAGE_TOO_MANY",
        "images",
        { max: lim.imagesMax, count: b.imageSources.length },
        { severity: "WARNING" },
      ),
    );
  const titleLength = [...d.title].length;
  if (titleLength < lim.titleMin)
    out.push(problem(b, "TITLE_TOO_SHORT", "title", { min: lim.titleMin, length: titleLength }));
  if (titleLength > lim.titleMax)
    out.push(problem(b, "TITLE_TOO_LONG", "title", { max: lim.titleMax, length: titleLength }));
  const descLength = [...d.description].length;
  if (descLength < lim.descriptionMin)
    out.push(
      problem(b, "DESCRIPTION_TOO_SHORT", "description", { min: lim.descriptionMin, length: descLength }),
    );
  if (descLength > lim.descriptionMax)
    out.push(
      problem(b, "DESCRIPTION_TOO_LONG", "description", { max: lim.descriptionMax, length: descLength }),
    );
  if (lim.weightRequired && !(d.weightGrams > 0)) out.push(problem(b, "WEIGHT_MISSING", "weightGrams"));
  // Our own title/description add the claim only with a certificate in force; the product's own
  // text may still say "OCOP", which a marketplace would show as a claim.
  if (!b.ocop) {
    if (OCOP_WORD.test(d.title)) out.push(problem(b, "OCOP_CLAIM_UNCERTIFIED", "title"));
    if (OCOP_WORD.test(d.description)) out.push(problem(b, "OCOP_CLAIM_UNCERTIFIED", "description"));
  }
  for (const v of b.variants) {
    const field = `variants.${v.sku}.priceVnd`;
    if (v.priceVnd === null) out.push(problem(b, "PRICE_MISSING", field, { sku: v.sku }, { sku: v.sku }));
    else if (v.priceVnd < lim.priceMinVnd || v.priceVnd > lim.priceMaxVnd)
      out.push(
        problem(
          b,
          "PRICE_OUT_OF_RANGE",
          field,
          { price: v.priceVnd, min: lim.priceMinVnd, max: lim.priceMaxVnd },
          { sku: v.sku },
        ),
      );
  }
  return out;
}

export function blocking(problems: PreflightProblem[]): boolean {
  return problems.some((p) => p.severity === "ERROR");
}
