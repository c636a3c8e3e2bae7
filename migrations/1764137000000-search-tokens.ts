import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Whole-word search through a GIN index on the words of the folded key. A regular expression with
 * word boundaries cannot use the trigram index for short words ("tra"), so it scanned every row;
 * an array containment test on indexed words does not. The column is generated from search_key,
 * so it can never disagree with it.
 */
export class SearchTokens1764137000000 implements MigrationInterface {
  name = "SearchTokens1764137000000";

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE product ADD COLUMN search_words text[] GENERATED ALWAYS AS (string_to_array(search_key, ' ')) STORED`,
    );
    await q.query(`CREATE INDEX product_search_words_gin ON product USING gin (search_words)`);
    // The trigram index served the regular expression this replaces.
    await q.query(`DROP INDEX product_search_trgm`);
    await q.query(
      `ALTER TABLE producer ADD COLUMN name_words text[] GENERATED ALWAYS AS (string_to_array(name_key, ' ')) STORED`,
    );
    await q.query(`CREATE INDEX producer_name_words_gin ON producer USING gin (name_words)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX product_search_trgm ON product USING gin (search_key gin_trgm_ops)`);
    await q.query(`ALTER TABLE producer DROP COLUMN name_words`);
    await q.query(`ALTER TABLE product DROP COLUMN search_words`);
  }
}
