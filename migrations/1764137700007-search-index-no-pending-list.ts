import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The catalogue's word indexes are read on every search and written only when a product or producer
 * changes. GIN's fast-update mode parks new entries in an unsorted pending list (up to 4 MB) that every
 * search must scan until a vacuum merges it: after a 10,000-product import, a common word took 12 ms
 * instead of 2 ms until autovacuum came by. Writing entries straight into the index costs the writer a
 * little and keeps every read at the indexed cost.
 */
const WORD_INDEXES = ["product_search_words_gin", "producer_name_words_gin"];

export class SearchIndexNoPendingList1764137700007 implements MigrationInterface {
  name = "SearchIndexNoPendingList1764137700007";

  public async up(q: QueryRunner): Promise<void> {
    for (const index of WORD_INDEXES) {
      await q.query(`ALTER INDEX ${index} SET (fastupdate = off)`);
      // Entries already parked stay in the list until merged; merge them now.
      await q.query(`SELECT gin_clean_pending_list('${index}'::regclass)`);
    }
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const index of WORD_INDEXES) await q.query(`ALTER INDEX ${index} RESET (fastupdate)`);
  }
}
