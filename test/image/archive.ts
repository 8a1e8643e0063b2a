// Reads the image archive of `npm run image` without any container tool: the outer tar
// (OCI layout + docker-archive manifest.json), the OCI manifest and config, and the
// layer's entries (a small ustar/GNU tar reader over the gunzipped layer).
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface TarEntry {
  name: string;
  /** '0' file, '5' directory, '2' symlink, '1' hard link */
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
  data: Buffer;
}

const str = (b: Buffer, off: number, len: number): string => {
  const s = b.subarray(off, off + len);
  const z = s.indexOf(0);
  return (z === -1 ? s : s.subarray(0, z)).toString('utf8');
};
const oct = (b: Buffer, off: number, len: number): number => {
  const s = str(b, off, len).trim();
  return s === '' ? 0 : parseInt(s, 8);
};

/** Every entry of an uncompressed tar, GNU long names (././@LongLink) resolved. */
export function readTar(buf: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  let off = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((x) => x === 0)) break;
    const size = oct(h, 124, 12);
    const typeFlag = h[156] ?? 0;
    const type = String.fromCharCode(typeFlag === 0 ? 48 : typeFlag); // NUL is an old-style regular file, '0'
    const data = buf.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = str(data, 0, data.length);
      continue;
    }
    if (type === 'K') {
      longLink = str(data, 0, data.length);
      continue;
    }
    if (type === 'x' || type === 'g') throw new Error('pax headers are not expected in this archive');
    const prefix = h.subarray(257, 263).toString('latin1') === 'ustar\u000000' ? str(h, 345, 155) : '';
    const name = longName ?? (prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100));
    out.push({
      name,
      type: type === '\u0000' ? '0' : type,
      mode: oct(h, 100, 8),
      uid: oct(h, 108, 8),
      gid: oct(h, 116, 8),
      size,
      mtime: oct(h, 136, 12),
      linkname: longLink ?? str(h, 157, 100),
      data,
    });
    longName = undefined;
    longLink = undefined;
  }
  return out;
}

export interface OciDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}

export interface ImageConfig {
  architecture: string;
  os: string;
  created?: string;
  config: {
    Entrypoint?: string[];
    Cmd?: string[];
    User?: string;
    WorkingDir?: string;
    Env?: string[];
    Labels?: Record<string, string>;
    ExposedPorts?: Record<string, object>;
  };
  rootfs: { type: string; diff_ids: string[] };
}

export interface Archive {
  /** Entries of the outer tar by name. */
  files: Map<string, TarEntry>;
  index: { schemaVersion: number; manifests: OciDescriptor[] };
  dockerManifest: { Config: string; RepoTags: string[]; Layers: string[] }[];
  manifestDigest: string;
  manifest: { mediaType: string; config: OciDescriptor; layers: OciDescriptor[] };
  config: ImageConfig;
  /** The layer's entries (the image has one layer). */
  layer: TarEntry[];
  /** Compressed bytes of all layers. */
  compressedBytes: number;
  uncompressedBytes: number;
}

/** The bytes of blob `digest` in the outer tar; throws when it is missing. */
export const blob = (files: Map<string, TarEntry>, digest: string): Buffer => {
  const e = files.get(`blobs/${digest.replace(':', '/')}`);
  if (!e) throw new Error(`blob ${digest} is not in the archive`);
  return e.data;
};

export function readArchive(path: string): Archive {
  const outer = readTar(readFileSync(path));
  const files = new Map(outer.map((e) => [e.name, e]));
  const json = (name: string): unknown => {
    const e = files.get(name);
    if (!e) throw new Error(`${name} is not in the archive`);
    return JSON.parse(e.data.toString('utf8'));
  };
  const index = json('index.json') as Archive['index'];
  const [first] = index.manifests;
  if (!first) throw new Error('index.json lists no manifest');
  const manifestDigest = first.digest;
  const manifest = JSON.parse(blob(files, manifestDigest).toString('utf8')) as Archive['manifest'];
  const config = JSON.parse(blob(files, manifest.config.digest).toString('utf8')) as ImageConfig;
  const [layer] = manifest.layers;
  if (!layer) throw new Error(`manifest ${manifestDigest} lists no layer`);
  const layerTar = gunzipSync(blob(files, layer.digest));
  return {
    files,
    index,
    dockerManifest: json('manifest.json') as Archive['dockerManifest'],
    manifestDigest,
    manifest,
    config,
    layer: readTar(layerTar),
    compressedBytes: manifest.layers.reduce((n, l) => n + l.size, 0),
    uncompressedBytes: layerTar.length,
  };
}
