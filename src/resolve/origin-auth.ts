/**
 * How the loader authenticates to one registry origin (the registry, or a
 * mirror with its own entry in the auth file): it sends a request, and on a
 * 401 answers the challenge once for that request, then sends it again. A
 * Bearer challenge (the distribution token flow) gets a token from the
 * challenge's realm, anonymously or with the credentials; a Basic challenge
 * gets the credentials. The token is kept in memory with its expiry, sent up
 * front on later requests (a blob after its manifest), fetched again when it
 * expires mid-run (a long retry chain) or is refused, and registered with
 * the redactor as it arrives. A second 401 for the same request is final.
 *
 * Credentials and tokens go to this origin only (a redirect elsewhere gets
 * none, see http/request.ts) and to the token service its challenge names.
 */

import { readBoundedBody } from '../download/http/bounded-body.ts';
import { readErrorBody } from '../download/http/error-body.ts';
import {
  discardBody,
  type RequestContext,
  type Response,
  requestFollowingRedirects,
} from '../download/http/request.ts';
import { type LoaderError, RejectedError } from '../errors.ts';
import { type Challenge, chooseChallenge, parseChallenges } from './challenge.ts';
import type { CredentialsLookup, RegistryCredentials } from './credentials.ts';
import { registryAnswerError, registryReasonOf } from './registry-errors.ts';
import {
  basicAuthorization,
  maxTokenResponseBytes,
  parseTokenResponse,
  tokenRequest,
} from './token.ts';

/** What an origin is to the loader: its host, and what the auth file holds for it. */
export interface OriginAccess {
  /** host[:port] as the settings name it. */
  readonly host: string;
  readonly credentials: CredentialsLookup;
  /** Where the credentials would come from, for advice: `LOADER_REGISTRY_AUTH_FILE (/path)`. */
  readonly authFileSource: string | undefined;
  readonly repository: string;
  readonly plainHttp: boolean;
  readonly plainHttpSetting: string;
  readonly userAgent: string;
}

/** A token this long from its end counts as expired: it could lapse in flight. */
const expiryMarginMs = 10_000;

export class OriginAuth {
  readonly access: OriginAccess;
  #challenge: Challenge | undefined;
  #token: { readonly value: string; readonly expiresAtMs: number } | undefined;

  constructor(access: OriginAccess) {
    this.access = access;
  }

  get #credentials(): RegistryCredentials | undefined {
    return this.access.credentials.found ? this.access.credentials.credentials : undefined;
  }

  /**
   * Sends a request to this origin with what it asked for before, and answers
   * one 401 challenge with a token or the credentials. Any other answer, and
   * the second 401, is returned as it is (its body unread).
   */
  async send(
    context: RequestContext,
    url: URL,
    headers: Record<string, string>,
    signal: AbortSignal,
    method: 'GET' | 'HEAD' = 'GET',
  ): Promise<Response> {
    let answered = false;
    for (;;) {
      const authorization = await this.#authorization(context, signal);
      const response = await requestFollowingRedirects(context, url, headers, signal, {
        method,
        authorization,
      });
      // A 401 from elsewhere (storage behind a redirect) is no challenge of this origin's.
      if (response.status !== 401 || answered || response.url.origin !== url.origin) {
        return response;
      }
      const challenge = this.#challengeOf(response);
      if (challenge === undefined || (challenge.scheme === 'basic' && !this.#canAnswerBasic())) {
        return response;
      }
      const refusal = await registryReasonOf(response, context.redactor);
      discardBody(response.body);
      answered = true;
      this.#challenge = challenge;
      this.#token = undefined;
      if (challenge.scheme === 'bearer') {
        this.#token = await this.#fetchToken(context, challenge, refusal.code, signal);
      }
    }
  }

  /** What to do about a 401 or 403 from this origin, in the words of the refusal. */
  advice(): string {
    const { host, credentials, authFileSource } = this.access;
    if (credentials.found) {
      return `the credentials for ${host} (the auths entry "${credentials.key}" of ${authFileSource}) were refused, or do not grant pull on ${this.access.repository}`;
    }
    const note = credentials.note === undefined ? '' : ` (${credentials.note})`;
    return authFileSource === undefined
      ? `the pull was anonymous: give credentials for ${host} in a Docker config.json named by LOADER_REGISTRY_AUTH_FILE (or $DOCKER_CONFIG/config.json)`
      : `${authFileSource} has no credentials for ${host}, so the pull was anonymous${note}`;
  }

  #canAnswerBasic(): boolean {
    const credentials = this.#credentials;
    return credentials !== undefined && this.#challenge?.scheme !== 'basic';
  }

  #challengeOf(response: Response): Challenge | undefined {
    const header = response.headers['www-authenticate'];
    if (header === undefined) return undefined;
    return chooseChallenge(parseChallenges(header));
  }

  /** What to send now: a live token (fetched again once expired), Basic after a Basic challenge, or none. */
  async #authorization(context: RequestContext, signal: AbortSignal): Promise<string | undefined> {
    const challenge = this.#challenge;
    if (challenge === undefined) return undefined;
    if (challenge.scheme === 'basic') {
      const credentials = this.#credentials;
      if (credentials === undefined) return undefined;
      return basicAuthorization(credentials);
    }
    if (this.#token === undefined || Date.now() >= this.#token.expiresAtMs - expiryMarginMs) {
      this.#token = await this.#fetchToken(context, challenge, undefined, signal);
    }
    return `Bearer ${this.#token.value}`;
  }

  /** The token service's answer to the challenge: a token, or the error its refusal means. */
  async #fetchToken(
    context: RequestContext,
    challenge: Challenge,
    registryCode: string | undefined,
    signal: AbortSignal,
  ): Promise<{ value: string; expiresAtMs: number }> {
    const { access } = this;
    const credentials = this.#credentials;
    const request = tokenRequest(challenge, {
      repository: access.repository,
      credentials,
      registryIsPlainHttp: access.plainHttp,
      plainHttpSetting: access.plainHttpSetting,
    });
    const { authorization, ...headers } = request.headers;
    const response = await requestFollowingRedirects(
      context,
      request.url,
      { ...headers, 'user-agent': access.userAgent },
      signal,
      { method: request.method, authorization, ...(request.body ? { body: request.body } : {}) },
    );
    try {
      if (response.status === 200) {
        const body = await readBoundedBody(response, maxTokenResponseBytes, signal);
        const token = parseTokenResponse(body, request.url, context.redactor);
        return { value: token.token, expiresAtMs: Date.now() + token.expiresInSeconds * 1000 };
      }
      throw await this.#tokenRefusal(context, response, registryCode);
    } finally {
      discardBody(response.body);
    }
  }

  async #tokenRefusal(
    context: RequestContext,
    response: Response,
    registryCode: string | undefined,
  ): Promise<LoaderError> {
    const { status } = response;
    if (status === 401 || status === 403) {
      // The token service's body is its own; the code that matters is the registry's.
      await readErrorBody(response.body);
      const code = registryCode ?? 'UNAUTHORIZED';
      return new RejectedError(
        `the token service of ${this.access.host} refused to issue a token for ${this.access.repository} (${status}): ${this.advice()}`,
        { details: { status, errorCode: code } },
      );
    }
    return registryAnswerError(response, 200, context.redactor, {
      what: `a token for ${this.access.repository} from the token service of ${this.access.host}`,
      authAdvice: () => this.advice(),
    });
  }
}
