// Reading manifests for `sdb-tls-guard check`: files, directories (recursive, *.yaml
// *.yml *.json in sorted order), `-` for stdin; multi-document YAML, JSON, `kind: List`
// and kubectl's `*List` kinds. Everything is read and parsed before anything is
// reported: loadSources returns every object it found AND every problem it met, and the
// caller refuses to check anything when there is a problem.
import type { Stats } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isRecord } from '../core/is-record.js';

/** One Kubernetes object found in an input, with where it came from. */
export interface LoadedObject {
  /** `<path as given>#<document index from 1>`; `-#1` for stdin. List items share their List's source. */
  source: string;
  /** The decoded object (a plain JSON value tree). */
  object: Record<string, unknown>;
}

export interface LoadResult {
  objects: LoadedObject[];
  /** Problems that make the command unable to do its job (exit 2). Each names the path. */
  errors: string[];
  /** Things worth telling the user that do not stop the command (stderr). */
  notes: string[];
}

export interface LoadIO {
  cwd: string;
  /** Reads all of stdin; called at most once. */
  readStdin: () => Promise<string>;
}

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

/** Read every path (files, directories, `-`) in order; see LoadResult. */
export async function loadSources(paths: readonly string[], io: LoadIO): Promise<LoadResult> {
  const out: LoadResult = { objects: [], errors: [], notes: [] };
  let stdinSeen = false;
  for (const given of paths) {
    if (given === '-') {
      if (stdinSeen) {
        out.errors.push('-: stdin can be given only once');
        continue;
      }
      stdinSeen = true;
      let text: string;
      try {
        text = await io.readStdin();
      } catch (e) {
        out.errors.push(`-: cannot read stdin: ${errText(e)}`);
        continue;
      }
      parseText(text, '-', false, out);
      continue;
    }
    const abs = path.resolve(io.cwd, given);
    const st = await statOrReport(abs, given, out);
    if (!st) continue;
    if (st.isDirectory()) {
      const files: string[] = [];
      await walk(abs, given, files, out, new Set<string>());
      if (files.length === 0) out.notes.push(`${given}: directory holds no *.yaml, *.yml or *.json file`);
      for (const shown of files) await readOne(path.resolve(io.cwd, shown), shown, out);
    } else {
      await readOne(abs, given, out);
    }
  }
  return out;
}

/** Depth-first, entries sorted by name (code point order), so output is stable. */
async function walk(abs: string, shown: string, files: string[], out: LoadResult, seen: Set<string>): Promise<void> {
  let real: string;
  try {
    real = await realpath(abs);
  } catch (e) {
    out.errors.push(`${shown}: cannot read: ${fsReason(e)}`);
    return;
  }
  if (seen.has(real)) return; // a symlink loop: each directory once
  seen.add(real);
  let entries;
  try {
    entries = await readdir(abs, { withFileTypes: true });
  } catch (e) {
    out.errors.push(`${shown}: cannot read directory: ${fsReason(e)}`);
    return;
  }
  const names = entries.map((d) => d.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    const childAbs = path.join(abs, name);
    const childShown = joinShown(shown, name);
    const st = await statOrReport(childAbs, childShown, out);
    if (!st) continue;
    if (st.isDirectory()) await walk(childAbs, childShown, files, out, seen);
    else if (st.isFile() && MANIFEST_EXT.test(name)) files.push(childShown);
  }
}

/** The file's stat, or undefined with why it cannot be read recorded in `out`. */
async function statOrReport(abs: string, shown: string, out: LoadResult): Promise<Stats | undefined> {
  try {
    return await stat(abs);
  } catch (e) {
    out.errors.push(`${shown}: cannot read: ${fsReason(e)}`);
    return undefined;
  }
}

/** Keep the path as the user wrote it: `dir` + `a.yaml` -> `dir/a.yaml`, `dir/` -> `dir/a.yaml`. */
function joinShown(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

async function readOne(abs: string, shown: string, out: LoadResult): Promise<void> {
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (e) {
    out.errors.push(`${shown}: cannot read: ${fsReason(e)}`);
    return;
  }
  parseText(text, shown, /\.json$/i.test(shown), out);
}

/**
 * Decode one file's text. JSON files must be strict JSON; everything else (and stdin) is
 * read as a YAML stream, which also accepts JSON documents.
 */
export function parseText(text: string, shown: string, strictJson: boolean, out: LoadResult): void {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (strictJson) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      out.errors.push(`${shown}:${jsonErrorPosition(text, e)} JSON syntax error: ${jsonMessage(e)}`);
      return;
    }
    addDocument(value, `${shown}#1`, out);
    return;
  }
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  // An empty stream yields an empty array-like value; either way iterate what is there.
  const list = Array.isArray(docs) ? docs : [];
  const before = out.errors.length;
  for (const doc of list) {
    for (const err of doc.errors) {
      const pos = err.linePos?.[0];
      const where = pos ? `${pos.line}:${pos.col}` : `offset ${err.pos[0]}`;
      out.errors.push(`${shown}:${where}: YAML syntax error: ${firstLine(err.message)}`);
    }
  }
  if (out.errors.length > before) return;
  list.forEach((doc, i) => {
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      const line = lineOf(text, doc.range[0]);
      out.errors.push(`${shown}:${line}:1: YAML error in document ${i + 1}: ${errText(e)}`);
      return;
    }
    addDocument(value, `${shown}#${i + 1}`, out);
  });
}

