/**
 * The path of the JAR in an image, as LOADER_OCI_FILE names it: absolute or
 * relative, cleaned to the form tar entries are compared in (relative to the
 * layer's root, see extract/entry-path.ts).
 */
import { InvalidValueError, invalidValue } from '../options/expected.ts';

/** The default path of the JAR in an image: where `COPY app.jar /app.jar` puts it. */
export const defaultImageFilePath = '/app.jar';

/** Names that mark deletions in a layer (layer.md, "Whiteouts"): never the JAR's. */
export const whiteoutPrefix = '.wh.';

/** The path of the JAR in an image, absolute or relative, returned relative (`app.jar`). */
export function parseImageFilePath(raw: string): string {
  if (raw.includes('\0'))
    throw new InvalidValueError('expected a file path, got a value with a NUL byte');
  const parts = raw.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw invalidValue('a path inside the image without ".." parts', raw);
  if (parts.length === 0 || raw.endsWith('/'))
    throw invalidValue('the path of a file in the image, such as /app.jar', raw);
  if (parts.some((part) => part.startsWith(whiteoutPrefix))) {
    throw invalidValue(
      `a path without "${whiteoutPrefix}" names, which mark deletions in image layers`,
      raw,
    );
  }
  return parts.join('/');
}
