import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/errors.ts';
import { Redactor } from '../../src/log/redact.ts';
import {
  type AuthFile,
  credentialsFor,
  hostOfKey,
  parseAuthFile,
} from '../../src/resolve/credentials.ts';

const source = 'LOADER_REGISTRY_AUTH_FILE (/var/run/secrets/registry/config.json)';
const base64 = (text: string) => Buffer.from(text).toString('base64');

function parse(config: unknown, redactor = new Redactor()): AuthFile {
  return parseAuthFile(JSON.stringify(config), source, redactor);
}

/** The ConfigError `text` is refused with; it must name the source and show none of `secrets`. */
function refusal(text: string, secrets: readonly string[] = []): string {
  try {
    parseAuthFile(text, source, new Redactor());
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.ok(error.message.startsWith(source), error.message);
    for (const secret of secrets) assert.ok(!error.message.includes(secret), error.message);
    return error.message;
  }
  assert.fail('accepted');
}

describe('parseAuthFile and credentialsFor', () => {
  it('reads auth as base64 of user:password, split at the first colon, winning over the fields', () => {
    const file = parse({
      auths: {
        'ghcr.io': { auth: base64('robot:pass:with:colons'), username: 'other', password: 'x' },
      },
    });
    assert.deepEqual(credentialsFor(file, 'ghcr.io'), {
      found: true,
      key: 'ghcr.io',
      credentials: { kind: 'basic', username: 'robot', password: 'pass:with:colons' },
    });
  });

  it('reads username and password, and an identitytoken over both', () => {
    const file = parse({
      auths: {
        'registry.example:5000': { username: 'u', password: 'p4ssw0rd' },
        'acr.example': {
          auth: base64('00000000-0000-0000-0000-000000000000:'),
          identitytoken: 'refresh-token-value',
        },
      },
    });
    const basic = credentialsFor(file, 'registry.example:5000');
    assert.ok(basic.found);
    assert.deepEqual(basic.credentials, { kind: 'basic', username: 'u', password: 'p4ssw0rd' });
    const token = credentialsFor(file, 'acr.example');
    assert.ok(token.found);
    assert.deepEqual(token.credentials, {
      kind: 'identity-token',
      username: '00000000-0000-0000-0000-000000000000',
      identityToken: 'refresh-token-value',
    });
  });

  it('matches keys as docker does: scheme, path and Docker Hub aliases', () => {
    const file = parse({
      auths: {
        'https://index.docker.io/v1/': { auth: base64('hub:hubpass1') },
        'http://Registry.Example:5000': { auth: base64('plain:plainpass') },
        'quay.example/some/path': { auth: base64('quay:quaypass') },
      },
    });
    for (const registry of ['docker.io', 'index.docker.io', 'registry-1.docker.io']) {
      const found = credentialsFor(file, registry);
      assert.ok(found.found, registry);
      assert.equal(found.key, 'https://index.docker.io/v1/');
    }
    assert.ok(credentialsFor(file, 'registry.example:5000').found);
    assert.ok(credentialsFor(file, 'quay.example').found);
    assert.deepEqual(credentialsFor(file, 'registry.example:5001'), {
      found: false,
      note: undefined,
    });
    assert.deepEqual(credentialsFor(file, 'other.example'), { found: false, note: undefined });
  });

  it('prefers the key written as the registry; refuses differing others as ambiguous', () => {
    const exact = parse({
      auths: {
        'https://ghcr.io': { auth: base64('a:first-pass') },
        'ghcr.io': { auth: base64('b:second-pass') },
      },
    });
    const chosen = credentialsFor(exact, 'ghcr.io');
    assert.ok(chosen.found);
    assert.equal(chosen.key, 'ghcr.io');
    const same = parse({
      auths: {
        'https://q.example': { auth: base64('a:p1') },
        'http://q.example/v2/': { auth: base64('a:p1') },
      },
    });
    assert.ok(credentialsFor(same, 'q.example').found);
    const differing = parse({
      auths: {
        'https://q.example': { auth: base64('a:p1') },
        'http://q.example/v2/': { auth: base64('b:p2') },
      },
    });
    assert.throws(
      () => credentialsFor(differing, 'q.example'),
      (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.match(
          error.message,
          /"https:\/\/q\.example", "http:\/\/q\.example\/v2\/" all name q\.example with different credentials/,
        );
        assert.doesNotMatch(error.message, /p1|p2/);
        return true;
      },
    );
  });

  it('says when only a credential helper or store could have the credentials', () => {
    const file = parse({
      auths: { 'ghcr.io': {}, 'only-token.example': { registrytoken: 'bearer-value-123' } },
      credsStore: 'desktop',
      credHelpers: { 'gcr.io': 'gcloud', 'https://ecr.example': 'ecr-login' },
    });
    const helper = credentialsFor(file, 'gcr.io');
    assert.equal(helper.found, false);
    assert.match(
      helper.found ? '' : (helper.note ?? ''),
      /names the credential helper docker-credential-gcloud for gcr\.io, which cannot run in the loader's image: put the credentials under "auths"/,
    );
    const ecr = credentialsFor(file, 'ecr.example');
    assert.match(ecr.found ? '' : (ecr.note ?? ''), /docker-credential-ecr-login/);
    const store = credentialsFor(file, 'ghcr.io');
    assert.match(
      store.found ? '' : (store.note ?? ''),
      /may keep the credentials for ghcr\.io in the store docker-credential-desktop/,
    );
    const token = credentialsFor(file, 'only-token.example');
    assert.match(token.found ? '' : (token.note ?? ''), /only a "registrytoken"/);
  });

  it('uses inline credentials even where a helper is also named', () => {
    const file = parse({
      auths: { 'gcr.io': { auth: base64('u:inline-pass') } },
      credHelpers: { 'gcr.io': 'gcloud' },
    });
    assert.ok(credentialsFor(file, 'gcr.io').found);
  });

  it('hands every secret to the redactor as it reads, used or not', () => {
    const redactor = new Redactor();
    parse(
      {
        auths: {
          a: { auth: base64('user-a:s3cret:pa55word') },
          b: { username: 'user-b', password: 'second-password' },
          c: { identitytoken: 'identity-token-value' },
          d: { registrytoken: 'registry-token-value' },
        },
      },
      redactor,
    );
    const leaks = [
      base64('user-a:s3cret:pa55word'),
      's3cret:pa55word',
      'second-password',
      base64('user-b:second-password'),
      'identity-token-value',
      'registry-token-value',
    ];
    for (const leak of leaks) assert.equal(redactor.scrub(`x ${leak} y`), 'x [redacted] y', leak);
    assert.equal(redactor.scrub('user-a user-b'), 'user-a user-b', 'user names are no secret');
  });

  it('refuses malformed JSON without quoting it', () => {
    const message = refusal('{"auths": {"ghcr.io": {"auth": "c2VjcmV0", oops}}}', [
      'c2VjcmV0',
      'oops',
    ]);
    assert.match(
      message,
      /is not valid JSON; expected a Docker config\.json .*\(contents not shown\)/,
    );
  });

  it('refuses an auth that is not base64 of user:password, naming the entry only', () => {
    for (const auth of [
      'not base64!',
      base64('no-colon-here'),
      'abcde',
      Buffer.from([0xff, 0x3a, 0x41]).toString('base64'),
    ]) {
      const message = refusal(JSON.stringify({ auths: { 'ghcr.io': { auth } } }), [auth]);
      assert.match(
        message,
        /the auths entry "ghcr\.io" has an "auth" value that is not the base64 of user:password \(not shown\)/,
      );
    }
    assert.ok(
      credentialsFor(parse({ auths: { x: { auth: base64('u:p').replace(/=+$/, '') } } }), 'x')
        .found,
      'padding is optional',
    );
  });

  it('refuses wrong shapes, naming what was expected', () => {
    assert.match(refusal('[]'), /expected a JSON object with "auths"/);
    assert.match(refusal('{"auths": []}'), /expected "auths" to be an object/);
    assert.match(refusal('{"auths": {"h": "x"}}'), /the auths entry "h" is not an object/);
    assert.match(
      refusal('{"auths": {"h": {"password": 12345678}}}', ['12345678']),
      /has a "password" that is not a string/,
    );
    assert.match(refusal('{"credsStore": 1}'), /"credsStore" to be a string/);
    assert.match(refusal('{"credHelpers": {"h": 1}}'), /credHelpers value for "h" to be a string/);
    assert.match(
      refusal(JSON.stringify({ 'ghcr.io': { auth: base64('u:p'), email: 'e' } })),
      /old \.dockercfg format/,
    );
    assert.match(
      refusal(`{"auths":{},"pad":"${'x'.repeat(1024 * 1024)}"}`),
      /too large for a Docker config\.json \(at most 1048576\)/,
    );
  });

  it('accepts a file with no credentials at all', () => {
    assert.deepEqual(credentialsFor(parse({}), 'ghcr.io'), { found: false, note: undefined });
  });
});

describe('hostOfKey', () => {
  it('keeps the port, drops scheme and path, lowercases', () => {
    assert.equal(hostOfKey('https://Reg.Example:5000/v1/'), 'reg.example:5000');
    assert.equal(hostOfKey('reg.example:5000/v2'), 'reg.example:5000');
    assert.equal(hostOfKey('[::1]:5000'), '[::1]:5000');
    assert.equal(hostOfKey('http://[::1]:5000/'), '[::1]:5000');
    assert.equal(hostOfKey('index.docker.io'), 'docker.io');
  });
});
