/**
 * Vietnamese text handling: NFC normalisation for storage, accent folding for search,
 * slugs, and whole-word query tokens with common spelling variants.
 * Folding happens here (not only in SQL) so search behaves the same in tests and in the database.
 */

/** NFC-normalise and trim; every stored string goes through this. */
export function nfc(text: string): string {
  return text.normalize("NFC").trim();
}

/** Collapses runs of whitespace as well; for names and titles. */
export function cleanName(text: string): string {
  return nfc(text).replace(/\s+/g, " ");
}

/**
 * Lower-case, accents removed, đ → d. Works for NFC and NFD input alike, and merges tone
 * placements ("Hoà"/"Hòa") that NFC keeps apart.
 */
export function fold(text: string): string {
  return text
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replace(/[đĐðÐ]/g, "d")
    .toLowerCase();
}

/**
 * Spelling variants folded into one form, on both the stored key and the query, so "macca"
 * finds "mắc ca" and "cafe" finds "cà phê". Keys and values are folded text.
 */
const PHRASE_VARIANTS: Array<[RegExp, string]> = [
  [/\bmacca\b/g, "mac ca"],
  [/\bmacadamia\b/g, "mac ca"],
  [/\bcafe\b/g, "ca phe"],
  [/\bcoffee\b/g, "ca phe"],
  [/\bcaphe\b/g, "ca phe"],
];

/** Word-level alternatives that stay distinct in the key but match each other in a query. */
const WORD_ALTERNATIVES: Record<string, string[]> = {
  tra: ["tra", "che"],
  che: ["che", "tra"],
};

/** The folded search key stored beside a name: words separated by single spaces. */
export function searchKey(...parts: Array<string | null | undefined>): string {
  let s = fold(parts.filter(Boolean).join(" "))
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
  for (const [re, to] of PHRASE_VARIANTS) s = s.replace(re, to);
  return s.replace(/\s+/g, " ");
}

/**
 * Query → list of word groups; a row matches when every group matches a whole word of its key.
 * Each group lists the spellings that count as that word.
 */
export function searchTerms(query: string): string[][] {
  const key = searchKey(query);
  if (!key) return [];
  const words = [...new Set(key.split(" "))];
  return words.map((w) => WORD_ALTERNATIVES[w] ?? [w]);
}

/** Vietnamese-aware slug: "Cà phê Đắk Nông" → "ca-phe-dak-nong". */
export function slugify(text: string): string {
  return (
    fold(text)
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 80)
      .replace(/-+$/g, "") || "san-pham"
  );
}

/** Escapes a literal for use inside a PostgreSQL regular expression. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
