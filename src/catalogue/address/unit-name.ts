/**
 * Matching keys for Vietnamese administrative unit names ("Xã Thuận Hà", "tỉnh Đắk Nông", "Phường 09").
 * Sources mix type prefixes, case, NFC/NFD and old/new tone placement ("Hoà"/"Hòa"), so names are
 * compared through these keys, never as written.
 */
import { fold } from "../../common/text";

/** Type prefixes, longest first so "thị xã" wins over "xã"; abbreviations need their dot. */
const PREFIXES = [
  "thành phố",
  "thị trấn",
  "thị xã",
  "đặc khu",
  "phường",
  "huyện",
  "quận",
  "tỉnh",
  "xã",
  "tp.",
  "tx.",
  "tt.",
];

/** Tone marks that move from the second vowel (old style "hoà") to the first (new style "hòa"). */
const TONED_O: Record<string, string> = {
  à: "ò",
  á: "ó",
  ả: "ỏ",
  ã: "õ",
  ạ: "ọ",
  è: "ò",
  é: "ó",
  ẻ: "ỏ",
  ẽ: "õ",
  ẹ: "ọ",
};
const TONED_U: Record<string, string> = { ỳ: "ù", ý: "ú", ỷ: "ủ", ỹ: "ũ", ỵ: "ụ" };

function stripPrefix(lower: string): string {
  for (const p of PREFIXES) {
    if (
      lower.startsWith(p) &&
      (lower.length === p.length || /[\s.]/.test(lower[p.length]) || p.endsWith("."))
    ) {
      const rest = lower.slice(p.length).trim();
      if (rest) return rest;
    }
  }
  return lower;
}

function punctuationToSpace(s: string): string {
  return s
    .replace(/[-–—,.()]/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/** "Phường 09" and "Phường 9" are the same unit. */
function unpadNumber(s: string): string {
  return /^\d+$/.test(s) ? String(Number(s)) : s;
}

/**
 * Lower-case, NFC, prefix stripped, tone placement unified to the new style ("hoà" → "hòa"), but
 * other accents kept: two units whose names differ only in accents stay apart.
 */
export function unitToneKey(name: string): string {
  let s = stripPrefix(name.normalize("NFC").toLowerCase().replace(/\s+/g, " ").trim());
  // Only open syllables differ between the styles ("hoàng" is the same in both), hence the lookahead;
  // after "q" the "u" is part of the consonant ("quý"), so it never carries the tone.
  s = s.replace(
    /o([àáảãạèéẻẽẹ])(?=[\s,.-]|$)/g,
    (_m, v: string) => TONED_O[v] + ("àáảãạ".includes(v) ? "a" : "e"),
  );
  s = s.replace(/(?<!q)u([ỳýỷỹỵ])(?=[\s,.-]|$)/g, (_m, v: string) => TONED_U[v] + "y");
  return unpadNumber(punctuationToSpace(s));
}

/** Fully accent-folded key; the first index lookup, disambiguated by `unitToneKey` when it collides. */
export function unitFoldKey(name: string): string {
  return unpadNumber(punctuationToSpace(fold(stripPrefix(name.normalize("NFC").toLowerCase().trim()))));
}
