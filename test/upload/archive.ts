/** Builds gzip tar archives for upload tests, including malformed ones tar itself will not write. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { create, Header } from 'tar';

export interface RawEntry {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'BlockDevice' | 'FIFO';
  body?: Buffer | string;
  linkpath?: string;
}

/** A gzip tar written header by header, so that any path or entry type can be put in it. */
export function rawTarGz(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = e.body === undefined ? Buffer.alloc(0) : Buffer.from(e.body);
    const header = new Header({
      path: e.path,
      type: e.type ?? 'File',
      size: (e.type ?? 'File') === 'File' ? body.length : 0,
      mode: e.type === 'Directory' ? 0o755 : 0o644,
      linkpath: e.linkpath,
      mtime: new Date(0),
      uid: 0,
      gid: 0,
    });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block);
    if ((e.type ?? 'File') === 'File' && body.length > 0) {
      blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return zlib.gzipSync(Buffer.concat(blocks));
}

/** `tar czf <file> -C <dir> .` through the tar package. */
export async function tarGzOf(dir: string, file: string): Promise<string> {
  await create({ gzip: true, file, cwd: dir, portable: true }, ['.']);
  return file;
}

export function writeTo(file: string, content: Buffer): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

export const randomBytes = (n: number) => crypto.randomBytes(n);
