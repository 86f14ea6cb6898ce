import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { proxyUrlVariableNames, readProxySettings } from '../../src/config/proxy-settings.ts';

describe('readProxySettings', () => {
  it('reads the lower-case name first, as curl and undici do, and an empty one as unset', () => {
    const problems: string[] = [];
    const proxy = readProxySettings(
      {
        HTTP_PROXY: 'http://upper:3128',
        http_proxy: 'http://lower:3128',
        https_proxy: '',
        HTTPS_PROXY: 'http://tunnel:3128',
        no_proxy: '127.0.0.1',
      },
      problems,
    );
    assert.deepEqual(proxy, {
      httpProxy: 'http://lower:3128',
      httpsProxy: 'http://tunnel:3128',
      noProxy: '127.0.0.1',
    });
    assert.deepEqual(problems, []);
  });

  it('reports a bad proxy under the name it came from, never its value', () => {
    const problems: string[] = [];
    const proxy = readProxySettings(
      { https_proxy: 'user:proxysecret@host:3128', HTTP_PROXY: 'http://u:pa%zz@host:3128' },
      problems,
    );
    assert.deepEqual(proxy, { httpProxy: undefined, httpsProxy: undefined, noProxy: undefined });
    assert.equal(problems.length, 2);
    assert.match(
      problems[0] ?? '',
      /^HTTP_PROXY: expected the password in the URL to be percent-encoded/,
    );
    assert.match(
      problems[1] ?? '',
      /^https_proxy: expected a proxy URL such as http:\/\/proxy\.internal:3128/,
    );
    assert.doesNotMatch(problems.join(' '), /proxysecret|pa%zz/);
  });

  it("takes every proxy scheme the loader speaks, socks5h: (curl's name) too", () => {
    for (const url of [
      'http://proxy:3128',
      'https://proxy:8443',
      'socks5://proxy:1080',
      'socks5h://proxy:1080',
      'socks://proxy',
    ]) {
      const problems: string[] = [];
      assert.equal(readProxySettings({ HTTPS_PROXY: url }, problems).httpsProxy, url);
      assert.deepEqual(problems, [], url);
    }
    const problems: string[] = [];
    readProxySettings({ HTTPS_PROXY: 'socks4://proxy:1080' }, problems);
    assert.match(problems[0] ?? '', /^HTTPS_PROXY: expected a proxy URL/);
  });

  it('names every spelling that may carry a proxy URL, for redaction', () => {
    assert.deepEqual([...proxyUrlVariableNames].sort(), [
      'HTTPS_PROXY',
      'HTTP_PROXY',
      'http_proxy',
      'https_proxy',
    ]);
  });
});
