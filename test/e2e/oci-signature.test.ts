// End-to-end tests of issue 22's oci:// part: with keys and no ARTIFACT_SIGNATURE_URL, the
// built loader finds the image's cosign signature at a real registry (Debian's
// docker-registry, which has no referrers API, behind the counting relay, which serves one
// where a test asks for it) and checks it before any layer is asked for. Signatures are made
// at test time with node:crypto in cosign's format (see helpers/registry/cosign.ts).
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { buildJar } from '../../scripts/jar.ts';
import { recordPathFor } from '../../src/artifact/verification-record.ts';
import { maxSignatureFetches } from '../../src/resolve/cosign-signature.ts';
import { describeRun, eventsNamed, finalEvent, firstEventNamed } from '../helpers/events.ts';
import { dockerConfig, type OciScenario, ociScenario } from '../helpers/oci-scenario.ts';
import { assertNothingPublished, assertPublished } from '../helpers/published.ts';
import { type Artifact, pushArtifact } from '../helpers/registry/artifact.ts';
import { basic, type Credentials } from '../helpers/registry/client.ts';
import {
  type CosignKeyPair,
  cosignKeyPair,
  referrerDescriptor,
  referrerSignatureArtifact,
  referrersTag,
  referrersTagIndex,
  type SignatureLayer,
  signatureArtifact,
  signatureLayer,
  signatureTag,
  signPayload,
  simpleSigningPayload,
} from '../helpers/registry/cosign.ts';
import { imageArtifact } from '../helpers/registry/image.ts';
import { amd64, arm64, imageIndex } from '../helpers/registry/image-index.ts';
import { orasArtifact } from '../helpers/registry/oras.ts';
import { sha256Digest } from '../helpers/registry/push.ts';
import { startRegistry } from '../helpers/registry/registry.ts';
import { type RelayedRequest, type RelayOptions, startRelay } from '../helpers/registry/relay.ts';
import type { LoaderRun } from '../helpers/run-loader.ts';

const jar = await buildJar();
const otherJar = await buildJar({ extra: { 'other.txt': Buffer.from('other') } });
const oras = orasArtifact(jar);
const other = orasArtifact(otherJar);
const ecdsa = cosignKeyPair();
const ed25519 = cosignKeyPair('ed25519');
const rotated = cosignKeyPair();
const stranger = cosignKeyPair();
const user: Credentials = { username: 'robot', password: 'S1gnature-Registry-Passw0rd' };

/** Pushes `signed` at `repo:tag` and cosign's signature manifest of it under its .sig tag. */
async function pushSigned(
  s: Pick<OciScenario, 'registry'>,
  repo: string,
  signed: Artifact,
  layers: readonly SignatureLayer[],
  credentials?: Credentials,
): Promise<void> {
  await pushArtifact(s.registry, repo, '1.0', signed, credentials);
  const tag = signatureTag(signed.digest);
  await pushArtifact(s.registry, repo, tag, signatureArtifact(layers), credentials);
}

/** The relay's requests during `run`, as `METHOD path`. */
async function traced(s: OciScenario, run: () => Promise<LoaderRun>) {
  const from = s.relay.requests.length;
  const result = await run();
  const requests: RelayedRequest[] = s.relay.requests.slice(from);
  return { result, requests, lines: requests.map((r) => `${r.method} ${r.path} ${r.status}`) };
}

const keyEnv = (...keys: CosignKeyPair[]) => ({
  ARTIFACT_PUBLIC_KEY: keys.map((key) => key.publicKeyPem).join('\n'),
});

/**
 * Pushes `oras` at `repo:1.0` with `layers` under its .sig tag and runs it with `env`: the run
 * must exit with `code` and publish nothing. The run, and the relay's requests during it.
 */
async function failingRun(
  s: OciScenario,
  code: number,
  repo: string,
  layers: readonly SignatureLayer[],
  env: Record<string, string>,
) {
  await pushSigned(s, repo, oras, layers);
  const run = await traced(s, () => s.run(s.reference(`${repo}:1.0`), env));
  assert.equal(run.result.code, code, describeRun(run.result));
  await assertNothingPublished(s.target);
  return run;
}

