// Checks shared by the Kubernetes manifest tests: the documents of a file of
// deploy/kubernetes/, and the restricted Pod Security Standard as the loader's
// containers must meet it.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSecurityContext } from 'kubernetes-models/v1/PodSecurityContext';
import type { ISecurityContext } from 'kubernetes-models/v1/SecurityContext';
import { parseAllDocuments } from 'yaml';

export const manifestDir = new URL('../../deploy/kubernetes/', import.meta.url);

/** Every object of a file of deploy/kubernetes/, as plain data; fails on a YAML error. */
export async function manifestDocuments(file: string): Promise<Record<string, unknown>[]> {
  const parsed = parseAllDocuments(await readFile(new URL(file, manifestDir), 'utf8'));
  assert.ok(Array.isArray(parsed), `${file} parses as YAML`);
  return parsed.map((document) => {
    assert.deepEqual(document.errors, [], `${file} has no YAML errors`);
    return document.toJS() as Record<string, unknown>;
  });
}

/** A container's effective setting: its own securityContext first, then the pod's. */
export function effective<K extends keyof ISecurityContext & keyof IPodSecurityContext>(
  pod: IPodSecurityContext | undefined,
  container: IContainer,
  key: K,
): ISecurityContext[K] | IPodSecurityContext[K] | undefined {
  return container.securityContext?.[key] ?? pod?.[key];
}

export function assertRestricted(
  pod: IPodSecurityContext | undefined,
  container: IContainer,
): void {
  const where = `container ${container.name}`;
  assert.equal(effective(pod, container, 'runAsNonRoot'), true, `${where}: runAsNonRoot`);
  assert.deepEqual(
    effective(pod, container, 'seccompProfile'),
    { type: 'RuntimeDefault' },
    `${where}: seccomp`,
  );
  assert.equal(
    container.securityContext?.readOnlyRootFilesystem,
    true,
    `${where}: readOnlyRootFilesystem`,
  );
  assert.equal(
    container.securityContext?.allowPrivilegeEscalation,
    false,
    `${where}: allowPrivilegeEscalation`,
  );
  assert.deepEqual(
    container.securityContext?.capabilities?.drop,
    ['ALL'],
    `${where}: capabilities.drop`,
  );
  assert.equal(container.securityContext?.privileged ?? false, false, `${where}: not privileged`);
  assert.equal(
    container.securityContext?.capabilities?.add,
    undefined,
    `${where}: adds no capability`,
  );
  for (const kind of ['requests', 'limits'] as const) {
    for (const resource of ['cpu', 'memory']) {
      assert.ok(
        container.resources?.[kind]?.[resource] !== undefined,
        `${where}: resources.${kind}.${resource}`,
      );
    }
  }
  assert.equal(
    container.terminationMessagePolicy,
    'FallbackToLogsOnError',
    `${where}: terminationMessagePolicy`,
  );
}
