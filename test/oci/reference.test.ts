import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseOciReference, parseRegistryHost } from '../../src/oci/reference.ts';
import { InvalidValueError } from '../../src/options/expected.ts';

const digest = `sha256:${'a1'.repeat(32)}`;

/** The message parseOciReference refuses `raw` with. */
function refusal(raw: string): string {
  try {
    parseOciReference(raw);
  } catch (error) {
    assert.ok(error instanceof InvalidValueError, `${raw}: ${String(error)}`);
    return error.message;
  }
  assert.fail(`${raw} was accepted`);
}

describe('parseOciReference', () => {
  it('reads registry, repository and tag', () => {
    assert.deepEqual(parseOciReference('oci://ghcr.io/team/app:1.4.2'), {
      registry: 'ghcr.io',
      repository: 'team/app',
      tag: '1.4.2',
      digest: undefined,
      manifestReference: '1.4.2',
      display: 'oci://ghcr.io/team/app:1.4.2',
    });
  });

  it('fetches by digest when one is given, keeping the tag for the logs', () => {
    const both = parseOciReference(`oci://registry.example:5000/app:1.0@${digest}`);
    assert.equal(both.registry, 'registry.example:5000');
    assert.equal(both.tag, '1.0');
    assert.equal(both.digest, digest);
    assert.equal(both.manifestReference, digest);
    assert.equal(both.display, `oci://registry.example:5000/app:1.0@${digest}`);
    const pinned = parseOciReference(`oci://localhost:5000/app@${digest}`);
    assert.equal(pinned.tag, undefined);
    assert.equal(pinned.manifestReference, digest);
  });

  it('takes IPv4 and bracketed IPv6 registries, host in lower case, port normalised', () => {
    assert.equal(parseOciReference('oci://127.0.0.1:5000/a:b').registry, '127.0.0.1:5000');
    assert.equal(parseOciReference('oci://[::1]:5000/a:b').registry, '[::1]:5000');
    assert.equal(parseOciReference('oci://[FE80::1]/a:b').registry, '[fe80::1]');
    const upper = parseOciReference('OCI://Registry.Example:05000/a:b');
    assert.equal(upper.registry, 'registry.example:5000');
    assert.equal(upper.display, 'oci://registry.example:5000/a:b');
  });

  it('accepts every separator the grammar allows inside a path component', () => {
    const repository = 'a.b/c_d/e__f/g-h/i---j/k0';
    assert.equal(parseOciReference(`oci://r.example/${repository}:t`).repository, repository);
    assert.equal(parseOciReference(`oci://r.example/a:${'T'.repeat(128)}`).tag, 'T'.repeat(128));
    assert.equal(parseOciReference('oci://r.example/a:_v1.0-rc.1').tag, '_v1.0-rc.1');
  });

  it('refuses a missing tag and digest rather than assuming latest', () => {
    assert.match(
      refusal('oci://ghcr.io/team/app'),
      /expected a tag \(oci:\/\/ghcr\.io\/team\/app:1\.4\.2\) or a digest .*"latest" is not assumed/,
    );
  });

  it('names an upper-case repository and the lower-case one that would work', () => {
    assert.match(
      refusal('oci://ghcr.io/Team/App:1'),
      /expected a repository in lower case, got "Team\/App" .*use "team\/app"/,
    );
  });

  it('names the path component that breaks the grammar', () => {
    for (const bad of ['-app', 'app-', 'a..b', 'a___b', 'a_.b', 'app!']) {
      assert.match(
        refusal(`oci://r.example/team/${bad}:1`),
        new RegExp(`got "${bad.replace('.', '\\.')}"`),
        bad,
      );
    }
    assert.match(refusal('oci://r.example/team//app:1'), /separated by single "\/"/);
    assert.match(refusal('oci://r.example/team/app/:1'), /separated by single "\/"/);
  });

  it('refuses a bad tag, saying what a tag may hold', () => {
    assert.match(
      refusal('oci://r.example/app:.hidden'),
      /expected a tag of 1 to 128 .*got "\.hidden"/,
    );
    assert.match(refusal(`oci://r.example/app:${'t'.repeat(129)}`), /expected a tag of 1 to 128/);
    assert.match(refusal('oci://r.example/app:'), /got an empty value/);
  });

  it('accepts sha256 only, and says so for another algorithm', () => {
    assert.match(
      refusal(`oci://r.example/app@sha512:${'ab'.repeat(64)}`),
      /only sha256 digests are accepted, got a "sha512" digest/,
    );
    assert.match(refusal(`oci://r.example/app@sha256:${'AB'.repeat(32)}`), /lower-case hex/);
    assert.match(
      refusal('oci://r.example/app@sha256:abc'),
      /64 lower-case hex digits .*got 3 characters/,
    );
    assert.match(refusal('oci://r.example/app@'), /expected a digest such as sha256:/);
    assert.match(refusal(`oci://r.example/app@${digest}@${digest}`), /at most one "@"/);
  });

  it('refuses credentials in the reference without showing them', () => {
    for (const raw of [
      'oci://robot:hunter2secret@ghcr.io/team/app:1',
      'oci://robot:hunter2secret@ghcr.io',
      'oci://robot:hunter2/secret@ghcr.io/team/app:1',
    ]) {
      const message = refusal(raw);
      assert.match(
        message,
        /registry credentials belong in the registry auth file \(a Docker config\.json\)/,
      );
      assert.doesNotMatch(message, /hunter2|robot|secret@/, raw);
    }
  });

  it('refuses a query or fragment without showing it', () => {
    const message = refusal('oci://ghcr.io/team/app:1?sig=topsecretvalue');
    assert.match(message, /a query, a fragment/);
    assert.doesNotMatch(message, /topsecretvalue/);
  });

  it('says what shape is expected for a missing repository or another scheme', () => {
    assert.match(refusal('oci://ghcr.io'), /a repository after the registry/);
    assert.match(refusal('oci://ghcr.io/'), /a repository after the registry/);
    assert.match(
      refusal('docker://ghcr.io/app:1'),
      /^expected oci:\/\/REGISTRY\[:PORT\]\/REPOSITORY:TAG/,
    );
  });

  it('limits the registry and repository together to 255 characters', () => {
    const long = 'a'.repeat(250);
    assert.match(refusal(`oci://r.example/${long}:1`), /at most 255 characters, got 260/);
  });
});

describe('parseRegistryHost', () => {
  it('refuses a bad host or port, naming it', () => {
    assert.throws(
      () => parseRegistryHost('reg_istry.example'),
      /expected a registry host name.*got "reg_istry\.example"/,
    );
    assert.throws(() => parseRegistryHost('-registry.example'), /expected a registry host name/);
    assert.throws(() => parseRegistryHost('[::1'), /expected a registry host name/);
    assert.throws(() => parseRegistryHost('[not-ipv6]:5000'), /expected a registry host name/);
    assert.throws(() => parseRegistryHost('::1'), /expected a registry host name/);
    assert.throws(() => parseRegistryHost('registry.example:0'), /port from 1 to 65535, got "0"/);
    assert.throws(() => parseRegistryHost('registry.example:65536'), /got "65536"/);
    assert.throws(() => parseRegistryHost('registry.example:'), /got an empty value/);
    assert.throws(() => parseRegistryHost('registry.example:50:00'), /got "50:00"/);
  });
});