describe('oci:// image signatures found at the registry (issue 22)', () => {
  let s: OciScenario;
  before(async () => {
    s = await ociScenario({ artifacts: {} });
  });
  after(() => s[Symbol.asyncDispose]());
  beforeEach(() => rm(join(s.dir.path, 'out'), { recursive: true, force: true }));

  it('the .sig tag, ECDSA P-256: a registry without referrers API falls back to the tags, checked before the layer', async () => {
    const layer = signatureLayer(ecdsa, oras.digest);
    await pushSigned(s, 'team/ecdsa', oras, [layer]);
    const { result, lines } = await traced(s, () =>
      s.run(s.reference('team/ecdsa:1.0'), keyEnv(ecdsa)),
    );
    assert.equal(result.code, 0, describeRun(result));
    await assertPublished(s.target, jar);
    const hex = oras.digest.slice('sha256:'.length);
    assert.deepEqual(lines, [
      'GET /v2/team/ecdsa/manifests/1.0 200',
      `GET /v2/team/ecdsa/referrers/${oras.digest} 404`,
      `GET /v2/team/ecdsa/manifests/sha256-${hex} 404`,
      `GET /v2/team/ecdsa/manifests/sha256-${hex}.sig 200`,
      `GET /v2/team/ecdsa/blobs/${sha256Digest(layer.payload)} 200`,
      `GET /v2/team/ecdsa/blobs/${oras.blobs[1]?.digest} 200`,
    ]);
    const signature = firstEventNamed(result, 'signature');
    assert.equal(signature.signatureForm, 'cosign image signature');
    assert.equal(signature.signedBy, ecdsa.id);
    assert.equal(signature.signedDigest, oras.digest);
    assert.equal(finalEvent(result).signedBy, ecdsa.id);
    const record = JSON.parse(await readFile(recordPathFor(s.target), 'utf8'));
    assert.equal(record.signedBy, ecdsa.id);
    assert.equal(record.manifestDigest, oras.digest);
  });

  it('the .sig tag, Ed25519', async () => {
    await pushSigned(s, 'team/ed25519', oras, [signatureLayer(ed25519, oras.digest)]);
    const result = await s.run(s.reference('team/ed25519:1.0'), keyEnv(ed25519));
    assert.equal(result.code, 0, describeRun(result));
    await assertPublished(s.target, jar);
    assert.equal(finalEvent(result).signedBy, ed25519.id);
  });

  it('a rotation: several signatures and several keys, one valid pair passes', async () => {
    await pushSigned(s, 'team/rotation', oras, [
      signatureLayer(stranger, oras.digest),
      signatureLayer(rotated, oras.digest),
    ]);
    const result = await s.run(s.reference('team/rotation:1.0'), keyEnv(ecdsa, rotated));
    assert.equal(result.code, 0, describeRun(result));
    assert.equal(finalEvent(result).signedBy, rotated.id);
    assert.match(String(firstEventNamed(result, 'signature').msg), /signature 2 of 2/);
  });

  it('an index: the signature of the index digest, or of the platform manifest the pull chose', async () => {
    const index = imageIndex([
      { manifest: imageArtifact(jar, { platform: amd64 }), platform: amd64 },
      { manifest: imageArtifact(jar, { platform: arm64 }), platform: arm64 },
    ]);
    await pushSigned(s, 'team/index', index, [signatureLayer(ecdsa, index.digest)]);
    const signedIndex = await s.run(s.reference('team/index:1.0'), keyEnv(ecdsa));
    assert.equal(signedIndex.code, 0, describeRun(signedIndex));
    assert.equal(firstEventNamed(signedIndex, 'signature').signedDigest, index.digest);

    // Only the platform's manifest signed (cosign sign REG/REPO@<platform digest>).
    await rm(join(s.dir.path, 'out'), { recursive: true, force: true });
    const platform = firstEventNamed(signedIndex, 'resolve').imageManifestDigest as string;
    await pushArtifact(s.registry, 'team/platform', '1.0', index);
    const tag = signatureTag(platform);
    await pushArtifact(
      s.registry,
      'team/platform',
      tag,
      signatureArtifact([signatureLayer(ecdsa, platform)]),
    );
    const { result, lines } = await traced(s, () =>
      s.run(s.reference('team/platform:1.0'), keyEnv(ecdsa)),
    );
    assert.equal(result.code, 0, describeRun(result));
    assert.equal(firstEventNamed(result, 'signature').signedDigest, platform);
    const sigTags = lines.filter((line) => line.includes('.sig'));
    assert.deepEqual(sigTags, [
      `GET /v2/team/platform/manifests/${signatureTag(index.digest)} 404`,
      `GET /v2/team/platform/manifests/${tag} 200`,
    ]);
  });

  it('no signature anywhere: exit 6 saying where it looked and naming the keys, nothing downloaded', async () => {
    await pushArtifact(s.registry, 'team/unsigned', '1.0', oras);
    const { result, requests } = await traced(s, () =>
      s.run(s.reference('team/unsigned:1.0'), keyEnv(ecdsa)),
    );
    assert.equal(result.code, 6, describeRun(result));
    const failed = finalEvent(result);
    assert.equal(failed.reason, 'signature-missing');
    assert.match(
      String(failed.msg),
      new RegExp(
        `no cosign image signature found: looked at the referrers tag oci://${s.relay.host}/team/unsigned:${referrersTag(oras.digest)}, the tag oci://${s.relay.host}/team/unsigned:${signatureTag(oras.digest)} \\(the registry has no referrers API\\).*${ecdsa.id}`,
      ),
    );
    assert.deepEqual(failed.signatureKeyIds, [ecdsa.id]);
    assert.equal(requests.filter((r) => r.blobDigest !== undefined).length, 0, 'no blob asked for');
    await assertNothingPublished(s.target);
  });

  it('a payload naming another digest: exit 6 naming both digests', async () => {
    // The signature of another image, copied under this image's .sig tag.
    const copied = [signatureLayer(ecdsa, other.digest)];
    const { result } = await failingRun(s, 6, 'team/copied', copied, keyEnv(ecdsa));
    const failed = finalEvent(result);
    assert.equal(failed.reason, 'signature-other-digest');
    assert.match(String(failed.msg), new RegExp(`for the manifest ${other.digest}`));
    assert.match(String(failed.msg), new RegExp(`not for the manifest pulled \\(${oras.digest}`));
  });

  it('a payload of another type than cosign signs: refused', async () => {
    const payload = simpleSigningPayload(oras.digest, 'registry.example/team/app', 'atomic');
    const layers = [{ payload, signature: signPayload(ecdsa, payload) }];
    const { result } = await failingRun(s, 6, 'team/type', layers, keyEnv(ecdsa));
    assert.match(String(finalEvent(result).msg), /critical\.type "atomic"/);
  });

  it('a signature by another key: exit 6 naming the key ids and the form', async () => {
    const layers = [signatureLayer(stranger, oras.digest)];
    const { result } = await failingRun(s, 6, 'team/stranger', layers, keyEnv(ecdsa));
    const failed = finalEvent(result);
    assert.equal(failed.reason, 'signature-mismatch');
    assert.equal(failed.signatureForm, 'cosign image signature');
    assert.match(String(failed.msg), new RegExp(`is not by ECDSA P-256 key ${ecdsa.id}`));
  });

  it('a signature manifest of 150 signatures by other keys: bounded fetches, a bounded message, exit 6', async () => {
    const layers = Array.from({ length: 150 }, (_, i) =>
      signatureLayer(stranger, oras.digest, `registry.example/team/app${i}`),
    );
    const { result, requests } = await failingRun(s, 6, 'team/flood', layers, keyEnv(ecdsa));
    const failed = finalEvent(result);
    assert.equal(failed.reason, 'signature-mismatch');
    const payloads = requests.filter((r) => r.blobDigest !== undefined);
    assert.equal(payloads.length, maxSignatureFetches, 'payloads fetched, no layer');
    const message = String(failed.msg);
    assert.ok(message.length < 2000, `a message of ${message.length} characters`);
    assert.match(message, /and 61 more refused/);
    assert.match(
      message,
      /86 more signature document\(s\) listed were not fetched \(at most 64 are from each source\)/,
    );
  });

  it('a restart after the key set changed: the signature is checked again, not the old record', async () => {
    await pushSigned(s, 'team/restart', oras, [
      signatureLayer(ecdsa, oras.digest),
      signatureLayer(rotated, oras.digest),
    ]);
    const reference = s.reference('team/restart:1.0');
    const first = await s.run(reference, keyEnv(ecdsa));
    assert.equal(first.code, 0, describeRun(first));
    assert.equal(finalEvent(first).signedBy, ecdsa.id);

    // The same key still given: the record is the proof, the tag is asked about and nothing more.
    const kept = await traced(s, () => s.run(reference, keyEnv(rotated, ecdsa)));
    assert.equal(kept.result.code, 0, describeRun(kept.result));
    assert.equal(finalEvent(kept.result).outcome, 'not-modified');
    assert.equal(finalEvent(kept.result).signedBy, ecdsa.id);
    assert.deepEqual(kept.lines, ['HEAD /v2/team/restart/manifests/1.0 200']);

    const again = await traced(s, () => s.run(reference, keyEnv(rotated)));
    assert.equal(again.result.code, 0, describeRun(again.result));
    assert.match(
      String(firstEventNamed(again.result, 'plan').reason),
      new RegExp(`signed by key ${ecdsa.id}, which is no longer among the keys given`),
    );
    assert.ok(
      again.lines.some((line) => line.includes('.sig 200')),
      'the signature fetched again',
    );
    assert.equal(finalEvent(again.result).outcome, 'downloaded');
    assert.equal(finalEvent(again.result).signedBy, rotated.id);
    const record = JSON.parse(await readFile(recordPathFor(s.target), 'utf8'));
    assert.equal(record.signedBy, rotated.id);

    // A key that signed nothing: refused, the old verification does not keep the file.
    const refused = await s.run(reference, keyEnv(stranger));
    assert.equal(refused.code, 6, describeRun(refused));
    assert.equal(finalEvent(refused).reason, 'signature-mismatch');
  });
});

