/**
 * The 26 OCOP product sets (Annex I of 148/QĐ-TTg, 2023; kept by 26/2026/QĐ-TTg): category →
 * group → subgroup, each leaf one criteria set with its lead ministry (2025 names). A constant
 * rather than a file read so it needs no I/O; a test checks it against seed/data/ocop-product-sets.csv.
 */
import { OcopCategory } from "./ocop";

export interface ProductSet {
  setNo: number;
  category: OcopCategory;
  groupCode: string;
  group: string;
  /** Sets that are a whole group (e.g. 13 "Cà phê, ca cao") have no subgroup. */
  subgroupCode: string | null;
  subgroup: string | null;
  leadMinistries: string[];
}

export const PRODUCT_SETS: readonly ProductSet[] = [
  {
    setNo: 1,
    category: OcopCategory.FOOD,
    groupCode: "I.1",
    group: "Thực phẩm tươi sống",
    subgroupCode: "I.1.a",
    subgroup: "Rau, củ, quả, hạt tươi",
    leadMinistries: ["Bộ Nông nghiệp và Môi trường"],
  },
  {
    setNo: 2,
    category: OcopCategory.FOOD,
    groupCode: "I.1",
    group: "Thực phẩm tươi sống",
    subgroupCode: "I.1.b",
    subgroup: "Thịt, thủy sản, trứng, sữa tươi",
    leadMinistries: ["Bộ Nông nghiệp và Môi trường"],
  },
  {
    setNo: 3,
    category: OcopCategory.FOOD,
    groupCode: "I.2",
    group: "Thực phẩm thô, sơ chế",
    subgroupCode: "I.2.a",
    subgroup: "Gạo, ngũ cốc, hạt sơ chế khác",
    leadMinistries: ["Bộ Nông nghiệp và Môi trường"],
  },
  {
    setNo: 4,
    category: OcopCategory.FOOD,
    groupCode: "I.2",
    group: "Thực phẩm thô, sơ chế",
    subgroupCode: "I.2.b",
    subgroup: "Mật ong, mật khác và nông sản thực phẩm khác",
    leadMinistries: ["Bộ Nông nghiệp và Môi trường"],
  },
  {
    setNo: 5,
    category: OcopCategory.FOOD,
    groupCode: "I.3",
    group: "Thực phẩm chế biến",
    subgroupCode: "I.3.a",
    subgroup: "Đồ ăn nhanh",
    leadMinistries: ["Bộ Công Thương"],
  },
  {
    setNo: 6,
    category: OcopCategory.FOOD,
    groupCode: "I.3",
    group: "Thực phẩm chế biến",
    subgroupCode: "I.3.b",
    subgroup: "Chế biến từ gạo, ngũ cốc",
    leadMinistries: ["Bộ Nông nghiệp và Môi trường", "Bộ Công Thương"],
  },
  {
    setNo: 7,
    category: OcopCategory.FOOD,
    groupCode: "I.3",
    group: "Thực phẩm chế biến",
    subgroupCode: "I.3.c",
    subgroup: "Chế biến từ rau, củ, quả, hạt",
    leadMinistries: ["Bộ Nông nghiệp và Môi trường"],
  },
  {
    setNo: 8,
    category: OcopCategory.FOOD,
    groupCode: "I.3",
    group: "Thực phẩm chế biến",
    subgroupCode: "I.3.d",
    subgroup:
      "Chế biến từ thịt, trứng, sữa, thủy sản, các sản phẩm từ mật ong, mật khác và nông sản thực phẩm khác",
    leadMinistries: ["Bộ Nông nghiệp và Môi trường", "Bộ Công Thương"],
  },
  {
    setNo: 9,
    category: OcopCategory.FOOD,
    groupCode: "I.4",
    group: "Gia vị",
    subgroupCode: "I.4.a",
    subgroup: "Tương, nước mắm, gia vị dạng lỏng khác",
    leadMinistries: ["Bộ Nông nghiệp và Môi trường"],
  },
  {
    setNo: 10,
    category: OcopCategory.FOOD,
    groupCode: "I.4",
    group: "Gia vị",
    subgroupCode: "I.4.b",
    subgroup: "Gia vị khác (muối, hành, tỏi, tiêu...)",
    leadMinistries: ["Bộ Nông nghiệp và Môi trường"],
  },
  {
    setNo: 11,
    category: OcopCategory.FOOD,
    groupCode: "I.5",
    group: "Chè",
    subgroupCode: "I.5.a",
    subgroup: "Chè tươi, chế biến",
    leadMinistries: ["Bộ Nông nghiệp và Môi trường"],
  },
  {
    setNo: 12,
    category: OcopCategory.FOOD,
    groupCode: "I.5",
    group: "Chè",
    subgroupCode: "I.5.b",
    subgroup: "Sản phẩm chè từ thực vật khác",
    leadMinistries: ["Bộ Nông nghiệp và Môi trường"],
  },
  {
    setNo: 13,
    category: OcopCategory.FOOD,
    groupCode: "I.6",
    group: "Cà phê, ca cao",
    subgroupCode: null,
    subgroup: null,
    leadMinistries: ["Bộ Nông nghiệp và Môi trường"],
  },
  {
    setNo: 14,
    category: OcopCategory.BEVERAGE,
    groupCode: "II.1",
    group: "Đồ uống có cồn",
    subgroupCode: "II.1.a",
    subgroup: "Rượu trắng",
    leadMinistries: ["Bộ Công Thương"],
  },
  {
    setNo: 15,
    category: OcopCategory.BEVERAGE,
    groupCode: "II.1",
    group: "Đồ uống có cồn",
    subgroupCode: "II.1.b",
    subgroup: "Đồ uống có cồn khác",
    leadMinistries: ["Bộ Công Thương"],
  },
  {
    setNo: 16,
    category: OcopCategory.BEVERAGE,
    groupCode: "II.2",
    group: "Đồ uống không cồn",
    subgroupCode: "II.2.a",
    subgroup: "Nước khoáng thiên nhiên, nước uống đóng chai",
    leadMinistries: ["Bộ Y tế"],
  },
  {
    setNo: 17,
    category: OcopCategory.BEVERAGE,
    groupCode: "II.2",
    group: "Đồ uống không cồn",
    subgroupCode: "II.2.b",
    subgroup: "Đồ uống không cồn (khác)",
    leadMinistries: ["Bộ Công Thương"],
  },
  {
    setNo: 18,
    category: OcopCategory.HERBAL,
    groupCode: "III.1",
    group: "Thực phẩm chức năng, thuốc dược liệu, thuốc cổ truyền",
    subgroupCode: null,
    subgroup: null,
    leadMinistries: ["Bộ Y tế"],
  },
  {
    setNo: 19,
    category: OcopCategory.HERBAL,
    groupCode: "III.2",
    group: "Mỹ phẩm có thành phần từ dược liệu",
    subgroupCode: null,
    subgroup: null,
    leadMinistries: ["Bộ Y tế"],
  },
  {
    setNo: 20,
    category: OcopCategory.HERBAL,
    groupCode: "III.3",
    group: "Tinh dầu và dược liệu khác",
    subgroupCode: null,
    subgroup: null,
    leadMinistries: ["Bộ Y tế", "Bộ Công Thương"],
  },
  {
    setNo: 21,
    category: OcopCategory.HANDICRAFT,
    groupCode: "IV.1",
    group: "Thủ công mỹ nghệ gia dụng, trang trí",
    subgroupCode: null,
    subgroup: null,
    leadMinistries: ["Bộ Công Thương", "Bộ Nông nghiệp và Môi trường"],
  },
  {
    setNo: 22,
    category: OcopCategory.HANDICRAFT,
    groupCode: "IV.2",
    group: "Vải, may mặc",
    subgroupCode: null,
    subgroup: null,
    leadMinistries: ["Bộ Công Thương"],
  },
  {
    setNo: 23,
    category: OcopCategory.ORNAMENTAL,
    groupCode: "V.1",
    group: "Hoa",
    subgroupCode: null,
    subgroup: null,
    leadMinistries: ["Bộ Nông nghiệp và Môi trường"],
  },
  {
    setNo: 24,
    category: OcopCategory.ORNAMENTAL,
    groupCode: "V.2",
    group: "Cây cảnh",
    subgroupCode: null,
    subgroup: null,
    leadMinistries: ["Bộ Nông nghiệp và Môi trường"],
  },
  {
    setNo: 25,
    category: OcopCategory.ORNAMENTAL,
    groupCode: "V.3",
    group: "Động vật cảnh",
    subgroupCode: null,
    subgroup: null,
    leadMinistries: ["Bộ Nông nghiệp và Môi trường"],
  },
  {
    setNo: 26,
    category: OcopCategory.TOURISM,
    groupCode: "VI.1",
    group: "Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch",
    subgroupCode: null,
    subgroup: null,
    leadMinistries: ["Bộ Văn hóa, Thể thao và Du lịch", "Bộ Nông nghiệp và Môi trường"],
  },
];

export function productSet(setNo: number): ProductSet | null {
  return PRODUCT_SETS[setNo - 1]?.setNo === setNo ? PRODUCT_SETS[setNo - 1] : null;
}
