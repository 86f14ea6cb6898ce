/** The options of `signUrl` that can be refused. */
export type SignUrlOption = 'baseUrl' | 'path' | 'secret' | 'expiresAt' | 'ttlSeconds';

/**
 * A `signUrl` option that would make a bad URL. `option` names the option and
 * `problem` says what is wrong with it, apart, so a caller that takes the option
 * from somewhere else (the `sign` command's flags) can name that instead.
 */
export class SignUrlError extends TypeError {
  readonly option: SignUrlOption;
  readonly problem: string;

  constructor(option: SignUrlOption, problem: string, options?: { cause?: unknown }) {
    super(`${option} ${problem}`, options);
    this.name = 'SignUrlError';
    this.option = option;
    this.problem = problem;
  }
}
