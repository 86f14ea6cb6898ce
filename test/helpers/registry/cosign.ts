// What `cosign sign --key cosign.key REG/REPO@DIGEST` stores in a registry, made at test time
// with node:crypto. Where each detail comes from (sigstore/cosign, read, not copied):
// - the payload: sigstore/sigstore pkg/signature/payload SimpleContainerImage, marshalled by
//   Go's encoding/json (compact, fields in struct order): critical.identity.docker-reference,
//   critical.image.docker-manifest-digest, critical.type "cosign container image signature",
//   then "optional" (null without annotations);
// - the signature: ECDSA P-256 over the payload's SHA-256, ASN.1 DER (Go's ecdsa.SignASN1),
//   or Ed25519 over the payload itself; base64 in the layer annotation
//   dev.cosignproject.cosign/signature;
// - tag scheme (pkg/oci/static, pkg/oci/remote): an OCI image manifest under the tag
//   sha256-<hex>.sig whose layers are the payloads, typed
//   application/vnd.dev.cosign.simplesigning.v1+json, with an image config listing them;
// - OCI 1.1 mode (pkg/oci/remote/write.go WriteSignaturesExperimentalOCI): the same manifest
//   with artifactType and config.mediaType application/vnd.dev.cosign.artifact.sig.v1+json and
//   a subject, pushed by digest and found through the referrers API.
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { type Artifact, artifact, blob, ociDescriptor } from './artifact.ts';
import { ociManifestType } from './oras.ts';

export const simpleSigningType = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const signatureArtifactType = 'application/vnd.dev.cosign.artifact.sig.v1+json';
export const signatureAnnotation = 'dev.cosignproject.cosign/signature';

export interface CosignKeyPair {
  readonly privateKey: KeyObject;
  /** As cosign.pub holds it. */
  readonly publicKeyPem: string;
  /** `sha256:` and the hex SHA-256 of the DER SubjectPublicKeyInfo: the loader's key id. */
  readonly id: string;
}

/** A key pair as `cosign generate-key-pair` makes (ECDSA P-256), or an Ed25519 one. */
export function cosignKeyPair(kind: 'ecdsa-p256' | 'ed25519' = 'ecdsa-p256'): CosignKeyPair {
  const { privateKey, publicKey } =
    kind === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return {
    privateKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    id: `sha256:${createHash('sha256').update(der).digest('hex')}`,
  };
}

/** The simple-signing payload cosign signs for `digest`, pushed as `dockerReference`. */
export function simpleSigningPayload(
  digest: string,
  dockerReference: string,
  type = 'cosign container image signature',
): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': dockerReference },
        image: { 'docker-manifest-digest': digest },
        type,
      },
      optional: null,
    }),
  );
}

/** base64 of the signature cosign writes for `payload` with `key`. */
export function signPayload(key: CosignKeyPair, payload: Buffer): string {
  const algorithm = key.privateKey.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  return sign(algorithm, payload, key.privateKey).toString('base64');
}

export interface SignatureLayer {
  readonly payload: Buffer;
  readonly signature: string;
}

/** One payload for `digest`, signed by `key`. */
export function signatureLayer(
  key: CosignKeyPair,
  digest: string,
  dockerReference = 'registry.example/team/app',
): SignatureLayer {
  const payload = simpleSigningPayload(digest, dockerReference);
  return { payload, signature: signPayload(key, payload) };
}

/** The manifest under the tag `sha256-<hex>.sig`: one layer per signature, as `cosign sign` appends them. */
export function signatureArtifact(layers: readonly SignatureLayer[]): Artifact {
  return signatureManifest(layers, undefined);
}

/** cosign's OCI 1.1 signature manifest for `subject`, to be pushed by its digest and listed as a referrer. */
export function referrerSignatureArtifact(
  layers: readonly SignatureLayer[],
  subject: { mediaType: string; digest: string; size: number },
): Artifact {
  return signatureManifest(layers, subject);
}

/** The descriptor a referrers index lists for a signature manifest. */
export function referrerDescriptor(signature: Artifact) {
  return {
    mediaType: ociManifestType,
    digest: signature.digest,
    size: signature.size,
    artifactType: signatureArtifactType,
  };
}

/**
 * The referrers tag schema's index (distribution-spec "Referrers Tag Schema"): what cosign's
 * OCI 1.1 mode (through go-containerregistry's remote.Write) pushes under the tag
 * `sha256-<hex>` of the subject when the registry has no referrers API, listing `signatures`.
 */
export function referrersTagIndex(signatures: readonly Artifact[]): Artifact {
  const manifests = signatures.map(referrerDescriptor);
  return artifact(
    'application/vnd.oci.image.index.v1+json',
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests,
    }),
    [],
    [...signatures],
  );
}

/** `sha256-<hex>`: the referrers tag schema's tag for the referrers of `digest`. */
export function referrersTag(digest: string): string {
  return digest.replace(':', '-');
}

/** `sha256-<hex>.sig`: the tag cosign stores the signatures of `digest` under. */
export function signatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

function signatureManifest(
  layers: readonly SignatureLayer[],
  subject: { mediaType: string; digest: string; size: number } | undefined,
): Artifact {
  const blobs = layers.map((layer) => blob(simpleSigningType, layer.payload));
  const configJson = JSON.stringify({
    architecture: '',
    created: '0001-01-01T00:00:00Z',
    history: [{ created: '0001-01-01T00:00:00Z' }],
    os: '',
    rootfs: { type: 'layers', diff_ids: blobs.map((each) => each.digest) },
    config: {},
  });
  const config = blob(
    subject === undefined ? 'application/vnd.oci.image.config.v1+json' : signatureArtifactType,
    Buffer.from(configJson),
  );
  const manifest = {
    schemaVersion: 2,
    mediaType: ociManifestType,
    config: ociDescriptor(config),
    layers: blobs.map((each, index) =>
      ociDescriptor(each, {
        annotations: { [signatureAnnotation]: layers[index]?.signature ?? '' },
      }),
    ),
    ...(subject === undefined ? {} : { subject: ociDescriptor(subject) }),
    ...(subject === undefined ? {} : { artifactType: signatureArtifactType }),
  };
  return artifact(ociManifestType, JSON.stringify(manifest), [config, ...blobs]);
}
