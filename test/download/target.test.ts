import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ByteSource, ByteSources, urlTarget } from '../../src/download/target.ts';
import { FetchError, InternalError, RejectedError, WriteError } from '../../src/errors.ts';
import { Redactor } from '../../src/log/redact.ts';

/** A source that is never asked here: only its place in the order matters. */
function source(host: string, mirror: boolean): ByteSource {
  return {
    url: new URL(`http://${host}/v2/team/app/blobs/sha256:0`),
    mirror: mirror ? host : undefined,
    get: () => Promise.reject(new Error('not asked')),
  };
}

const refused = new FetchError('connection refused', { details: { errorCode: 'ECONNREFUSED' } });

describe('ByteSources', () => {
  it('asks the mirrors in order, the origin last; a mirror that fails is dropped once, with its reason', () => {
    const dropped: [string | undefined, string][] = [];
    const [a, b, origin] = [source('a:1', true), source('b:1', true), source('reg:1', false)];
    const sources = new ByteSources([a, b, origin], (gone, error) =>
      dropped.push([gone.mirror, error.message]),
    );
    assert.equal(sources.current, a);
    assert.equal(sources.drop(a, refused), true, 'the next source is asked at once');
    assert.equal(sources.current, b);
    assert.equal(sources.drop(a, refused), true, 'dropped already (by another part): go on');
    assert.equal(sources.drop(b, new RejectedError('404')), true);
    assert.equal(sources.current, origin);
    assert.equal(
      sources.drop(origin, refused),
      false,
      "the origin's failures are its retry policy's",
    );
    assert.equal(sources.current, origin);
    assert.deepEqual(dropped, [
      ['a:1', 'connection refused'],
      ['b:1', '404'],
    ]);
  });

  it('keeps a mirror whose failure is not its own: a write error, a bug', () => {
    const mirror = source('m:1', true);
    const sources = new ByteSources([mirror, source('reg:1', false)]);
    assert.equal(sources.drop(mirror, new WriteError('disk full')), false);
    assert.equal(sources.drop(mirror, new InternalError('a bug')), false);
    assert.equal(sources.current, mirror);
  });

  it('remembers which mirrors sent bytes since the file last started over', () => {
    const [mirror, origin] = [source('m:1', true), source('reg:1', false)];
    const sources = new ByteSources([mirror, origin]);
    sources.asked(origin);
    assert.deepEqual(sources.mirrorsAsked(), []);
    sources.asked(mirror);
    assert.deepEqual(sources.mirrorsAsked(), [mirror]);
    sources.forgetAsked();
    assert.deepEqual(sources.mirrorsAsked(), []);
  });

  it('needs a source', () => {
    assert.throws(() => new ByteSources([]), /needs a source/);
  });
});

describe('urlTarget', () => {
  it('is the URL alone, held to ARTIFACT_EXPECTED_SIZE, with the signed URL its window', () => {
    const url = new URL(
      'https://bucket.example/app.jar?X-Amz-Date=20261130T120000Z&X-Amz-Expires=3600&X-Amz-Signature=abc',
    );
    const target = urlTarget(url, 1234, new Redactor());
    assert.equal(target.sources.current.url, url);
    assert.equal(target.sources.current.mirror, undefined);
    assert.equal(target.expectedSizeBytes, 1234);
    assert.equal(target.sizeName, 'ARTIFACT_EXPECTED_SIZE');
    assert.equal(target.urlValidity?.expiresAt.toISOString(), '2026-11-30T13:00:00.000Z');
  });
});
