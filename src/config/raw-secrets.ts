import type { Redactor } from '../log/redact.ts';
import { proxyUrlVariableNames } from './proxy-settings.ts';
import { settings } from './settings.ts';

/**
 * Registers every raw value that may hold a secret before anything is parsed,
 * so not even an unparsable URL (the artifact's or the signature's), a URL
 * given as a stray argument, or a proxy's credentials can be echoed.
 */
export function registerRawSecrets(
  redactor: Redactor,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): void {
  const urlValues: (string | undefined)[] = [];
  for (const { env: urlVariable, flag } of [settings.url, settings.signatureUrl]) {
    urlValues.push(env[urlVariable]);
    argv.forEach((arg, index) => {
      if (arg === `--${flag}`) urlValues.push(argv[index + 1]);
      else if (arg.startsWith(`--${flag}=`)) urlValues.push(arg.slice(`--${flag}=`.length));
    });
  }
  for (const raw of urlValues) if (raw) redactor.addRaw(raw);
  const proxies = proxyUrlVariableNames.map((name) => env[name]);
  for (const value of [...argv.map((arg) => arg.slice(arg.indexOf('=') + 1)), ...proxies]) {
    if (value && URL.canParse(value)) redactor.addUrl(new URL(value));
  }
}
