import type { Redactor } from './redact.ts';

/**
 * Registers every raw value that may hold a secret before anything is parsed,
 * so not even an unparsable URL, a URL given as a stray argument, or a proxy's
 * credentials can be echoed.
 */
export function registerRawSecrets(
  redactor: Redactor,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): void {
  const urlValues = [env.ARTIFACT_URL];
  argv.forEach((arg, index) => {
    if (arg === '--url') urlValues.push(argv[index + 1]);
    else if (arg.startsWith('--url=')) urlValues.push(arg.slice('--url='.length));
  });
  for (const raw of urlValues) if (raw) redactor.addRaw(raw);
  const proxies = [env.HTTP_PROXY, env.HTTPS_PROXY, env.http_proxy, env.https_proxy];
  for (const value of [...argv.map((arg) => arg.slice(arg.indexOf('=') + 1)), ...proxies]) {
    if (value && URL.canParse(value)) redactor.addUrl(new URL(value));
  }
}