/** One decoded document: an object, a List of objects, or nothing (comments only). */
function addDocument(value: unknown, source: string, out: LoadResult): void {
  if (value === null || value === undefined) return; // an empty document
  if (!isRecord(value)) {
    out.notes.push(`${source}: not a Kubernetes object (a ${Array.isArray(value) ? 'list' : typeof value} at top level), skipped`);
    return;
  }
  addObject(value, source, out, undefined);
}

/** An object, or the items of a List (Lists nest), depth-first in document order. An
 *  explicit work list instead of recursion: a file of Lists nested 100,000 deep is
 *  read like any other, not a stack overflow. */
function addObject(value: Record<string, unknown>, source: string, out: LoadResult, itemKind: string | undefined): void {
  const work: { value: Record<string, unknown> | undefined; itemKind: string | undefined; note?: string }[] = [{ value, itemKind }];
  for (let next = work.pop(); next !== undefined; next = work.pop()) {
    if (next.value === undefined) {
      out.notes.push(next.note ?? '');
      continue;
    }
    let obj = next.value;
    // kubectl's List items always carry kind; a hand-written `FooList` may leave it out.
    if (obj.kind === undefined && next.itemKind !== undefined) obj = { ...obj, kind: next.itemKind };
    const kind = obj.kind;
    if (typeof kind === 'string' && (kind === 'List' || kind.endsWith('List')) && Array.isArray(obj.items)) {
      const inner = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
      const items = obj.items as unknown[];
      // Pushed last item first, so they come off the work list in order.
      for (let j = items.length - 1; j >= 0; j--) {
        const item = items[j];
        work.push(isRecord(item) ? { value: item, itemKind: inner } : { value: undefined, itemKind: undefined, note: `${source}: items[${j}] is not an object, skipped` });
      }
      continue;
    }
    if (typeof kind !== 'string' || kind === '') {
      out.notes.push(`${source}: not a Kubernetes object (no kind), skipped`);
      continue;
    }
    out.objects.push({ source, object: obj });
  }
}

function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, '');
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** `L:C:` from V8's "... at position N" (Node 20), or `` when the message has none. */
function jsonErrorPosition(text: string, e: unknown): string {
  const m = /position (\d+)/.exec(errText(e));
  if (!m) {
    // V8 reports an unexpected end without a position: point at the end of the text.
    if (/end of JSON input/i.test(errText(e))) return `${lineOf(text, text.length)}:${colOf(text, text.length)}:`;
    // V8 names no position for an unexpected token: find the shortest prefix that
    // fails for a reason other than ending early; its last character is the culprit.
    const off = firstBadOffset(text);
    return off === undefined ? '' : `${lineOf(text, off)}:${colOf(text, off)}:`;
  }
  const off = Number(m[1]);
  return `${lineOf(text, off)}:${colOf(text, off)}:`;
}

/** Does JSON.parse of `prefix` fail for a reason other than running out of input? */
function failsBeforeEnd(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return false;
  } catch (e) {
    const msg = errText(e);
    if (/end of JSON input/i.test(msg)) return false;
    const m = /position (\d+)/.exec(msg);
    return !(m && Number(m[1]) >= prefix.length);
  }
}

function firstBadOffset(text: string): number | undefined {
  if (!failsBeforeEnd(text)) return undefined;
  let lo = 1;
  let hi = text.length; // failsBeforeEnd(text.slice(0, hi)) holds
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (failsBeforeEnd(text.slice(0, mid))) hi = mid;
    else lo = mid + 1;
  }
  return hi - 1;
}

function colOf(text: string, offset: number): number {
  const nl = text.lastIndexOf('\n', offset - 1);
  return offset - nl;
}

/** V8's message without the quoted copy of the text it sometimes appends, on one line. */
function jsonMessage(e: unknown): string {
  const msg = errText(e);
  const m = /^(Unexpected token .+?), "[\s\S]*" is not valid JSON$/.exec(msg);
  return (m?.[1] ?? msg).replace(/\s*\n\s*/g, ' ');
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function fsReason(e: unknown): string {
  const code = (e as { code?: string } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'not a directory';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    default:
      return errText(e);
  }
}
