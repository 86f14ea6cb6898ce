/**
 * Signed, expiring URLs for the artifact server: `runtime-loader/signing`.
 * The scheme (canonical string, parameters) is documented in canonical.ts and docs/signed-urls.md.
 */
export { canonicalString, queryParameter, schemeName } from './canonical.ts';
export { minimumSecretBytes, type Secret, type SigningKey, signingKey } from './keys.ts';
export {
  SignUrlError,
  type SignUrlOption,
  type SignUrlOptions,
  signUrl,
} from './sign-url.ts';
export {
  defaultClockSkewSeconds,
  type SignedRequest,
  type VerifyFailureReason,
  type VerifyOptions,
  type VerifyResult,
  verifySignature,
  verifySignedUrl,
} from './verify-url.ts';
