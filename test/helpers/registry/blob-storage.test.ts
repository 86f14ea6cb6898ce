// Tests for the redirect target: pre-signed-looking URLs, ranges, and the Authorization rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpGet } from '../http-get.ts';
import { startBlobStorage } from './blob-storage.ts';

const bytes = Buffer.from('0123456789');

test('serves what was put under its signed URL only, whole or one range', async () => {
  await using storage = await startBlobStorage();
  const url = storage.put('sha256:abc', bytes);
  assert.deepEqual((await httpGet(url)).body, bytes);
  const ranged = await httpGet(url, { headers: { range: 'bytes=2-4' } });
  assert.equal(ranged.status, 206);
  assert.equal(ranged.headers['content-range'], 'bytes 2-4/10');
  assert.deepEqual(ranged.body, bytes.subarray(2, 5));
  assert.equal((await httpGet(url, { headers: { range: 'bytes=10-' } })).status, 416);
  assert.equal((await httpGet(url.replace(/\?.*$/, ''))).status, 403, 'unsigned');
  assert.equal((await httpGet(`${storage.origin}/blobs/sha256/other?x`)).status, 403);
});

test('Authorization is refused like S3 does with a pre-signed URL, unless told to ignore it', async () => {
  const authorization = { authorization: 'Bearer leaked' };
  await using strict = await startBlobStorage();
  assert.equal(
    (await httpGet(strict.put('sha256:abc', bytes), { headers: authorization })).status,
    400,
  );
  await using lenient = await startBlobStorage({ refuseAuthorization: false });
  const served = await httpGet(lenient.put('sha256:abc', bytes), { headers: authorization });
  assert.equal(served.status, 200);
  assert.equal(lenient.headers[0]?.authorization, 'Bearer leaked', 'recorded either way');
});