describe('oci:// image signatures through the referrers API (issue 22)', () => {
  it('a registry with referrers: the OCI 1.1 signature is found there, the .sig tag never asked', async () => {
    const referrers = new Map<string, object[]>();
    await using s = await ociScenario({
      artifacts: { 'team/app:1.0': oras },
      relay: { referrers },
    });
    const subject = { mediaType: oras.mediaType, digest: oras.digest, size: oras.size };
    const signature = referrerSignatureArtifact([signatureLayer(ecdsa, oras.digest)], subject);
    await pushArtifact(s.registry, 'team/app', signature.digest, signature);
    // An unrelated referrer (an attestation, say) is passed over.
    referrers.set(oras.digest, [
      { ...referrerDescriptor(signature), artifactType: 'application/vnd.in-toto+json' },
      referrerDescriptor(signature),
    ]);
    const { result, lines } = await traced(s, () =>
      s.run(s.reference('team/app:1.0'), keyEnv(ecdsa)),
    );
    assert.equal(result.code, 0, describeRun(result));
    await assertPublished(s.target, jar);
    assert.deepEqual(lines.slice(0, 3), [
      'GET /v2/team/app/manifests/1.0 200',
      `GET /v2/team/app/referrers/${oras.digest} 200`,
      `GET /v2/team/app/manifests/${signature.digest} 200`,
    ]);
    assert.ok(!lines.some((line) => line.includes('.sig')), lines.join('\n'));
    assert.match(String(firstEventNamed(result, 'signature').msg), /the referrer sha256:/);
    assert.equal(finalEvent(result).signedBy, ecdsa.id);
  });
});

