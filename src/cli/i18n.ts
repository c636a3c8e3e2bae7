/**
 * The CLI's own messages in Vietnamese (default, as the hub) and English. Messages that come from
 * the hub (userErrors, sync item explanations) are already rendered in the language asked for with
 * Accept-Language, so only the CLI's framing text lives here.
 */
export type CliLang = "vi" | "en";

type P = Record<string, string | number>;
type M = { vi: (p: P) => string; en: (p: P) => string };

const MESSAGES = {
  usageError: { vi: (p) => `Sai cú pháp: ${p.reason}`, en: (p) => `Usage error: ${p.reason}` },
  seeHelp: {
    vi: (p) => `Xem: npm run hub -- ${p.cmd} --help`,
    en: (p) => `See: npm run hub -- ${p.cmd} --help`,
  },
  unknownCommand: { vi: (p) => `lệnh không rõ "${p.cmd}"`, en: (p) => `unknown command "${p.cmd}"` },
  missingOption: { vi: (p) => `thiếu ${p.name}`, en: (p) => `${p.name} is required` },
  badOption: {
    vi: (p) => `${p.name} không hợp lệ: "${p.value}"${p.allowed ? ` (chọn: ${p.allowed})` : ""}`,
    en: (p) => `${p.name} is not valid: "${p.value}"${p.allowed ? ` (use: ${p.allowed})` : ""}`,
  },
  cannotConnect: {
    vi: (p) =>
      `Không kết nối được hub tại ${p.url} (${p.reason}). Hub có đang chạy không? Đặt HUB_URL nếu hub ở nơi khác.`,
    en: (p) =>
      `Cannot reach the hub at ${p.url} (${p.reason}). Is it running? Set HUB_URL if it runs elsewhere.`,
  },
  badResponse: {
    vi: (p) => `Hub trả lời không đúng dạng GraphQL (HTTP ${p.status}) tại ${p.url}.`,
    en: (p) => `The hub did not answer with GraphQL (HTTP ${p.status}) at ${p.url}.`,
  },
  authFailed: {
    vi: () => `Hub từ chối khóa API. Đặt HUB_API_KEY hoặc --api-key bằng một khóa còn hiệu lực.`,
    en: () => `The hub refused the API key. Set HUB_API_KEY or --api-key to a valid key.`,
  },
  noKey: {
    vi: () => `Chưa có khóa API: đặt HUB_API_KEY hoặc --api-key.`,
    en: () => `No API key: set HUB_API_KEY or --api-key.`,
  },
  throttled: {
    vi: (p) => `Hub đang giới hạn truy vấn; chờ ${p.seconds} giây rồi thử lại…`,
    en: (p) => `The hub is throttling queries; retrying in ${p.seconds} s…`,
  },
  hubError: { vi: (p) => `Hub báo lỗi: ${p.message}`, en: (p) => `The hub reported an error: ${p.message}` },
  channelNotFound: {
    vi: (p) => `Không tìm thấy kênh "${p.channel}". Xem danh sách: npm run hub -- channels health`,
    en: (p) => `No channel "${p.channel}". List them with: npm run hub -- channels health`,
  },
  channelAmbiguous: {
    vi: (p) => `Có nhiều kênh tên "${p.channel}"; dùng id: ${p.ids}`,
    en: (p) => `Several channels are named "${p.channel}"; use an id: ${p.ids}`,
  },
  userErrors: { vi: () => `Hub không chấp nhận yêu cầu:`, en: () => `The hub refused the request:` },
  runQueued: {
    vi: (p) => `Đã xếp hàng lượt đồng bộ ${p.kind} ${p.id} trên kênh ${p.channel}.`,
    en: (p) => `Queued ${p.kind} sync run ${p.id} on channel ${p.channel}.`,
  },
  runFollow: {
    vi: (p) => `Theo dõi: npm run hub -- sync status ${p.id} --wait`,
    en: (p) => `Follow it: npm run hub -- sync status ${p.id} --wait`,
  },
  retryQueued: {
    vi: (p) => `Đã xếp hàng lượt thử lại ${p.id} cho các mục lỗi của lượt ${p.of}.`,
    en: (p) => `Queued retry run ${p.id} for the failed items of run ${p.of}.`,
  },
  retryHint: {
    vi: (p) => `Thử lại các mục lỗi: npm run hub -- sync retry ${p.id} --wait [--items <id,…>]`,
    en: (p) => `Retry the failed items: npm run hub -- sync retry ${p.id} --wait [--items <id,…>]`,
  },
  interrupted: {
    vi: (p) =>
      `Đã thôi chờ; lượt ${p.id} vẫn chạy trong hub. Theo dõi: npm run hub -- sync status ${p.id} --wait`,
    en: (p) =>
      `Stopped waiting; run ${p.id} goes on in the hub. Follow it: npm run hub -- sync status ${p.id} --wait`,
  },
  runNotFound: {
    vi: (p) => `Không tìm thấy lượt đồng bộ ${p.id}.`,
    en: (p) => `Sync run ${p.id} was not found.`,
  },
  waitTimeout: {
    vi: (p) => `Hết ${p.seconds} giây chờ; lượt ${p.id} vẫn ${p.status}.`,
    en: (p) => `Gave up after ${p.seconds} s; run ${p.id} is still ${p.status}.`,
  },
  dryRunNote: {
    vi: () => `Chạy thử: không gửi gì lên sàn; các mục PLANNED là những gì sẽ được gửi.`,
    en: () => `Dry run: nothing was sent; PLANNED items are what would be sent.`,
  },
  runSummary: {
    vi: (p) =>
      `Lượt ${p.id} (${p.kind}${p.dry}): ${p.outcome} — ${p.total} mục, ${p.calls} lần gọi sàn, ${p.duration}`,
    en: (p) =>
      `Run ${p.id} (${p.kind}${p.dry}): ${p.outcome} — ${p.total} item${p.total === 1 ? "" : "s"}, ${p.calls} marketplace call${p.calls === 1 ? "" : "s"}, ${p.duration}`,
  },
  byStatus: { vi: () => `Theo trạng thái:`, en: () => `By status:` },
  runError: {
    vi: (p) => `Lỗi của lượt: ${p.code} — ${p.message}`,
    en: (p) => `Run error: ${p.code} — ${p.message}`,
  },
  failedItems: { vi: (p) => `Mục lỗi (${p.count}):`, en: (p) => `Failed items (${p.count}):` },
  plannedItems: { vi: (p) => `Sẽ gửi (${p.count}):`, en: (p) => `Would send (${p.count}):` },
  andMore: { vi: (p) => `… và ${p.count} mục nữa`, en: (p) => `… and ${p.count} more` },
  hint: { vi: () => `cách xử lý`, en: () => `fix` },
  marketplaceSaid: { vi: () => `sàn trả về`, en: () => `marketplace said` },
  itemsDone: { vi: () => `mục`, en: () => `items` },
  rowsDone: { vi: () => `dòng`, en: () => `rows` },
  cannotRead: {
    vi: (p) => `Không đọc được tệp ${p.file}: ${p.reason}`,
    en: (p) => `Cannot read ${p.file}: ${p.reason}`,
  },
  csvUnreadable: {
    vi: (p) => `Tệp CSV không đọc được: ${p.reason}`,
    en: (p) => `The CSV file cannot be read: ${p.reason}`,
  },
  emptyCsv: { vi: () => `Tệp CSV không có dòng dữ liệu nào.`, en: () => `The CSV file has no data rows.` },
  importSummary: {
    vi: (p) =>
      `${p.dry}Nhập ${p.rows} dòng từ ${p.file}: ${p.created} tạo mới, ${p.updated} cập nhật, ${p.unchanged} không đổi, ${p.failed} lỗi (${p.duration}).`,
    en: (p) =>
      `${p.dry}Imported ${p.rows} rows from ${p.file}: ${p.created} created, ${p.updated} updated, ${p.unchanged} unchanged, ${p.failed} failed (${p.duration}).`,
  },
  importDry: { vi: () => `[CHẠY THỬ, không ghi gì] `, en: () => `[DRY RUN, nothing written] ` },
  rowErrors: { vi: (p) => `Dòng lỗi (${p.count}):`, en: (p) => `Rows with errors (${p.count}):` },
  row: { vi: (p) => `dòng ${p.row}`, en: (p) => `row ${p.row}` },
  noChannels: { vi: () => `Không có kênh nào.`, en: () => `No channels.` },
  healthNote: {
    vi: () =>
      `Token: hạn access token (hub tự làm mới); Cấp lại quyền: hạn refresh token (người bán phải cấp quyền lại). Tin đăng: số tin theo trạng thái. Các cột loại đồng bộ: lần gần nhất xong không lỗi. Lỗi 24h: mục lỗi của các lượt đồng bộ 24 giờ qua.`,
    en: () =>
      `Token: access token expiry (the hub refreshes it); Re-auth: refresh token expiry (the seller must re-authorize). Listings: count by state. Kind columns: last run that finished without failures. Failed 24h: failed items of the last 24 hours' runs.`,
  },
  never: { vi: () => `chưa`, en: () => `never` },
  expired: { vi: () => `ĐÃ HẾT HẠN`, en: () => `EXPIRED` },
  ago: { vi: (p) => `${p.d} trước`, en: (p) => `${p.d} ago` },
  inTime: { vi: (p) => `còn ${p.d}`, en: (p) => `in ${p.d}` },
} satisfies Record<string, M>;

export type CliMessage = keyof typeof MESSAGES;

let current: CliLang = "vi";

export function setLang(lang: CliLang): void {
  current = lang;
}

export function lang(): CliLang {
  return current;
}

export function t(key: CliMessage, params: P = {}): string {
  return (MESSAGES[key] as M)[current](params);
}

/** `--lang`, else HUB_LANG, else Vietnamese (the hub's default language). */
export function pickLang(flag: string | undefined, env: NodeJS.ProcessEnv): CliLang | null {
  const raw = (flag ?? env.HUB_LANG ?? "vi").toLowerCase();
  if (raw.startsWith("vi")) return "vi";
  if (raw.startsWith("en")) return "en";
  return null;
}
