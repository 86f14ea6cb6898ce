const standardBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Standard, padded base64 (RFC 4648 section 4), or undefined when the text is
 * anything else. Buffer.from(text, 'base64') alone skips characters it does
 * not know, so a damaged signature or key would decode to other bytes silently.
 */
export function decodeBase64(text: string): Buffer | undefined {
  return standardBase64.test(text) ? Buffer.from(text, 'base64') : undefined;
}
