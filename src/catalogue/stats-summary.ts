/**
 * The one-line summary a provincial report writes, e.g.
 * "1.649 sản phẩm: 4 sản phẩm 5 sao, 13 tiềm năng 5 sao, 1.098 sản phẩm 4 sao, 534 sản phẩm 3 sao; Thực phẩm 1.071, …".
 */
import type { Locale } from "../common/i18n";
import { CATEGORY_NAMES } from "./ocop";
import type { OcopStatsResult } from "./catalogue.query";

export function formatStatsSummary(s: OcopStatsResult, locale: Locale): string {
  const n = (x: number) => x.toLocaleString(locale === "vi" ? "vi-VN" : "en-US");
  const star = (k: number) => s.byStar.find((b) => b.star === k)?.count ?? 0;
  // Potential 5-star products are 4-star certificates; reports list them apart from plain 4-star ones.
  const four = star(4) - s.potentialFiveStar;
  const cats = s.byCategory.map((c) => `${CATEGORY_NAMES[c.category][locale]} ${n(c.count)}`).join(", ");
  if (locale === "en") {
    return `${n(s.totalProducts)} products: ${n(star(5))} five-star, ${n(s.potentialFiveStar)} potential five-star, ${n(four)} four-star, ${n(star(3))} three-star${cats ? `; ${cats}` : ""}`;
  }
  return `${n(s.totalProducts)} sản phẩm: ${n(star(5))} sản phẩm 5 sao, ${n(s.potentialFiveStar)} sản phẩm tiềm năng 5 sao, ${n(four)} sản phẩm 4 sao, ${n(star(3))} sản phẩm 3 sao${cats ? `; ${cats}` : ""}`;
}
