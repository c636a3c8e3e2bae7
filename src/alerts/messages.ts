/** What each alert says, and how to fix it, in Vietnamese and English. */
import type { Locale } from "../common/i18n";
import { AlertRule } from "./rules";

type P = Record<string, unknown>;
type Text = { vi: (p: P) => string; en: (p: P) => string };

const s = (v: unknown, fallback = "?") => (v === null || v === undefined || v === "" ? fallback : String(v));
const day = (v: unknown) => s(v).slice(0, 10);

const MESSAGES: Record<AlertRule, { message: Text; hint: Text }> = {
  [AlertRule.CHANNEL_NEEDS_REAUTH]: {
    message: {
      vi: (p) => `Kênh "${s(p.channel)}" (${s(p.marketplace)}) cần cấp quyền lại; đồng bộ đã dừng.`,
      en: (p) =>
        `Channel "${s(p.channel)}" (${s(p.marketplace)}) needs a new authorization; sync has stopped.`,
    },
    hint: {
      vi: () =>
        `Chủ gian hàng đăng nhập sàn và kết nối lại kênh (channelAuthorizationUrl); đơn hàng và tồn kho sẽ tự đồng bộ lại.`,
      en: () =>
        `Have the shop owner sign in to the marketplace and reconnect the channel (channelAuthorizationUrl); orders and stock catch up by themselves.`,
    },
  },
  [AlertRule.TOKEN_EXPIRING]: {
    message: {
      vi: (p) =>
        `Quyền truy cập của kênh "${s(p.channel)}" (${s(p.marketplace)}) hết hạn sau ${s(p.days)} ngày (${day(p.expiresAt)}).`,
      en: (p) =>
        `Channel "${s(p.channel)}" (${s(p.marketplace)}) authorization expires in ${s(p.days)} days (${day(p.expiresAt)}).`,
    },
    hint: {
      vi: () => `Kết nối lại kênh trước ngày hết hạn để không gián đoạn đơn hàng và tồn kho.`,
      en: () => `Reconnect the channel before it expires so orders and stock keep flowing.`,
    },
  },
  [AlertRule.OCOP_CERT_EXPIRING]: {
    message: {
      vi: (p) =>
        `Giấy chứng nhận OCOP ${s(p.star)} sao của "${s(p.product)}" hết hạn ngày ${day(p.validUntil)} (còn ${s(p.days)} ngày).`,
      en: (p) =>
        `The ${s(p.star)}-star OCOP certificate of "${s(p.product)}" expires on ${day(p.validUntil)} (${s(p.days)} days left).`,
    },
    hint: {
      vi: () =>
        `Nộp hồ sơ đánh giá lại với Hội đồng OCOP cấp tỉnh và ghi quyết định mới vào sản phẩm; nếu không, sao OCOP sẽ bị gỡ khỏi tin đăng khi hết hạn.`,
      en: () =>
        `File for re-assessment with the provincial OCOP council and record the new decision on the product; otherwise the OCOP stars come off the listings when it expires.`,
    },
  },
  [AlertRule.OCOP_CERT_EXPIRED_LIVE]: {
    message: {
      vi: (p) =>
        `Chứng nhận OCOP của "${s(p.product)}" đã hết hạn (${day(p.validUntil)}) nhưng ${s(p.liveListings)} tin đăng vẫn đang bán.`,
      en: (p) =>
        `The OCOP certificate of "${s(p.product)}" expired (${day(p.validUntil)}) while ${s(p.liveListings)} listings are live.`,
    },
    hint: {
      vi: () =>
        `Ghi quyết định công nhận mới nếu đã có; nếu chưa, đẩy lại nội dung tin đăng để gỡ sao OCOP (tránh quảng cáo sai).`,
      en: () =>
        `Record the new recognition decision if there is one; otherwise push the listings' content again to remove the OCOP stars (no false claims).`,
    },
  },
  [AlertRule.SYNC_ERROR_RATE]: {
    message: {
      vi: (p) =>
        `Kênh "${s(p.channel)}" (${s(p.marketplace)}): ${s(p.failed)}/${s(p.total)} mục đồng bộ lỗi (${s(p.percent)}%) trong ${s(p.windowMinutes)} phút qua.`,
      en: (p) =>
        `Channel "${s(p.channel)}" (${s(p.marketplace)}): ${s(p.failed)}/${s(p.total)} sync items failed (${s(p.percent)}%) in the last ${s(p.windowMinutes)} minutes.`,
    },
    hint: {
      vi: () =>
        `Xem các mục lỗi theo mã lỗi trong lượt đồng bộ (syncRuns, items status: FAILED), sửa nguyên nhân rồi bấm thử lại (retrySyncItems).`,
      en: () =>
        `Look at the failed items by error code in the sync runs (syncRuns, items status: FAILED), fix the cause, then retry them (retrySyncItems).`,
    },
  },
  [AlertRule.QUEUE_AGE]: {
    message: {
      vi: (p) =>
        `Hàng đợi "${s(p.queue)}" có ${s(p.waiting)} việc chờ, việc lâu nhất đã chờ ${s(p.ageSeconds)} giây.`,
      en: (p) =>
        `Queue "${s(p.queue)}" has ${s(p.waiting)} waiting jobs; the oldest has waited ${s(p.ageSeconds)} seconds.`,
    },
    hint: {
      vi: () =>
        `Kiểm tra tiến trình worker còn chạy (npm start --role worker) và nhật ký lỗi; thêm worker nếu tải cao.`,
      en: () =>
        `Check that worker processes are running (--role worker) and their logs; add workers under heavy load.`,
    },
  },
  [AlertRule.STOCK_DRIFT]: {
    message: {
      vi: (p) =>
        `Đối soát kênh "${s(p.channel)}" (${s(p.marketplace)}) thấy ${s(p.stockDrift)} tin đăng lệch tồn kho so với hệ thống.`,
      en: (p) =>
        `Reconciliation of channel "${s(p.channel)}" (${s(p.marketplace)}) found ${s(p.stockDrift)} listings whose stock differs from the hub.`,
    },
    hint: {
      vi: () =>
        `Hệ thống đã lên lịch đẩy lại tồn kho; nếu lệch lặp lại, có người đang sửa tồn kho trực tiếp trên sàn — hãy sửa trong hệ thống thay vì trên sàn.`,
      en: () =>
        `The hub has queued a stock push; if drift keeps coming back, someone edits stock on the marketplace directly: change it in the hub instead.`,
    },
  },
  [AlertRule.NEW_REVIEWS]: {
    message: {
      vi: (p) =>
        `${s(p.unread)} đánh giá mới của khách chưa đọc${Number(p.lowRated) > 0 ? `, trong đó ${s(p.lowRated)} đánh giá 1–2 sao` : ""}.`,
      en: (p) =>
        `${s(p.unread)} new customer reviews unread${Number(p.lowRated) > 0 ? `, ${s(p.lowRated)} of them with 1–2 stars` : ""}.`,
    },
    hint: {
      vi: () =>
        `Đọc đánh giá (reviews), trả lời những đánh giá thấp (replyToReview) rồi đánh dấu đã đọc (markReviewsRead).`,
      en: () =>
        `Read the reviews (reviews), answer the low ones (replyToReview), then mark them read (markReviewsRead).`,
    },
  },
};

export function alertMessage(rule: string, params: P, locale: Locale): { message: string; hint: string } {
  const m = MESSAGES[rule as AlertRule];
  if (!m) return { message: rule, hint: "" };
  return { message: m.message[locale](params), hint: m.hint[locale](params) };
}
