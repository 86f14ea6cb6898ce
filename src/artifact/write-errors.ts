import { WriteError } from '../errors.ts';

const explanations: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'folder does not exist',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'the target is a folder',
  EIO: 'I/O error',
};

/**
 * Turns a file-system error into a WriteError that names the folder, says what
 * went wrong, and what an operator can do about the common cases.
 */
export function writeErrorFor(error: unknown, action: string, folder: string): WriteError {
  const code = (error as { code?: unknown } | undefined)?.code;
  const codeText = typeof code === 'string' ? code : 'unknown';
  const why =
    explanations[codeText] ??
    (error instanceof Error ? error.message.split('\n')[0] : String(error));
  let hint = '';
  if (codeText === 'EACCES' || codeText === 'EPERM') {
    hint = `; the folder must be writable by uid ${process.getuid?.() ?? '?'} (for a fresh volume, give the image's ${folder} that owner, or set fsGroup)`;
  } else if (codeText === 'EROFS') {
    hint = `; mount a writable volume at ${folder}`;
  }
  return new WriteError(
    `cannot write the artifact: ${action} in ${folder} failed: ${why} (${codeText})${hint}`,
    {
      cause: error,
      details: { folder, errorCode: codeText },
    },
  );
}
