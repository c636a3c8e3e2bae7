/**
 * User-facing messages in Vietnamese (default) and English, keyed by a stable code.
 * Services raise codes with parameters; the API edge renders them in the caller's language.
 */
export type Locale = "vi" | "en";

type Params = Record<string, string | number | undefined>;
type Render = (p: Params) => string;

export const MESSAGES = {
  REQUIRED: { vi: (p) => `Trường "${p.label}" là bắt buộc.`, en: (p) => `"${p.label}" is required.` },
  TOO_LONG: {
    vi: (p) => `"${p.label}" dài tối đa ${p.max} ký tự.`,
    en: (p) => `"${p.label}" must be at most ${p.max} characters.`,
  },
  TOO_SHORT: {
    vi: (p) => `"${p.label}" cần ít nhất ${p.min} ký tự.`,
    en: (p) => `"${p.label}" must be at least ${p.min} characters.`,
  },
  OUT_OF_RANGE: {
    vi: (p) => `"${p.label}" phải nằm trong khoảng ${p.min} đến ${p.max}.`,
    en: (p) => `"${p.label}" must be between ${p.min} and ${p.max}.`,
  },
  INVALID_FORMAT: {
    vi: (p) => `"${p.label}" không đúng định dạng${p.hint ? ` (${p.hint})` : ""}.`,
    en: (p) => `"${p.label}" has an invalid format${p.hint ? ` (${p.hint})` : ""}.`,
  },
  INVALID_VALUE: {
    vi: (p) =>
      `Giá trị "${p.value}" không hợp lệ cho "${p.label}"${p.allowed ? `; chọn một trong: ${p.allowed}` : ""}.`,
    en: (p) =>
      `"${p.value}" is not a valid value for "${p.label}"${p.allowed ? `; use one of: ${p.allowed}` : ""}.`,
  },
  INVALID_SKU: {
    vi: () => `SKU chỉ gồm chữ, số, dấu gạch ngang, gạch dưới hoặc dấu chấm (1–64 ký tự).`,
    en: () => `A SKU uses letters, digits, "-", "_" or "." only (1–64 characters).`,
  },
  INVALID_TAX_CODE: {
    vi: () => `Mã số thuế gồm 10 chữ số, hoặc 10 chữ số, dấu "-" và 3 chữ số cho chi nhánh.`,
    en: () => `A tax code has 10 digits, or 10 digits, "-" and 3 digits for a branch.`,
  },
  INVALID_PHONE: {
    vi: () => `Số điện thoại Việt Nam gồm 10 chữ số bắt đầu bằng 0 (hoặc +84).`,
    en: () => `A Vietnamese phone number has 10 digits starting with 0 (or +84).`,
  },
  INVALID_MONEY: {
    vi: (p) => `"${p.label}" phải là số đồng nguyên từ 0 đến ${p.max} ₫.`,
    en: (p) => `"${p.label}" must be whole đồng from 0 to ${p.max} ₫.`,
  },
  NOT_FOUND: {
    vi: (p) => `Không tìm thấy ${p.entity ?? "đối tượng"}${p.id ? ` "${p.id}"` : ""}.`,
    en: (p) => `${p.entity ?? "Object"}${p.id ? ` "${p.id}"` : ""} was not found.`,
  },
  DUPLICATE_SKU: {
    vi: (p) => `SKU "${p.sku}" đã được dùng cho một sản phẩm khác của cùng chủ thể.`,
    en: (p) => `SKU "${p.sku}" is already used by another product of the same producer.`,
  },
  DUPLICATE: {
    vi: (p) => `"${p.label}" đã tồn tại: ${p.value}.`,
    en: (p) => `"${p.label}" already exists: ${p.value}.`,
  },
  STOCK_CONFLICT: {
    vi: (p) => `Tồn kho đã thay đổi (hiện là ${p.actual}, bạn dự kiến ${p.expected}). Tải lại rồi thử lại.`,
    en: (p) =>
      `Stock changed meanwhile (it is ${p.actual}, you expected ${p.expected}). Reload and try again.`,
  },
  INSUFFICIENT_STOCK: {
    vi: (p) => `Không đủ tồn kho: có ${p.available}, cần ${p.requested}.`,
    en: (p) => `Not enough stock: ${p.available} available, ${p.requested} requested.`,
  },
  BELOW_RESERVED: {
    vi: (p) => `Tồn kho không thể thấp hơn số đã giữ cho đơn hàng (${p.reserved}).`,
    en: (p) => `Stock on hand cannot go below what is reserved for orders (${p.reserved}).`,
  },
  FORBIDDEN: {
    vi: () => `Bạn không có quyền thực hiện thao tác này.`,
    en: () => `You are not allowed to do this.`,
  },
  ARCHIVED: {
    vi: () => `Sản phẩm đã lưu trữ; khôi phục trước khi sửa.`,
    en: () => `The product is archived; restore it before editing.`,
  },
  SCORE_STAR_MISMATCH: {
    vi: (p) => `Điểm ${p.score} ứng với hạng ${p.expected} sao, không phải ${p.star} sao.`,
    en: (p) => `A score of ${p.score} gives ${p.expected} stars, not ${p.star}.`,
  },
  DATE_IN_FUTURE: {
    vi: (p) => `"${p.label}" không thể ở tương lai.`,
    en: (p) => `"${p.label}" cannot be in the future.`,
  },
  CSV_INVALID: {
    vi: (p) => `Không đọc được tệp CSV: ${p.reason}.`,
    en: (p) => `The CSV could not be read: ${p.reason}.`,
  },
  CSV_MISSING_COLUMNS: {
    vi: (p) => `Tệp CSV thiếu cột: ${p.columns}.`,
    en: (p) => `The CSV lacks columns: ${p.columns}.`,
  },
  TOO_MANY_ROWS: {
    vi: (p) => `Tối đa ${p.max} dòng mỗi lần nhập.`,
    en: (p) => `At most ${p.max} rows per import.`,
  },
  IMPORT_ROW_FAILED: {
    vi: (p) => `Không lưu được dòng này (${p.reason}); các dòng khác không bị ảnh hưởng.`,
    en: (p) => `This row could not be saved (${p.reason}); other rows were not affected.`,
  },
  EMPTY_LIST: {
    vi: (p) => `"${p.label}" cần ít nhất một phần tử.`,
    en: (p) => `"${p.label}" needs at least one item.`,
  },
  INVALID_CREDENTIALS: {
    vi: () => `Email hoặc mật khẩu không đúng.`,
    en: () => `Wrong email or password.`,
  },
  INVALID_REFRESH_TOKEN: {
    vi: () => `Phiên đăng nhập đã hết hạn hoặc bị thu hồi; hãy đăng nhập lại.`,
    en: () => `The session has expired or was revoked; please log in again.`,
  },
  SCOPES_NOT_HELD: {
    vi: () => `Không thể cấp quyền mà bạn không có ở phạm vi này.`,
    en: () => `You cannot grant scopes you do not hold there yourself.`,
  },
  MEMBERSHIP_TARGET: {
    vi: (p) =>
      `Vai trò ${p.role ?? ""} cần đúng đối tượng: ORG_ADMIN gắn với tổ chức, PRODUCER_OWNER/PRODUCER_STAFF gắn với chủ thể, PLATFORM_ADMIN/OPS không gắn với đối tượng nào; chỉ chọn một.`,
    en: (p) =>
      `Role ${p.role ?? ""} needs the right target: ORG_ADMIN an organization, PRODUCER_OWNER/PRODUCER_STAFF a producer, PLATFORM_ADMIN/OPS none; give at most one.`,
  },
  CHANNEL_STATE: {
    vi: (p) => `Kênh đang ở trạng thái ${p.status}; không thể ${p.action}.`,
    en: (p) => `The channel is ${p.status}; it cannot ${p.action}.`,
  },
  APP_CREDENTIALS_MISSING: {
    vi: (p) => `Thiếu khóa ứng dụng ${p.marketplace}: truyền appKey/appSecret hoặc đặt ${p.env}.`,
    en: (p) => `No ${p.marketplace} app credentials: pass appKey/appSecret or set ${p.env}.`,
  },
  AUTH_STATE_INVALID: {
    vi: () => `Yêu cầu ủy quyền không tồn tại, đã dùng hoặc đã hết hạn; hãy tạo liên kết ủy quyền mới.`,
    en: () => `The authorization request is unknown, used or expired; create a new authorization link.`,
  },
  MARKETPLACE_REFUSED: {
    vi: (p) => `Sàn từ chối yêu cầu (${p.reason}).`,
    en: (p) => `The marketplace refused the request (${p.reason}).`,
  },
  INVALID_CRON: {
    vi: (p) => `Lịch "${p.value}" không phải biểu thức cron hợp lệ (5 hoặc 6 trường, giờ Việt Nam).`,
    en: (p) => `"${p.value}" is not a valid cron expression (5 or 6 fields, Vietnam time).`,
  },
  OCOP_TEMPLATE_PLACEHOLDER: {
    vi: (p) => `Mẫu hậu tố OCOP có chỗ thay thế không hợp lệ "${p.value}"; chỉ dùng: ${p.allowed}.`,
    en: (p) => `The OCOP suffix template has an invalid placeholder "${p.value}"; use only: ${p.allowed}.`,
  },
  OCOP_TEMPLATE_LINE_BREAK: {
    vi: () => `Hậu tố OCOP nằm trong tiêu đề nên không được chứa xuống dòng hay tab.`,
    en: () => `The OCOP suffix is part of the title: no line breaks or tabs.`,
  },
  CERTIFICATION_STATE: {
    vi: (p) => `Chứng nhận OCOP này đã bị thu hồi (${p.state}); không thu hồi lại được.`,
    en: (p) => `This OCOP certification is already revoked (${p.state}); it cannot be revoked again.`,
  },
  REPORT_PERIOD: {
    vi: (p) =>
      `Kỳ báo cáo không hợp lệ: "từ ngày" phải trước hoặc bằng "đến ngày" và dài tối đa ${p.max} ngày.`,
    en: (p) => `Invalid report period: "from" must be on or before "to", and at most ${p.max} days long.`,
  },
  QUEUE_UNAVAILABLE: {
    vi: () => `Hàng đợi công việc chưa chạy trên máy chủ này; hãy thử lại sau hoặc báo cho bộ phận vận hành.`,
    en: () => `The job queue is not running on this server; try again later or tell the operations team.`,
  },
  REVIEWS_UNSUPPORTED: {
    vi: (p) =>
      `${p.marketplace} không công bố API đánh giá cho người bán; không kéo được đánh giá từ kênh này.`,
    en: (p) => `${p.marketplace} publishes no seller review API; reviews cannot be pulled from this channel.`,
  },
  REVIEW_REPLY_UNSUPPORTED: {
    vi: (p) =>
      `${p.marketplace} không cho trả lời đánh giá qua API; hãy trả lời trong trang quản lý của sàn.`,
    en: (p) => `${p.marketplace} offers no API to reply to reviews; reply in its seller center.`,
  },
  REVIEW_ALREADY_REPLIED: {
    vi: () => `Đánh giá này đã được trả lời; sàn chỉ cho trả lời một lần.`,
    en: () => `This review already has a reply; the marketplace accepts one reply only.`,
  },
  REVIEW_REPLY_CLOSED: {
    vi: () => `Sàn không còn nhận trả lời cho đánh giá này (quá hạn hoặc bị ẩn).`,
    en: () => `The marketplace no longer accepts a reply to this review (too old or hidden).`,
  },
  DRY_RUN_UNSUPPORTED: {
    vi: (p) => `Không chạy thử được loại đồng bộ ${p.kind}: nó cần gọi sàn để biết sẽ làm gì.`,
    en: (p) => `A ${p.kind} sync cannot be dry-run: it has to call the marketplace to know what it would do.`,
  },
  NOTHING_TO_RETRY: {
    vi: () => `Không có mục lỗi nào để thử lại trong lượt đồng bộ này.`,
    en: () => `This sync run has no failed items to retry.`,
  },
  CAMPAIGN_OVERLAP: {
    vi: (p) =>
      `Trùng thời gian với chiến dịch "${p.name}" (${p.id}) cho SKU ${p.sku} trên kênh "${p.channel}" (từ ${p.at}); một biến thể trên một kênh chỉ có một giá khuyến mãi mỗi lúc.`,
    en: (p) =>
      `Overlaps campaign "${p.name}" (${p.id}) for SKU ${p.sku} on channel "${p.channel}" (from ${p.at}); a variant has one sale price per channel at a time.`,
  },
  WINDOW_END_BEFORE_START: {
    vi: () => `Thời điểm kết thúc phải sau thời điểm bắt đầu.`,
    en: () => `The end must be after the start.`,
  },
  WINDOW_IN_PAST: {
    vi: (p) => `"${p.label}" phải ở tương lai (giờ Việt Nam).`,
    en: (p) => `"${p.label}" must be in the future (Vietnam time).`,
  },
  CAMPAIGN_WINDOW_REQUIRED: {
    vi: () => `Chọn đúng một kiểu thời gian: startsAt/endsAt, hoặc lịch lặp hằng tuần (recurrence).`,
    en: () => `Give exactly one window: startsAt/endsAt, or a weekly recurrence.`,
  },
  RECURRENCE_EMPTY: {
    vi: () => `Lịch lặp không có buổi nào trong tương lai trong khoảng ngày đã chọn.`,
    en: () => `The recurrence has no future occurrence between the dates given.`,
  },
  CAMPAIGN_PRICING: {
    vi: () =>
      `Chọn một cách tính giá: giá khuyến mãi cho từng biến thể, hoặc một mức giảm (phần trăm hoặc số tiền), không dùng cả hai.`,
    en: () =>
      `Choose one pricing: a sale price for every variant, or one discount (percent or amount), not both.`,
  },
  MUST_BE_POSITIVE: {
    vi: (p) => `"${p.label}" phải lớn hơn 0.`,
    en: (p) => `"${p.label}" must be greater than 0.`,
  },
  CAMPAIGN_STATE: {
    vi: (p) => `Chiến dịch đang ở trạng thái ${p.state}; không thể ${p.actionVi}.`,
    en: (p) => `The campaign is ${p.state}; it cannot ${p.actionEn}.`,
  },
} satisfies Record<string, { vi: Render; en: Render }>;

export type MessageCode = keyof typeof MESSAGES;

export function render(code: MessageCode, params: Params, locale: Locale): string {
  return MESSAGES[code][locale](params);
}

/** Picks vi or en from an Accept-Language header; Vietnamese is the default. */
export function localeFrom(acceptLanguage: string | undefined | null): Locale {
  if (!acceptLanguage) return "vi";
  const ranked = acceptLanguage
    .split(",")
    .map((part) => {
      const [tag, ...rest] = part.trim().toLowerCase().split(";");
      const q = rest.find((r) => r.trim().startsWith("q="));
      return { tag, q: q ? Number(q.trim().slice(2)) : 1 };
    })
    .filter((x) => x.tag && !Number.isNaN(x.q))
    .sort((a, b) => b.q - a.q);
  for (const { tag } of ranked) {
    if (tag.startsWith("vi")) return "vi";
    if (tag.startsWith("en")) return "en";
  }
  return "vi";
}