describe('oci:// image signatures on a registry that pages its referrers (follow-up of issue 22)', () => {
  it('the signature on the second page: the Link header is followed, and it is found', async () => {
    const referrers = new Map<string, object[]>();
    await using s = await ociScenario({
      artifacts: { 'team/app:1.0': oras },
      relay: { referrers, referrersPageSize: 1 },
    });
    const subject = { mediaType: oras.mediaType, digest: oras.digest, size: oras.size };
    const signature = referrerSignatureArtifact([signatureLayer(ecdsa, oras.digest)], subject);
    await pushArtifact(s.registry, 'team/app', signature.digest, signature);
    const attestation = {
      ...referrerDescriptor(signature),
      artifactType: 'application/vnd.in-toto+json',
    };
    referrers.set(oras.digest, [attestation, referrerDescriptor(signature)]);
    const { result, lines } = await traced(s, () =>
      s.run(s.reference('team/app:1.0'), keyEnv(ecdsa)),
    );
    assert.equal(result.code, 0, describeRun(result));
    await assertPublished(s.target, jar);
    assert.deepEqual(lines.slice(0, 4), [
      'GET /v2/team/app/manifests/1.0 200',
      `GET /v2/team/app/referrers/${oras.digest} 200`,
      `GET /v2/team/app/referrers/${oras.digest}?page=2 200`,
      `GET /v2/team/app/manifests/${signature.digest} 200`,
    ]);
    assert.ok(!lines.some((line) => line.includes('.sig')), lines.join('\n'));
    assert.equal(finalEvent(result).signedBy, ecdsa.id);
  });
});

