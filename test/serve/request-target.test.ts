import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loggedPath, refusalOf, splitTarget } from '../../src/serve/request-target.ts';

describe('splitTarget', () => {
  it('splits at the first "?" and keeps the path exactly as sent', () => {
    const { rawPath, query } = splitTarget('/a%2Fb/app.jar?x=1&y=a?b');
    assert.equal(rawPath, '/a%2Fb/app.jar');
    assert.equal(query.get('x'), '1');
    assert.equal(query.get('y'), 'a?b', 'a later "?" belongs to the query');
  });

  it('reads a target without a query, or none at all, as a path with an empty query', () => {
    for (const [target, path] of [
      ['/app.jar', '/app.jar'],
      [undefined, ''],
      ['?only=query', ''],
    ] as const) {
      const { rawPath, query } = splitTarget(target);
      assert.equal(rawPath, path, String(target));
      assert.equal(query.size, target === '?only=query' ? 1 : 0, String(target));
    }
  });
});

describe('loggedPath', () => {
  it('keeps at most 256 characters of the path', () => {
    assert.equal(loggedPath('/app.jar'), '/app.jar');
    assert.equal(loggedPath(`/${'a'.repeat(1000)}`), `/${'a'.repeat(255)}`);
  });
});

describe('refusalOf', () => {
  it('lets GET and HEAD of a path through', () => {
    assert.equal(refusalOf('GET', '/app.jar'), undefined);
    assert.equal(refusalOf('HEAD', '/'), undefined);
  });

  it('refuses any other method with 405 and the methods it allows, before the path', () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'get', undefined]) {
      assert.deepEqual(refusalOf(method, 'not-a-path'), {
        status: 405,
        text: 'Method not allowed',
        reason: 'method not allowed',
        headers: { allow: 'GET, HEAD' },
      });
    }
  });

  it('refuses a target that is not a path (absolute or asterisk form) with 400', () => {
    for (const rawPath of ['http://example.test/app.jar', '*', '']) {
      assert.deepEqual(refusalOf('GET', rawPath), {
        status: 400,
        text: 'Bad request',
        reason: 'request target is not a path',
      });
    }
  });
});
