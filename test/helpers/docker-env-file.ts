// Reads an env file the way `docker run --env-file` does (docker/cli, opts/file.go,
// parseKeyValueFile), so a test can check what a container would get without an engine:
// lines split at "\n" with one trailing "\r" dropped; a UTF-8 BOM dropped from the first;
// leading white space dropped; blank lines and lines starting with "#" skipped; the name
// is what comes before the first "=" and must hold no space or tab; the value is the
// rest of the line, untouched: no quote removal, no escapes, no trimming, no expansion.
// A line without "=" passes the variable on from the caller's environment.

export function parseDockerEnvFile(
  text: string,
  callerEnv: Readonly<Record<string, string | undefined>> = {},
): Map<string, string> {
  const variables = new Map<string, string>();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((raw, index) => {
    const withoutCr = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const line = (index === 0 ? withoutCr.replace(/^\uFEFF/, '') : withoutCr).replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const equals = line.indexOf('=');
    const name = (equals === -1 ? line : line.slice(0, equals)).replace(/^[ \t]+/, '');
    if (/[ \t]/.test(name)) throw new Error(`variable '${name}' contains whitespaces`);
    if (name === '') throw new Error(`no variable name on line '${line}'`);
    if (equals !== -1) variables.set(name, line.slice(equals + 1));
    else {
      const passed = callerEnv[line.trim()];
      if (passed !== undefined) variables.set(line.trim(), passed);
    }
  });
  return variables;
}
