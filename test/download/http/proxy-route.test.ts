import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProxyRoutes } from '../../../src/download/http/proxy-route.ts';

const proxy = 'http://proxy.internal:3128';

/** Whether a request to `url` goes through the proxy with this NO_PROXY. */
function proxied(url: string, noProxy: string | undefined): boolean {
  const routes = new ProxyRoutes({ httpProxy: proxy, httpsProxy: proxy, noProxy });
  return routes.for(new URL(url)) !== undefined;
}

describe('ProxyRoutes', () => {
  it('HTTP_PROXY for http URLs, HTTPS_PROXY for https URLs, none when unset', () => {
    const routes = new ProxyRoutes({
      httpProxy: 'http://plain:3128',
      httpsProxy: 'https://tls:8443',
      noProxy: undefined,
    });
    assert.deepEqual(routes.for(new URL('http://a.example/x')), {
      protocol: 'http:',
      host: 'plain',
      port: 3128,
    });
    assert.deepEqual(routes.for(new URL('https://a.example/x')), {
      protocol: 'https:',
      host: 'tls',
      port: 8443,
    });
    const none = new ProxyRoutes({ httpProxy: undefined, httpsProxy: undefined, noProxy: '' });
    assert.equal(none.for(new URL('https://a.example/x')), undefined);
  });

  it('an https URL goes through HTTP_PROXY when HTTPS_PROXY is unset; never the other way', () => {
    const onlyHttp = new ProxyRoutes({
      httpProxy: 'http://plain:3128',
      httpsProxy: undefined,
      noProxy: undefined,
    });
    assert.equal(onlyHttp.for(new URL('https://a.example/x'))?.host, 'plain');
    const onlyHttps = new ProxyRoutes({
      httpProxy: undefined,
      httpsProxy: 'http://tunnel:3128',
      noProxy: undefined,
    });
    assert.equal(onlyHttps.for(new URL('http://a.example/x')), undefined);
  });

  it("takes the proxy's default port, decoded credentials, and socks: as socks5:", () => {
    const routes = new ProxyRoutes({
      httpProxy: 'http://us%40er:p%3Ass@plain',
      httpsProxy: 'socks://[::1]',
      noProxy: undefined,
    });
    assert.deepEqual(routes.for(new URL('http://a.example/')), {
      protocol: 'http:',
      host: 'plain',
      port: 80,
      credentials: { username: 'us@er', password: 'p:ss' },
    });
    assert.deepEqual(routes.for(new URL('https://a.example/')), {
      protocol: 'socks5:',
      host: '::1',
      port: 1080,
    });
  });

  it("socks5h: (curl's name for a proxy that resolves names) is socks5:, which does that", () => {
    const routes = new ProxyRoutes({
      httpProxy: 'socks5h://u:p@socks.internal',
      httpsProxy: 'socks5h://socks.internal:9050',
      noProxy: undefined,
    });
    assert.deepEqual(routes.for(new URL('http://a.example/')), {
      protocol: 'socks5:',
      host: 'socks.internal',
      port: 1080,
      credentials: { username: 'u', password: 'p' },
    });
    assert.equal(routes.for(new URL('https://a.example/'))?.protocol, 'socks5:');
  });

  it('NO_PROXY: * bypasses every host; an empty value none', () => {
    assert.equal(proxied('https://a.example/x', '*'), false);
    assert.equal(proxied('https://a.example/x', ''), true);
    assert.equal(proxied('https://a.example/x', undefined), true);
  });

  it('NO_PROXY: a name bypasses that host and every host under it, with or without a leading dot', () => {
    for (const entry of ['example.com', '.example.com']) {
      assert.equal(proxied('https://example.com/', entry), false, entry);
      assert.equal(proxied('https://a.b.example.com/', entry), false, entry);
      assert.equal(proxied('https://notexample.com/', entry), true, entry);
      assert.equal(proxied('https://example.com.evil/', entry), true, entry);
    }
  });

  it('NO_PROXY: *.name bypasses the hosts under it only', () => {
    assert.equal(proxied('https://a.example.com/', '*.example.com'), false);
    assert.equal(proxied('https://example.com/', '*.example.com'), true);
  });

  it('NO_PROXY: a port limits the entry to that port, the URL’s default port included', () => {
    assert.equal(proxied('https://example.com/', 'example.com:443'), false);
    assert.equal(proxied('https://example.com:8443/', 'example.com:443'), true);
    assert.equal(proxied('http://example.com/', 'example.com:80'), false);
    assert.equal(proxied('https://example.com:8443/', '*:8443'), false);
  });

  it('NO_PROXY: addresses, IPv6 bare or bracketed, with a port only in brackets', () => {
    assert.equal(proxied('http://127.0.0.1:8080/', '127.0.0.1'), false);
    assert.equal(proxied('http://127.0.0.2:8080/', '127.0.0.1'), true);
    assert.equal(proxied('http://[::1]:8080/', '::1'), false);
    assert.equal(proxied('http://[::1]:8080/', '[::1]'), false);
    assert.equal(proxied('http://[::1]:8080/', '[::1]:8080'), false);
    assert.equal(proxied('http://[::1]:9090/', '[::1]:8080'), true);
  });

  it('NO_PROXY: a CIDR range (as curl reads it) bypasses the addresses in it, with a port too', () => {
    const list = '10.0.0.0/8,192.168.1.0/24:8080,fd00::/8';
    assert.equal(proxied('http://10.96.0.1/', list), false);
    assert.equal(proxied('https://10.255.255.255:8443/', list), false);
    assert.equal(proxied('http://11.0.0.1/', list), true);
    assert.equal(proxied('http://192.168.1.7:8080/', list), false);
    assert.equal(proxied('http://192.168.1.7/', list), true, 'another port');
    assert.equal(proxied('http://[fd12:3456::1]/', list), false);
    assert.equal(proxied('http://[fe80::1]/', list), true);
    assert.equal(proxied('http://example.com/', list), true);
  });

  it('NO_PROXY: an IPv6 range in brackets is the bare one, with a port after it too', () => {
    assert.equal(proxied('http://[fd12:3456::1]/', '[fd00::]/8'), false);
    assert.equal(proxied('http://[fe80::1]/', '[fd00::]/8'), true);
    assert.equal(proxied('http://example.com/', '[fd00::]/8'), true);
    assert.equal(proxied('http://[fd12::1]:8080/', '[fd00::]/8:8080'), false);
    assert.equal(proxied('http://[fd12::1]:9090/', '[fd00::]/8:8080'), true, 'another port');
  });

  it('NO_PROXY: an address matches as one, however it is written, and never as the tail of a name', () => {
    assert.equal(proxied('http://[::1]/', '0:0:0:0:0:0:0:1'), false);
    assert.equal(proxied('http://127.0.0.1/', '0.0.1'), true);
    assert.equal(proxied('http://127.0.0.1/', '0.1'), true);
  });

  it('NO_PROXY: entries split at commas and white space; case and a trailing dot do not matter', () => {
    const list = ' registry.internal ,\tEXAMPLE.com.  other.test';
    assert.equal(proxied('https://Example.COM/', list), false);
    assert.equal(proxied('https://example.com./', list), false);
    assert.equal(proxied('https://registry.internal/', list), false);
    assert.equal(proxied('https://other.test/', list), false);
    assert.equal(proxied('https://third.test/', list), true);
  });
});
