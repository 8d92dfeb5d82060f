import assert from "node:assert/strict";
import { isRetryableStatus, parseRetryAfter, retryDelayMs } from "../../cli/retry.ts";

Deno.test("isRetryableStatus: 5xx and 429 are retried, other 4xx are not", () => {
  for (const s of [500, 502, 503, 504, 429]) assert.equal(isRetryableStatus(s), true, String(s));
  for (const s of [400, 401, 404, 409, 413, 415, 422]) assert.equal(isRetryableStatus(s), false, String(s));
});

Deno.test("parseRetryAfter reads delta-seconds and HTTP dates, ignores garbage", () => {
  const now = Date.parse("Wed, 21 Oct 2026 07:28:00 GMT");
  assert.equal(parseRetryAfter("3", now), 3000);
  assert.equal(parseRetryAfter(" 0 ", now), 0);
  assert.equal(parseRetryAfter("Wed, 21 Oct 2026 07:28:05 GMT", now), 5000);
  assert.equal(parseRetryAfter("Wed, 21 Oct 2026 07:27:00 GMT", now), 0); // in the past: retry now
  assert.equal(parseRetryAfter(null, now), undefined);
  assert.equal(parseRetryAfter("soon", now), undefined);
  assert.equal(parseRetryAfter("-1", now), undefined);
});

Deno.test("retryDelayMs doubles per attempt within [50%, 100%] jitter, honours Retry-After, caps at max", () => {
  const policy = { retries: 10, baseDelayMs: 100, maxDelayMs: 5000 };
  for (let attempt = 0; attempt < 5; attempt++) {
    const full = 100 * 2 ** attempt;
    assert.equal(retryDelayMs(policy, attempt, undefined, () => 0), full / 2);
    assert.equal(retryDelayMs(policy, attempt, undefined, () => 0.999999), full * (0.5 + 0.5 * 0.999999));
  }
  assert.equal(retryDelayMs(policy, 20, undefined, () => 1), 5000);
  assert.equal(retryDelayMs(policy, 0, 1234), 1234);
  assert.equal(retryDelayMs(policy, 0, 0), 0);
  assert.equal(retryDelayMs(policy, 0, 999_999), 5000);
});
