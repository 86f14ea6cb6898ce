/**
 * Shapes of secrets in text, whatever their value. `withoutUrlSecrets`
 * (urls/shown.ts) applies to every line written: a URL is shown only as
 * `redactUrl` shows it. Text a server sent (an error body, a reason phrase, a
 * header) is not ours and may echo anything: `withoutCredentialShapes` also
 * takes out whatever looks like a query string or a credential parameter,
 * known to the redactor or not.
 */
import { redactedMark, withoutUrlSecrets } from '../urls/shown.ts';
import { credentialWords } from './secret-values.ts';

/** `?` and what follows up to a space or a quote, when it holds a `name=value`. */
const queryPattern = /\?[^\s"'<>`]*=[^\s"'<>`]*/g;
/** Two or more `name=value` joined by `&`: a query without its `?` (a StringToSign, a SAS). */
const pairsPattern = /[^\s"'<>`&?=]+=[^\s"'<>`&]*(?:&(?:amp;)?[^\s"'<>`&=]+=[^\s"'<>`&]*)+/g;
/** `//user:password@` left in something that did not parse as a URL. */
const userinfoPattern = /\/\/[^\s/@"'<>`]+@/g;
/** `X-Amz-Signature=...`, `sig: ...`, `token="..."`, `"token":"..."`: a credential name, then its value. */
const credentialPattern = new RegExp(
  `\\b((?:[\\w.-]*[-_.])?(?:${credentialWords}))("?\\s*[=:]\\s*)("?)[^\\s"'<>\`&,;]+\\3`,
  'gi',
);
/** An Authorization value: a scheme and its token. */
const authSchemePattern =
  /\b(Bearer|Basic|Digest|Negotiate|AWS4-HMAC-SHA256|SharedKey)\s+[^\s"'<>`,;]+/g;

/** Text from a server, with every URL cut and every query- or credential-shaped part removed. */
export function withoutCredentialShapes(text: string): string {
  return withoutUrlSecrets(text)
    .replace(userinfoPattern, `//${redactedMark}@`)
    .replace(queryPattern, `?${redactedMark}`)
    .replace(pairsPattern, redactedMark)
    .replace(authSchemePattern, `$1 ${redactedMark}`)
    .replace(credentialPattern, `$1$2$3${redactedMark}$3`);
}
