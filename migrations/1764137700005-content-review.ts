import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * A content edit the marketplace reviews (Tiki) gets its own column, `listing.content_review`,
 * instead of riding in `last_error` (whose trackId, hidden and contentVersion keys every price or
 * stock outcome had to carry over). Shape:
 *   {state: "IN_REVIEW", trackId, hidden, contentVersion, requestedAt}        a request Tiki reviews;
 *   {state: "REJECTED", trackId, hidden: true, contentVersion, …, rejectedAt, reason}
 *                                   the request was refused and the product stays hidden until a
 *                                   later request is approved.
 * NULL otherwise. The follow-up job reads the pending ones per channel through a partial index.
 *
 * Existing rows: tracking keys move out of last_error; what stays there keeps its meaning (the
 * explained code), and a last_error left with nothing but those keys becomes NULL.
 */
export class ContentReview1764137700005 implements MigrationInterface {
  name = "ContentReview1764137700005";

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE listing ADD COLUMN content_review jsonb NULL`);
    await q.query(`
      UPDATE listing
         SET content_review = jsonb_build_object(
               'state', 'IN_REVIEW',
               'trackId', last_error->>'trackId',
               'hidden', coalesce(last_error->>'hidden' = 'true', false),
               'contentVersion', coalesce(last_error->>'contentVersion', '0'),
               'requestedAt', coalesce(last_error->'at', to_jsonb(updated_at)))
       WHERE last_error ? 'trackId'`);
    // A refused request that left the product hidden (no trackId to follow any more).
    await q.query(`
      UPDATE listing
         SET content_review = jsonb_build_object(
               'state', 'REJECTED',
               'hidden', true,
               'rejectedAt', coalesce(last_error->'at', to_jsonb(updated_at)),
               'reason', last_error->'remoteMessage')
       WHERE NOT (last_error ? 'trackId') AND last_error->>'hidden' = 'true'`);
    await q.query(`
      UPDATE listing
         SET last_error = nullif(last_error - 'trackId' - 'hidden' - 'contentVersion', '{}'::jsonb)
       WHERE last_error ?| array['trackId', 'hidden', 'contentVersion']`);
    await q.query(
      `CREATE INDEX listing_content_review_idx ON listing (channel_id) WHERE content_review IS NOT NULL`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE listing
         SET last_error = coalesce(last_error, jsonb_build_object('kind', 'content', 'code',
               CASE WHEN content_review->>'hidden' = 'true' THEN 'HIDDEN_PENDING_REVIEW' ELSE 'CONTENT_IN_REVIEW' END))
             || jsonb_build_object('trackId', content_review->'trackId', 'hidden', content_review->'hidden',
                                   'contentVersion', content_review->'contentVersion')
       WHERE content_review->>'state' = 'IN_REVIEW'`);
    await q.query(`
      UPDATE listing SET last_error = coalesce(last_error, '{}'::jsonb) || '{"hidden": true}'::jsonb
       WHERE content_review->>'state' = 'REJECTED' AND content_review->>'hidden' = 'true'`);
    await q.query(`DROP INDEX IF EXISTS listing_content_review_idx`);
    await q.query(`ALTER TABLE listing DROP COLUMN content_review`);
  }
}