describe('oci:// image signatures on a registry without referrers API (review of issue 22)', () => {
  // cosign's OCI 1.1 mode pushes through go-containerregistry, which on a registry without the
  // API keeps the referrers tag schema's index under the tag sha256-<hex> (distribution-spec
  // "Unavailable Referrers API": a client MUST fall back to it), and reads it back the same way.
  async function pushedInOci11Mode(s: OciScenario, repo: string) {
    await pushArtifact(s.registry, repo, '1.0', oras);
    const subject = { mediaType: oras.mediaType, digest: oras.digest, size: oras.size };
    const signature = referrerSignatureArtifact([signatureLayer(ecdsa, oras.digest)], subject);
    await pushArtifact(s.registry, repo, referrersTag(oras.digest), referrersTagIndex([signature]));
    return signature;
  }

  it('a 404 from the referrers API: the referrers tag sha256-<hex> is read, and its signature passes', async () => {
    await using s = await ociScenario({ artifacts: {} });
    const signature = await pushedInOci11Mode(s, 'team/app');
    const { result, lines } = await traced(s, () =>
      s.run(s.reference('team/app:1.0'), keyEnv(ecdsa)),
    );
    assert.equal(result.code, 0, describeRun(result));
    await assertPublished(s.target, jar);
    assert.deepEqual(lines.slice(0, 4), [
      'GET /v2/team/app/manifests/1.0 200',
      `GET /v2/team/app/referrers/${oras.digest} 404`,
      `GET /v2/team/app/manifests/${referrersTag(oras.digest)} 200`,
      `GET /v2/team/app/manifests/${signature.digest} 200`,
    ]);
    assert.ok(!lines.some((line) => line.includes('.sig')), lines.join('\n'));
    assert.equal(finalEvent(result).signedBy, ecdsa.id);
  });

  for (const [name, answer] of [
    [
      '400, as some registries answer a path they do not know',
      {
        status: 400,
        contentType: 'application/json',
        body: '{"errors":[{"code":"UNSUPPORTED","message":"unsupported"}]}',
      },
    ],
    ['406', { status: 406, contentType: 'text/plain', body: 'not acceptable' }],
    [
      '200 with a page that is not an image index (a catch-all route)',
      { status: 200, contentType: 'text/html', body: '<html>registry</html>' },
    ],
  ] as const) {
    it(`the referrers API answering ${name}: no API, the tags are read instead`, async () => {
      await using s = await ociScenario({
        artifacts: {},
        relay: { answer: { match: /^GET \/v2\/.+\/referrers\//, ...answer } },
      });
      await pushedInOci11Mode(s, 'team/app');
      const result = await s.run(s.reference('team/app:1.0'), keyEnv(ecdsa));
      assert.equal(result.code, 0, describeRun(result));
      await assertPublished(s.target, jar);
      assert.equal(finalEvent(result).signedBy, ecdsa.id);
    });
  }
});

describe('oci:// image signatures through a mirror (review of issue 22)', () => {
  /** A registry with the signed image, and a mirror (a registry of its own) holding `onMirror`. */
  async function withMirror(
    onMirror: (mirror: OciScenario['registry']) => Promise<unknown>,
    relay?: RelayOptions,
    registryRelay?: RelayOptions,
  ) {
    await using stack = new AsyncDisposableStack();
    const s = stack.use(await ociScenario({ artifacts: {}, relay: registryRelay ?? {} }));
    await pushSigned(s, 'team/app', oras, [signatureLayer(ecdsa, oras.digest)]);
    const cache = stack.use(await startRegistry());
    await onMirror(cache);
    const mirror = stack.use(await startRelay(cache.origin, relay));
    const env = {
      ...keyEnv(ecdsa),
      LOADER_REGISTRY_MIRRORS: mirror.host,
      LOADER_REGISTRY_PLAIN_HTTP: `${s.relay.host},${mirror.host}`,
    };
    const owned = stack.move();
    // What the mirror was asked, as `METHOD path status`, with ?ns=<registry> written out.
    const mirrorLines = () =>
      mirror.requests.map((r) => `${r.method} ${r.path.replace(ns, '?ns')} ${r.status}`);
    const ns = `?ns=${encodeURIComponent(s.relay.host)}`;
    return { s, mirror, env, mirrorLines, [Symbol.asyncDispose]: () => owned.disposeAsync() };
  }
  const layerDigest = oras.blobs[1]?.digest ?? '';
  const payloadDigest = sha256Digest(signatureLayer(ecdsa, oras.digest).payload);
  const hex = oras.digest.slice('sha256:'.length);

  it('a mirror that holds the image but not its signature (Spegel): the payload from the registry, the layer still from the mirror', async () => {
    await using m = await withMirror((cache) => pushArtifact(cache, 'team/app', '1.0', oras));
    const { result, lines } = await traced(m.s, () =>
      m.s.run(m.s.reference('team/app:1.0'), m.env),
    );
    assert.equal(result.code, 0, describeRun(result));
    await assertPublished(m.s.target, jar);
    assert.equal(finalEvent(result).signedBy, ecdsa.id);
    assert.deepEqual(m.mirrorLines(), [
      `GET /v2/team/app/referrers/${oras.digest}?ns 404`,
      `GET /v2/team/app/manifests/sha256-${hex}?ns 404`,
      `GET /v2/team/app/manifests/sha256-${hex}.sig?ns 404`,
      `GET /v2/team/app/blobs/${payloadDigest}?ns 404`,
      `GET /v2/team/app/blobs/${layerDigest}?ns 200`,
    ]);
    assert.deepEqual(lines, [
      'GET /v2/team/app/manifests/1.0 200',
      `GET /v2/team/app/referrers/${oras.digest} 404`,
      `GET /v2/team/app/manifests/sha256-${hex} 404`,
      `GET /v2/team/app/manifests/sha256-${hex}.sig 200`,
      `GET /v2/team/app/blobs/${payloadDigest} 200`,
    ]);
    assert.deepEqual(
      eventsNamed(result, 'mirror-dropped'),
      [],
      'a mirror lacking a signature is not dropped',
    );
    assert.deepEqual(
      m.mirror.blobGets().map((r) => r.blobDigest),
      [layerDigest],
      'the layer from the mirror',
    );
    assert.ok(
      !m.s.relay.requests.some((r) => r.blobDigest === layerDigest),
      'not from the registry',
    );
  });

  it("the registry down, the image pinned by digest: its signature listed by the mirror's referrers API, the pull served by the mirror alone", async () => {
    const referrers = new Map<string, object[]>();
    const subject = { mediaType: oras.mediaType, digest: oras.digest, size: oras.size };
    const signature = referrerSignatureArtifact([signatureLayer(ecdsa, oras.digest)], subject);
    referrers.set(oras.digest, [referrerDescriptor(signature)]);
    await using m = await withMirror(
      async (cache) => {
        await pushArtifact(cache, 'team/app', '1.0', oras);
        await pushArtifact(cache, 'team/app', signature.digest, signature);
      },
      { referrers },
    );
    await m.s.relay.close();
    const result = await m.s.run(m.s.reference(`team/app@${oras.digest}`), m.env);
    assert.equal(result.code, 0, describeRun(result));
    await assertPublished(m.s.target, jar);
    assert.equal(finalEvent(result).signedBy, ecdsa.id);
    assert.match(
      String(firstEventNamed(result, 'signature').msg),
      new RegExp(
        `the referrer ${signature.digest} on the mirror ${m.mirror.host}, signature 1 of 1`,
      ),
    );
    assert.deepEqual(m.mirrorLines(), [
      `GET /v2/team/app/manifests/${oras.digest}?ns 200`,
      `GET /v2/team/app/referrers/${oras.digest}?ns 200`,
      `GET /v2/team/app/manifests/${signature.digest}?ns 200`,
      `GET /v2/team/app/blobs/${payloadDigest}?ns 200`,
      `GET /v2/team/app/blobs/${layerDigest}?ns 200`,
    ]);
    assert.deepEqual(eventsNamed(result, 'mirror-dropped'), []);
  });

  it("a mirror's 404 from the referrers API says nothing of the registry's: the registry's referrers are still read", async () => {
    const referrers = new Map<string, object[]>();
    await using m = await withMirror(
      (cache) => pushArtifact(cache, 'team/app', '1.0', oras),
      undefined,
      { referrers },
    );
    const subject = { mediaType: oras.mediaType, digest: oras.digest, size: oras.size };
    const signature = referrerSignatureArtifact([signatureLayer(ecdsa, oras.digest)], subject);
    await pushArtifact(m.s.registry, 'team/app', signature.digest, signature);
    referrers.set(oras.digest, [referrerDescriptor(signature)]);
    const { result, lines } = await traced(m.s, () =>
      m.s.run(m.s.reference('team/app:1.0'), m.env),
    );
    assert.equal(result.code, 0, describeRun(result));
    assert.match(
      String(firstEventNamed(result, 'signature').msg),
      new RegExp(`the referrer ${signature.digest}, signature 1 of 1`),
    );
    assert.equal(m.mirrorLines()[0], `GET /v2/team/app/referrers/${oras.digest}?ns 404`);
    assert.ok(lines.includes(`GET /v2/team/app/referrers/${oras.digest} 200`), lines.join('\n'));
    assert.deepEqual(eventsNamed(result, 'mirror-dropped'), []);
  });

  it("a mirror's signature by another key (a .sig tag from before a rotation): refused, the registry's is then found; none valid anywhere: exit 6 naming both", async () => {
    await using m = await withMirror((cache) =>
      pushSigned({ registry: cache }, 'team/app', oras, [signatureLayer(stranger, oras.digest)]),
    );
    const found = await traced(m.s, () => m.s.run(m.s.reference('team/app:1.0'), m.env));
    assert.equal(found.result.code, 0, describeRun(found.result));
    assert.equal(finalEvent(found.result).signedBy, ecdsa.id);
    const tag = `oci://${m.s.relay.host}/team/app:sha256-${hex}.sig`;
    assert.equal(
      firstEventNamed(found.result, 'signature').signatureSource,
      `the tag ${tag}, signature 1 of 1`,
    );
    assert.ok(m.mirrorLines().includes(`GET /v2/team/app/manifests/sha256-${hex}.sig?ns 200`));
    assert.ok(found.lines.includes(`GET /v2/team/app/manifests/sha256-${hex}.sig 200`));
    assert.deepEqual(
      eventsNamed(found.result, 'mirror-dropped'),
      [],
      'a mirror is not dropped for a signature its digest matched',
    );

    await rm(join(m.s.dir.path, 'out'), { recursive: true, force: true });
    const none = await m.s.run(m.s.reference('team/app:1.0'), { ...m.env, ...keyEnv(rotated) });
    assert.equal(none.code, 6, describeRun(none));
    const failed = finalEvent(none);
    assert.equal(failed.reason, 'signature-mismatch');
    const message = String(failed.msg);
    for (const where of [
      `${tag} on the mirror ${m.mirror.host}, signature 1 of 1`,
      `${tag}, signature 1 of 1`,
    ]) {
      assert.ok(message.includes(`the tag ${where}`), message);
    }
    await assertNothingPublished(m.s.target);
  });

  it("a mirror serving a wrong signature payload: refused by its digest and dropped, the registry's passes", async () => {
    await using m = await withMirror(
      (cache) =>
        pushSigned({ registry: cache }, 'team/app', oras, [signatureLayer(ecdsa, oras.digest)]),
      { corrupt: 'flip-one-byte-of-blob', corruptTimes: 1 },
    );
    const result = await m.s.run(m.s.reference('team/app:1.0'), m.env);
    assert.equal(result.code, 0, describeRun(result));
    await assertPublished(m.s.target, jar);
    assert.equal(finalEvent(result).signedBy, ecdsa.id);
    const [dropped, ...more] = eventsNamed(result, 'mirror-dropped');
    assert.equal(more.length, 0);
    assert.match(String(dropped?.reason), /checksum mismatch: the blob sha256:/);
  });
  it('a referrer listed but gone (404): passed over, the .sig tag still found', async () => {
    const referrers = new Map<string, object[]>();
    await using s = await ociScenario({ artifacts: {}, relay: { referrers } });
    await pushSigned(s, 'team/app', oras, [signatureLayer(ecdsa, oras.digest)]);
    const subject = { mediaType: oras.mediaType, digest: oras.digest, size: oras.size };
    const deleted = referrerSignatureArtifact([signatureLayer(ecdsa, oras.digest)], subject);
    referrers.set(oras.digest, [referrerDescriptor(deleted)]);
    const { result, lines } = await traced(s, () =>
      s.run(s.reference('team/app:1.0'), keyEnv(ecdsa)),
    );
    assert.equal(result.code, 0, describeRun(result));
    assert.ok(lines.includes(`GET /v2/team/app/manifests/${deleted.digest} 404`), lines.join('\n'));
    assert.match(String(firstEventNamed(result, 'signature').msg), /\.sig, signature 1 of 1/);
    await assertPublished(s.target, jar);
  });
});

describe('oci:// image signatures: faults (issue 22)', () => {
  const signed = [signatureLayer(ecdsa, oras.digest)];

  it('one byte flipped in the payload blob: refused by its digest, nothing downloaded', async () => {
    await using s = await ociScenario({
      artifacts: {},
      relay: { corrupt: 'flip-one-byte-of-blob', corruptTimes: 1 },
    });
    const { result, requests } = await failingRun(s, 6, 'team/app', signed, keyEnv(ecdsa));
    assert.match(String(finalEvent(result).msg), /checksum mismatch: the blob sha256:\S+ from/);
    assert.equal(requests.filter((r) => r.blobDigest !== undefined).length, 1, 'the payload only');
  });

  it('the signature manifest answers 503: retried, then exit 4', async () => {
    await using s = await ociScenario({
      artifacts: {},
      relay: { throttle: { match: /\.sig$/, times: 100, status: 503, retryAfter: null } },
    });
    const env = { ...keyEnv(ecdsa), LOADER_MAX_ATTEMPTS: '2' };
    const { result } = await failingRun(s, 4, 'team/app', signed, env);
    assert.match(String(finalEvent(result).msg), /503.*sha256-[a-f0-9]{64}\.sig/);
    assert.equal(eventsNamed(result, 'retry').length, 1);
  });

  it('the signature manifest never answers: exit 4 at the deadline', async () => {
    await using s = await ociScenario({ artifacts: {}, relay: { hold: /\.sig$/ } });
    // A deadline of several stall timeouts: on a loaded machine the loader's start and the
    // manifest's requests must not use it up before the .sig tag is asked for.
    const { result, requests } = await failingRun(s, 4, 'team/app', signed, {
      ...keyEnv(ecdsa),
      LOADER_STALL_TIMEOUT_SECONDS: '1',
      LOADER_DEADLINE_SECONDS: '5',
      LOADER_MAX_ATTEMPTS: '100',
    });
    assert.equal(finalEvent(result).code, 'ERR_DEADLINE');
    assert.ok(
      requests.some((request) => request.action === 'held' && request.path.endsWith('.sig')),
      'the .sig tag was asked for, and held',
    );
    assert.ok(result.durationMs < 15_000, `ended after ${result.durationMs} ms`);
  });

  it('the signature manifest refused (403): exit 3', async () => {
    await using s = await ociScenario({
      artifacts: {},
      relay: { throttle: { match: /\.sig$/, times: 100, status: 403 } },
    });
    await failingRun(s, 3, 'team/app', signed, keyEnv(ecdsa));
  });

  it('with credentials: the signature is found, and no password, Basic value or token is shown', async () => {
    await using s = await ociScenario({
      registry: { auth: { kind: 'htpasswd', credentials: user } },
      artifacts: {},
      pushCredentials: user,
      secrets: () => [user.password, basic(user).slice('Basic '.length)],
    });
    await pushSigned(s, 'team/app', oras, [signatureLayer(ecdsa, oras.digest)], user);
    const folder = join(s.dir.path, 'auth');
    await mkdir(folder);
    const file = join(folder, 'config.json');
    await writeFile(file, dockerConfig(s.relay.host, user));
    const signed = await s.run(s.reference('team/app:1.0'), {
      ...keyEnv(ecdsa),
      LOADER_REGISTRY_AUTH_FILE: file,
    });
    assert.equal(signed.code, 0, describeRun(signed));
    assert.equal(finalEvent(signed).signedBy, ecdsa.id);
    await rm(join(s.dir.path, 'out'), { recursive: true, force: true });
    const refused = await s.run(s.reference('team/app:1.0'), {
      ...keyEnv(stranger),
      LOADER_REGISTRY_AUTH_FILE: file,
    });
    assert.equal(refused.code, 6, describeRun(refused));
  });
});
