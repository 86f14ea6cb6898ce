/**
 * Finding and checking the cosign signature of an `oci://` image, when keys
 * are given without ARTIFACT_SIGNATURE_URL: after the manifest is resolved,
 * before any layer is asked for, so a missing or foreign signature fails the
 * run (exit 6) with nothing downloaded.
 *
 * Which digest is signed: cosign signs the digest its user named, which for
 * a tag naming an index is the index's (and, with `--recursive`, each
 * platform's manifest too). So the index's digest is looked up first, then
 * the digest of the platform's manifest the pull chose; for an image
 * manifest they are one.
 *
 * Where: at each mirror still in use, then at the registry (see
 * signatureSources in referrers.ts: a mirror that lacks a signature is passed
 * over and kept), and at each, for each digest, in this order:
 * 1. the OCI 1.1 referrers API (`GET /v2/<name>/referrers/<digest>`), where
 *    the source has one: manifests of artifactType
 *    `application/vnd.dev.cosign.artifact.sig.v1+json`, as cosign writes them
 *    in its OCI 1.1 mode. A 404 (or 400, 406, or an answer that is not an
 *    OCI index) from the registry says it has none (CNCF Distribution 2.8 has
 *    none), and it is not asked again in the run; from a mirror it only says
 *    the mirror has no list. The referrers are then the index under the tag
 *    `sha256-<hex>` (the spec's referrers tag schema, which cosign's OCI 1.1
 *    mode keeps on such a registry), when there is one;
 * 2. cosign's tag scheme: the tag `sha256-<hex>.sig` in the same repository.
 * The mirrors are searched whole before the registry, so a pull pinned by
 * digest that the mirrors serve needs no registry; a signature a mirror
 * holds that no key verifies (a stale `.sig` tag from before a rotation, or
 * a hostile mirror) is refused and the search goes on to the next source.
 * Every request goes through the run's registry client (mirrors, auth,
 * plain-HTTP rules, retries, redaction). The first signature layer that
 * verifies with one of the keys wins (several layers and several keys: a
 * rotation); a network failure or refusal at the registry while looking
 * ends the run with the fetch codes (3, 4), as for the image itself (at a
 * mirror it drops the mirror).
 */
