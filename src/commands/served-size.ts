import { realpath } from 'node:fs/promises';
import { ConfigError } from '../errors.ts';
import { quote } from '../options/expected.ts';
import { openPublishedFile } from '../serve/request-path.ts';
import { signFlags } from './sign-flags.ts';
import type { ToolFlags } from './tool.ts';

/** The size of the file at `path`: --size, or the file the server would serve from --dir. */
export async function servedSize(flags: ToolFlags, path: string): Promise<number> {
  const size = flags.read(signFlags.sizeBytes);
  if (size !== undefined) return size;
  const dir = flags.read(signFlags.dir);
  if (dir === undefined) {
    throw new ConfigError(
      '--env and --shell need the file size: give --dir (the served folder) or --size',
    );
  }
  // The same lookup the server makes, so --env fails here for a path the server would refuse.
  const folderReal = await realpath(dir).catch(() => {
    throw new ConfigError(`--dir ${quote(dir)} does not exist`);
  });
  const lookup = await openPublishedFile(folderReal, wirePath(path));
  if (!lookup.found)
    throw new ConfigError(
      `--dir ${quote(dir)} has no file at ${quote(path)} that the server would serve`,
    );
  try {
    const { size: bytes } = await lookup.handle.stat();
    if (bytes === 0) {
      throw new ConfigError(
        `--path ${quote(path)} is an empty file; the loader needs a positive size`,
      );
    }
    return bytes;
  } finally {
    await lookup.handle.close();
  }
}

/** The path as signUrl puts it on the wire (percent-encoded), which is what the server looks up. */
export function wirePath(path: string): string {
  const url = new URL('http://x');
  url.pathname = path;
  return url.pathname;
}
