import type { Writable } from 'node:stream';

/**
 * A writer for a stream whose reader may go away: `runtime-loader | head -c 50`
 * closes the pipe (EPIPE), a closed terminal gives EIO. Node reports that as an
 * 'error' event, which unhandled would crash the run and leave its temp file
 * behind. Here it only stops further writes, once `onClosed` has heard why: the
 * log is best-effort, the run, its cleanup and its exit code are not.
 */
export function closableWriter(
  stream: Writable,
  onClosed: (error: Error) => void = () => {},
): (text: string) => void {
  let closed = false;
  stream.on('error', (error: Error) => {
    if (closed) return;
    closed = true;
    onClosed(error);
  });
  return (text) => {
    if (closed || stream.destroyed) return;
    stream.write(text);
  };
}
