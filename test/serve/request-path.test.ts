import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pathSegments } from '../../src/serve/request-path.ts';

describe('pathSegments', () => {
  it('decodes ordinary paths into file-name segments', () => {
    assert.deepEqual(pathSegments('/app.jar'), ['app.jar']);
    assert.deepEqual(pathSegments('/releases/v1%20final/app.jar'), [
      'releases',
      'v1 final',
      'app.jar',
    ]);
  });

  it('refuses every segment that could leave the folder or reach a hidden file', () => {
    const refused = [
      '/../secret',
      '/%2e%2e/secret',
      '/%2E%2e/secret',
      '/a/%2e/b',
      '/..%2fsecret',
      '/a%2f..%2fsecret',
      '/..%5csecret',
      '/a%5c..%5csecret',
      '/app.jar%00.txt',
      '//etc/passwd',
      '/dir/',
      '/',
      '/.secret-key',
      '/.app.jar.0123456789abcdef.partial',
    ];
    for (const path of refused) {
      const result = pathSegments(path);
      assert.ok(!Array.isArray(result), `${path} was accepted as ${JSON.stringify(result)}`);
      assert.equal(result.status, 404, path);
    }
  });

  it('calls broken percent-encoding a bad request, and a path that is not one too', () => {
    assert.deepEqual(pathSegments('/%zz'), {
      status: 400,
      reason: 'malformed percent-encoding in the path',
    });
    assert.equal((pathSegments('app.jar') as { status: number }).status, 400);
  });
});
