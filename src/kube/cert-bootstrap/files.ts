// The atomic writer of the serving pair: the CertFileWriter main gives the bootstrap loop.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile, unlink } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import type { CertFileWriter } from './ports.js';

/** Writes the serving pair atomically (temporary file + rename in the same directory),
 *  key first, so a reader sees either the old or the new file, never half of one. The
 *  server's reloader keeps the old pair while cert and key do not match yet. */
export function fileWriter(certFile: string, keyFile: string): CertFileWriter {
  const same = async (path: string, content: string) => {
    try {
      return (await readFile(path, 'utf8')) === content;
    } catch {
      return false;
    }
  };
  const put = async (path: string, content: string) => {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`);
    try {
      await writeFile(tmp, content, { mode: 0o600 });
      await rename(tmp, path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  };
  return {
    async write(cert, key) {
      const [certSame, keySame] = await Promise.all([same(certFile, cert), same(keyFile, key)]);
      if (certSame && keySame) return false;
      if (!keySame) await put(keyFile, key);
      if (!certSame) await put(certFile, cert);
      return true;
    },
  };
}