import { describeKeys, type KeySet } from '../config/public-keys.ts';
import { IntegrityError, RejectedError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { signatureFailure, type VerifiedSignature } from '../verify/signature/check.ts';
import {
  checkImageSignature,
  maxPayloadBytes,
  signatureAnnotation,
  simpleSigningMediaType,
} from '../verify/signature/image-signature.ts';
import type { Descriptor, ImageManifest, ManifestDocument } from './manifest.ts';
import { signatureSources } from './referrers.ts';
import type { RegistryClient } from './registry-client.ts';

/** The artifactType of a cosign signature manifest in OCI 1.1 mode. */
export const cosignSignatureArtifactType = 'application/vnd.dev.cosign.artifact.sig.v1+json';

const form = 'cosign image signature';

/** The signature that verified, and where it was found. */
export interface ImageSigner extends VerifiedSignature {
  /** The manifest digest its payload names. */
  readonly manifestDigest: string;
  /** `the tag oci://…:sha256-….sig, layer 1 of 1`. */
  readonly where: string;
}

/**
 * Finds the signature of `digests` (the digest the reference resolved to,
 * then the image manifest's, when it is another) and checks it; throws an
 * IntegrityError (exit 6) when none verifies, saying where it looked and why
 * each signature found was refused.
 */
export async function verifyImageSignature(
  client: RegistryClient,
  keySet: KeySet,
  digests: readonly string[],
  logger: Logger,
  signal: AbortSignal,
): Promise<ImageSigner> {
  const subjects = [...new Set(digests)];
  const looked: string[] = [];
  const refused: IntegrityError[] = [];
  let referrersApi = true;
  // What a source lists is its own to choose: the documents fetched from each are bounded.
  let fetches = 0;
  let notFetched = 0;
  const spend = () => {
    if (fetches >= maxSignatureFetches) {
      notFetched += 1;
      return false;
    }
    fetches += 1;
    return true;
  };
  const checked = new Set<string>();
  for (const source of signatureSources(client)) {
    fetches = 0;
    const on = source.mirror ? ` on the mirror ${source.host}` : '';
    for (const subject of subjects) {
      const places: (() => Promise<SignatureManifest[]>)[] = [
        async () => {
          const asked = source.mirror || referrersApi;
          let index = asked ? await source.referrers(subject, signal) : undefined;
          if (index !== undefined) {
            looked.push(`the referrers of ${at(client, `@${subject}`)}${on}`);
          } else {
            // Only the registry's own answer says it has no referrers API.
            if (!source.mirror) referrersApi = false;
            const tag = referrersTag(subject);
            looked.push(`the referrers tag ${at(client, `:${tag}`)}${on}`);
            const document = await source.tagged(tag, signal);
            if (document?.kind !== 'index') return [];
            index = document;
          }
          const found: SignatureManifest[] = [];
          for (const entry of index.manifests) {
            if (entry.artifactType !== cosignSignatureArtifactType || !spend()) continue;
            // A list may still name a manifest deleted since: it signs nothing.
            const document = await byDigest(client, entry.digest, signal);
            if (document?.kind === 'image') {
              found.push({ manifest: document, where: `the referrer ${entry.digest}${on}` });
            }
          }
          return found;
        },
        async () => {
          const tag = signatureTag(subject);
          const where = `the tag ${at(client, `:${tag}`)}${on}`;
          looked.push(where);
          const manifest = await source.tagged(tag, signal);
          return manifest?.kind === 'image' ? [{ manifest, where }] : [];
        },
      ];
      for (const place of places) {
        for (const { manifest, where } of await place()) {
          const layers = manifest.layers.filter(
            (layer) => layer.mediaType === simpleSigningMediaType,
          );
          for (const [index, layer] of layers.entries()) {
            const layerWhere = `${where}, signature ${index + 1} of ${layers.length}`;
            // The same payload and signature again (under the tag and as a referrer, or at
            // another source) is one check.
            const key = `${layer.digest} ${layer.annotations.get(signatureAnnotation)}`;
            if (checked.has(key)) continue;
            checked.add(key);
            if (layer.annotations.has(signatureAnnotation) && !spend()) continue;
            const verdict = await checkLayer(client, keySet, layer, layerWhere, subjects, signal);
            if (verdict instanceof IntegrityError) {
              refused.push(verdict);
              continue;
            }
            logger.info(
              'signature',
              `the ${form} in ${layerWhere} by key ${verdict.keyId} vouches for ${verdict.manifestDigest}`,
              {
                signatureForm: form,
                signatureKeyIds: [verdict.keyId],
                signedBy: verdict.keyId,
                signedDigest: verdict.manifestDigest,
                signatureSource: layerWhere,
              },
            );
            return { ...verdict, where: layerWhere };
          }
        }
      }
    }
  }
  throw noValidSignature(keySet, looked, refused, referrersApi, notFetched);
}

/** Signature manifests and payloads fetched from one source at most; a real image has a few. */
export const maxSignatureFetches = 64;

/** Refusals a message spells out; the rest are counted. */
const maxReasonsShown = 3;

interface SignatureManifest {
  readonly manifest: ImageManifest;
  readonly where: string;
}

/** cosign's tag for the signatures of `digest`: `sha256-<hex>.sig`. */
export function signatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

/** The referrers tag schema's tag for the referrers of `digest`: `sha256-<hex>`. */
export function referrersTag(digest: string): string {
  return digest.replace(':', '-');
}

/**
 * The signature manifest `digest` names (mirrors first: a mirror need not
 * hold it), or undefined when the registry has no such thing.
 */
async function byDigest(
  client: RegistryClient,
  digest: string,
  signal: AbortSignal,
): Promise<ManifestDocument | undefined> {
  try {
    return (await client.manifest(digest, digest, signal, 'signature')).document;
  } catch (error) {
    if (error instanceof RejectedError && error.details.status === 404) return undefined;
    throw error;
  }
}

/** One layer's payload, fetched and checked; the refusal is returned, a fetch failure thrown. */
async function checkLayer(
  client: RegistryClient,
  keySet: KeySet,
  layer: Descriptor,
  where: string,
  subjects: readonly string[],
  signal: AbortSignal,
) {
  const signatureBase64 = layer.annotations.get(signatureAnnotation);
  if (signatureBase64 === undefined) {
    return signatureFailure(
      'signature-unparseable',
      `${form}: ${where} has no ${signatureAnnotation} annotation`,
      { form },
    );
  }
  const payload = await client.smallBlob(layer, maxPayloadBytes, signal, 'signature');
  try {
    return checkImageSignature(keySet, { payload, signatureBase64, where }, subjects);
  } catch (error) {
    if (error instanceof IntegrityError) return error;
    throw error;
  }
}

function noValidSignature(
  keySet: KeySet,
  looked: readonly string[],
  refused: readonly IntegrityError[],
  referrersApi: boolean,
  notFetched: number,
): IntegrityError {
  const keyIds = keySet.keys.map((key) => key.id);
  const unfetched =
    notFetched === 0
      ? ''
      : `; ${notFetched} more signature document(s) listed were not fetched (at most ${maxSignatureFetches} are from each source)`;
  const places = `${looked.join(', ')}${referrersApi ? '' : ' (the registry has no referrers API)'}${unfetched}`;
  if (refused.length === 0) {
    return signatureFailure(
      'signature-missing',
      `no ${form} found: looked at ${places}; ${describeKeys(keySet)}. Sign the image with cosign sign --key cosign.key REGISTRY/REPOSITORY@DIGEST`,
      { form, keyIds },
    );
  }
  const [first] = refused;
  const reasons = refused.map((error) => error.message.replace(/^signature check failed: /, ''));
  const more = reasons.length - maxReasonsShown;
  const shown = [
    ...reasons.slice(0, maxReasonsShown),
    ...(more > 0 ? [`and ${more} more refused`] : []),
  ];
  return new IntegrityError(
    `signature check failed: no ${form} verifies (looked at ${places}): ${shown.join('; ')}; ${describeKeys(keySet)}`,
    {
      details: {
        ...first?.details,
        signatureForm: form,
        signatureKeyIds: first?.details.signatureKeyIds ?? keyIds,
      },
    },
  );
}

/** `oci://registry/repository` and the tag or digest part, as messages show it. */
function at(client: RegistryClient, suffix: string): string {
  const { registry, repository } = client.reference;
  return `oci://${registry}/${repository}${suffix}`;
}
