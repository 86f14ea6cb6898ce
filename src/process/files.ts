/**
 * The file operations the loader's run makes, as promises over node:fs's
 * callback API. Not node:fs/promises: loading it loads node:readline, the
 * REPL's history and the file watchers with it (eleven modules), about
 * 0.8 MiB of every run's peak for nothing a download uses (docs/performance.md).
 * Same system calls, same errors (code, syscall, path) as node:fs/promises;
 * an OpenFile is what both this module's open() and a FileHandle are, so a
 * test may hand either to the code that takes one.
 */
import {
  access as accessCallback,
  close,
  fchmod,
  fdatasync,
  fstat,
  fsync,
  ftruncate,
  futimes,
  lstat as lstatCallback,
  lutimes as lutimesCallback,
  mkdir as mkdirCallback,
  open as openCallback,
  read,
  readdir as readdirCallback,
  readFile as readFileCallback,
  rename as renameCallback,
  type Stats,
  unlink as unlinkCallback,
  write,
  writeFile,
  writev,
} from 'node:fs';

/** An open file: the part of node:fs/promises' FileHandle the loader uses. */
export interface OpenFile {
  readonly fd: number;
  read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesRead: number; buffer: Buffer }>;
  write(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesWritten: number }>;
  writev(buffers: Buffer[], position: number): Promise<{ bytesWritten: number }>;
  writeFile(data: string): Promise<void>;
  stat(): Promise<Stats>;
  chmod(mode: number): Promise<void>;
  truncate(length: number): Promise<void>;
  utimes(atime: Date, mtime: Date): Promise<void>;
  datasync(): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

type Callback<T> = (error: NodeJS.ErrnoException | null, value: T) => void;

/** The promise of one callback-style call. */
function settle<T>(call: (callback: Callback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    call((error, value) => (error === null ? resolve(value) : reject(error))),
  );
}

class File implements OpenFile {
  readonly fd: number;

  constructor(fd: number) {
    this.fd = fd;
  }

  read(buffer: Buffer, offset: number, length: number, position: number) {
    return settle<number>((done) => read(this.fd, buffer, offset, length, position, done)).then(
      (bytesRead) => ({ bytesRead, buffer }),
    );
  }

  write(buffer: Buffer, offset: number, length: number, position: number) {
    return settle<number>((done) => write(this.fd, buffer, offset, length, position, done)).then(
      (bytesWritten) => ({ bytesWritten }),
    );
  }

  writev(buffers: Buffer[], position: number) {
    return settle<number>((done) => writev(this.fd, buffers, position, done)).then(
      (bytesWritten) => ({ bytesWritten }),
    );
  }

  writeFile(data: string) {
    return settle<void>((done) => writeFile(this.fd, data, done));
  }

  stat() {
    return settle<Stats>((done) => fstat(this.fd, done));
  }

  chmod(mode: number) {
    return settle<void>((done) => fchmod(this.fd, mode, done));
  }

  truncate(length: number) {
    return settle<void>((done) => ftruncate(this.fd, length, done));
  }

  utimes(atime: Date, mtime: Date) {
    return settle<void>((done) => futimes(this.fd, atime, mtime, done));
  }

  datasync() {
    return settle<void>((done) => fdatasync(this.fd, done));
  }

  sync() {
    return settle<void>((done) => fsync(this.fd, done));
  }

  close() {
    return settle<void>((done) => close(this.fd, done));
  }
}

/** open(2) with node:fs's flags ('r', 'wx', 'wx+'...) and mode. */
export async function open(path: string, flags: string, mode?: number): Promise<OpenFile> {
  return new File(await settle<number>((done) => openCallback(path, flags, mode, done)));
}

export function access(path: string): Promise<void> {
  return settle<void>((done) => accessCallback(path, done));
}

export function lstat(path: string): Promise<Stats> {
  return settle<Stats>((done) => lstatCallback(path, done));
}

export function lutimes(path: string, atime: Date, mtime: Date): Promise<void> {
  return settle<void>((done) => lutimesCallback(path, atime, mtime, done));
}

export function mkdir(path: string, options: { recursive: boolean; mode: number }): Promise<void> {
  return settle<string | undefined>((done) => mkdirCallback(path, options, done)).then(() => {});
}

export function readdir(path: string): Promise<string[]> {
  return settle<string[]>((done) => readdirCallback(path, done));
}

export function readFile(path: string, encoding: 'utf8'): Promise<string> {
  return settle<string>((done) => readFileCallback(path, encoding, done));
}

export function rename(from: string, to: string): Promise<void> {
  return settle<void>((done) => renameCallback(from, to, done));
}

export function unlink(path: string): Promise<void> {
  return settle<void>((done) => unlinkCallback(path, done));
}
