// Debian's nginx serving the same folder on loopback, as a reference server
// with sendfile: it ignores the signature parameters and serves the file.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const nginxPath = '/usr/sbin/nginx';

export interface NginxServer {
  readonly origin: string;
  /** The master's pid; its workers are its children. */
  readonly pid: number;
  stop(): Promise<void>;
}

export async function startNginx(work: string, served: string): Promise<NginxServer> {
  const prefix = join(work, 'nginx');
  await mkdir(join(prefix, 'logs'), { recursive: true });
  // Workers run as an unprivileged user when nginx starts as root: let them read the folder.
  for (const folder of [work, served]) await chmod(folder, 0o755);
  const port = await freePort();
  const config = join(prefix, 'nginx.conf');
  await writeFile(
    config,
    `worker_processes 2;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'logs', 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 60;
  client_body_temp_path ${join(prefix, 'body')};
  proxy_temp_path ${join(prefix, 'proxy')};
  fastcgi_temp_path ${join(prefix, 'fastcgi')};
  uwsgi_temp_path ${join(prefix, 'uwsgi')};
  scgi_temp_path ${join(prefix, 'scgi')};
  types { }
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:${port};
    root ${served};
  }
}
`,
  );
  const child = spawn(nginxPath, ['-p', prefix, '-c', config, '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const origin = `http://127.0.0.1:${port}`;
  for (let tries = 0; ; tries += 1) {
    if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}`);
    const up = await fetch(`${origin}/`, { method: 'HEAD' }).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (tries > 100) throw new Error('nginx did not start listening');
    await sleep(50);
  }
  return {
    origin,
    pid: child.pid ?? 0,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGQUIT');
      await exited;
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}
