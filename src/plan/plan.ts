import { dirname } from 'node:path';
import { removeAbandonedTempFiles, type TempFileSweep } from '../artifact/abandoned-temp-files.ts';
import { readRecord, type VerificationRecord } from '../artifact/verification-record.ts';
import { writeErrorFor } from '../artifact/write-errors.ts';
import type { LoaderConfig } from '../config/types.ts';
import { lstat, mkdir } from '../process/files.ts';
import { findVerifiedFile, recordedSigner, sha256OfFile, signerProblem } from './verified-file.ts';

export type Plan =
  | {
      readonly action: 'download';
      readonly tempFiles: TempFileSweep;
      readonly reason: string;
    }
  | {
      readonly action: 'skip';
      readonly tempFiles: TempFileSweep;
      readonly sha256: string;
      readonly bytes: number;
      /** Why no request is needed, for the `already-present` event. */
      readonly reason: string;
      /** The key that signed the file in place, as its record says, when keys are given. */
      readonly signedBy?: string;
    }
  | {
      /** A file verified by an earlier run for this request: ask the server whether it changed. */
      readonly action: 'revalidate';
      readonly tempFiles: TempFileSweep;
      readonly record: VerificationRecord;
    };

/**
 * The plan stage: make sure the folder exists, clear temp files a killed run
 * left behind (never one that another run is writing), and decide whether the
 * artifact already in place can be kept.
 *
 * Only a matching SHA-256 proves the file in place is the artifact: a file of
 * the right size may be a stale version or a proxy's error page. With
 * ARTIFACT_SHA256 a match is kept without a request (with keys given, only
 * when its record names a key still given as its signer); without it, a file whose
 * verification record still holds (see findVerifiedFile) is revalidated with
 * the server, and anything else is downloaded. An `oci://` reference pinned
 * by digest names one version for good: a file whose record holds that
 * manifest digest is kept without a request too; a tag is asked about.
 */
export async function plan(config: LoaderConfig, signal: AbortSignal): Promise<Plan> {
  const folder = dirname(config.outputPath);
  try {
    await mkdir(folder, { recursive: true, mode: 0o755 });
  } catch (error) {
    throw writeErrorFor(error, 'creating the folder', folder);
  }
  const tempFiles = await removeAbandonedTempFiles(config.outputPath);
  const existing = await lstat(config.outputPath).catch(() => undefined);
  if (existing?.isDirectory()) {
    // Fail before downloading: the final rename could never replace a folder.
    throw writeErrorFor(
      Object.assign(new Error('is a directory'), { code: 'EISDIR' }),
      `replacing ${config.outputPath}`,
      folder,
    );
  }
  if (config.sha256 === undefined) {
    const verified = await findVerifiedFile(config, existing, signal);
    if (verified.kind !== 'verified') {
      return { action: 'download', tempFiles, reason: verified.reason };
    }
    const { record } = verified;
    const pinned = config.artifact.kind === 'oci' ? config.artifact.reference.digest : undefined;
    if (pinned === undefined) return { action: 'revalidate', tempFiles, record };
    if (record.manifestDigest !== pinned) {
      return {
        action: 'download',
        tempFiles,
        reason: `the file in place was verified for ${record.manifestDigest}, and the reference is pinned to ${pinned}`,
      };
    }
    return {
      action: 'skip',
      tempFiles,
      sha256: record.sha256,
      bytes: record.sizeBytes,
      reason: `the artifact in place was verified for the pinned digest ${pinned}; not asking the registry`,
      ...recordedSigner(record, config.publicKeys),
    };
  }
  if (existing === undefined) return { action: 'download', tempFiles, reason: 'no file in place' };
  if (!existing.isFile())
    return { action: 'download', tempFiles, reason: 'the target is not a regular file' };
  const { expectedSizeBytes } = config.artifact;
  if (expectedSizeBytes !== undefined && existing.size !== expectedSizeBytes) {
    return { action: 'download', tempFiles, reason: 'the file in place has another size' };
  }
  const digest = await sha256OfFile(config.outputPath, signal);
  if (digest === undefined || digest !== config.sha256) {
    return {
      action: 'download',
      tempFiles,
      reason: 'the file in place has another SHA-256',
    };
  }
  const skip = {
    action: 'skip',
    tempFiles,
    sha256: digest,
    bytes: existing.size,
    reason: 'the artifact in place matches ARTIFACT_SHA256; not downloading',
  } as const;
  if (config.publicKeys === undefined) return skip;
  // The digest pins the bytes; the keys still ask who signed them, which only a record says.
  const record = await readRecord(config.outputPath);
  if (record?.sha256 !== digest) {
    const reason = `no verification record says who signed the file in place, and ${config.publicKeys.source} asks for a signature`;
    return { action: 'download', tempFiles, reason };
  }
  const signer = signerProblem(record, config.publicKeys);
  if (signer !== undefined) return { action: 'download', tempFiles, reason: signer };
  return { ...skip, ...recordedSigner(record, config.publicKeys) };
}
