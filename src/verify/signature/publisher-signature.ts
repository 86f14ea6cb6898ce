import type { LoaderConfig } from '../../config/types.ts';
import type { DownloadSession } from '../../download/session.ts';
import { fetchSignature } from './fetch-signature.ts';
import { passThreadFor, type SignatureReader, startSignatureReader } from './signature-reader.ts';
import { createSignatureCheck } from './verifier.ts';

/**
 * The publisher's signature of this run, when keys are given: fetched,
 * parsed and checked against the keys before the artifact's first byte, so a
 * missing, unreadable or foreign signature fails now (exit 3, 4 or 6) and
 * nothing is downloaded; then a reader that checks the file as it streams
 * (event `signature`), on a worker thread for a large file where a second CPU is there for it.
 * Undefined without keys.
 */
export async function prepareSignatureCheck(
  config: LoaderConfig,
  session: DownloadSession,
  /** The file's size known before the download; undefined for a file in an image layer without ARTIFACT_EXPECTED_SIZE. */
  expectedSizeBytes: number | undefined,
  signal: AbortSignal,
): Promise<SignatureReader | undefined> {
  const { publicKeys, signatureUrl } = config;
  if (publicKeys === undefined || signatureUrl === undefined) return undefined;
  // A worker thread boots while the signature is fetched.
  const thread = passThreadFor(expectedSizeBytes ?? Number.POSITIVE_INFINITY);
  const reader = startSignatureReader(thread);
  try {
    const signature = await fetchSignature(session, signatureUrl, signal);
    const check = createSignatureCheck(publicKeys, signature, {
      expectedSizeBytes,
    });
    reader.begin(check);
    const keys = check.candidateKeyIds.join(' or ');
    session.logger.info(
      'signature',
      `checking the artifact against the ${check.form} signature by key ${keys} as it downloads`,
      { signatureForm: check.form, signatureKeyIds: check.candidateKeyIds, checkedOn: thread },
    );
    return reader;
  } catch (error) {
    await reader.close();
    throw error;
  }
}
