import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RejectedError } from '../../src/errors.ts';
import { type Challenge, chooseChallenge, parseChallenges } from '../../src/resolve/challenge.ts';

/** The challenges as plain objects, for deepEqual. */
function read(header: string | readonly string[]) {
  return parseChallenges(header).map(({ scheme, params, token68 }) => ({
    scheme,
    params: Object.fromEntries(params),
    ...(token68 === undefined ? {} : { token68 }),
  }));
}

describe('parseChallenges', () => {
  it("reads a registry's Bearer challenge", () => {
    assert.deepEqual(
      read(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:team/app:pull"',
      ),
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.example/token',
            service: 'registry.example',
            scope: 'repository:team/app:pull',
          },
        },
      ],
    );
  });

  it('reads several challenges in one header and across headers', () => {
    const expected = [
      { scheme: 'basic', params: { realm: 'Registry Realm', charset: 'UTF-8' } },
      { scheme: 'bearer', params: { realm: 'https://a/t' } },
      { scheme: 'newauth', params: {} },
    ];
    assert.deepEqual(
      read('Basic realm="Registry Realm", charset=UTF-8, Bearer realm="https://a/t", NewAuth'),
      expected,
    );
    assert.deepEqual(
      read([
        'Basic realm="Registry Realm", charset=UTF-8',
        'Bearer realm="https://a/t"',
        'NewAuth',
      ]),
      expected,
    );
  });

  it('takes scheme and parameter names in any case, the first of a repeated name, spaces around "="', () => {
    assert.deepEqual(read('BEARER Realm = "x" ,REALM="y",  Service=reg'), [
      { scheme: 'bearer', params: { realm: 'x', service: 'reg' } },
    ]);
  });

  it('unescapes quoted strings and keeps commas and "=" inside them', () => {
    assert.deepEqual(
      read('Bearer realm="a\\"b\\\\c", scope="repository:x:pull,push", error="a=b"'),
      [
        {
          scheme: 'bearer',
          params: { realm: 'a"b\\c', scope: 'repository:x:pull,push', error: 'a=b' },
        },
      ],
    );
  });

  it('tells a token68, padding included, from parameters', () => {
    assert.deepEqual(read('Negotiate YII/+a==, Basic abc=, Basic'), [
      { scheme: 'negotiate', params: {}, token68: 'YII/+a==' },
      { scheme: 'basic', params: {}, token68: 'abc=' },
      { scheme: 'basic', params: {} },
    ]);
    // `realm=` with no value is a token68 by the grammar, not an empty parameter.
    assert.deepEqual(read('Bearer realm=,Basic'), [
      { scheme: 'bearer', params: {}, token68: 'realm=' },
      { scheme: 'basic', params: {} },
    ]);
  });

  it('reads an empty header and empty list elements as nothing', () => {
    assert.deepEqual(read(''), []);
    assert.deepEqual(read(' , ,Basic , '), [{ scheme: 'basic', params: {} }]);
  });

  it('refuses what breaks the grammar, saying where', () => {
    for (const [header, position, what] of [
      ['Bearer realm=https://a/token', 19, '","'],
      ['Bearer realm="x" junk', 18, '","'],
      ['Bearer realm="unclosed', 23, 'the closing quote'],
      ['Negotiate abc def', 15, '","'],
      ['"quoted"', 1, 'an authentication scheme'],
      ['Bearer realm="x" , @', 20, 'an authentication scheme'],
    ] as const) {
      assert.throws(
        () => parseChallenges(header),
        (error: Error) =>
          error instanceof RejectedError &&
          error.message.includes(`expected ${what}`) &&
          error.message.includes(`at character ${position} (RFC 9110 §11.6.1)`),
        header,
      );
    }
  });
});

describe('chooseChallenge', () => {
  const challenge = (scheme: string): Challenge => ({
    scheme,
    params: new Map(),
    token68: undefined,
  });

  it('answers Bearer over Basic, Basic over nothing, and nothing else', () => {
    assert.equal(chooseChallenge([challenge('basic'), challenge('bearer')])?.scheme, 'bearer');
    assert.equal(chooseChallenge([challenge('negotiate'), challenge('basic')])?.scheme, 'basic');
    assert.equal(chooseChallenge([challenge('negotiate'), challenge('digest')]), undefined);
    assert.equal(chooseChallenge([]), undefined);
  });
});
