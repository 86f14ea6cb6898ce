import type { Environment } from '../config/environment.ts';
import { describeUnknownVariable, findUnknownVariables } from '../config/unknown-variables.ts';
import type { Logger } from '../log/logger.ts';

/** One warning per `ARTIFACT_*`/`LOADER_*` variable that is no setting: a typo is otherwise silent. */
export function warnUnknownVariables(logger: Logger, env: Environment): void {
  for (const variable of findUnknownVariables(env)) {
    logger.warn('unknown-variable', describeUnknownVariable(variable), {
      variable: variable.name,
      nearest: variable.nearest,
      likely: variable.likely,
    });
  }
}
