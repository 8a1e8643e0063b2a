// The Dockerfile (for Docker/BuildKit users and the release workflow; it cannot be built
// here) and the image `npm run image` builds must be the same image to whoever runs it:
// entrypoint, cmd, user, workdir, exposed port, env and labels of the Dockerfile's final
// stage are compared with the built image's config. Also: the chart's default image is
// the one `npm run image` writes, pulled IfNotPresent.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { IMAGE_ARCHIVE, imageInfo } from '../e2e/harness/webhook-image.js';
import { REPO_ROOT } from '../e2e/harness/paths.js';
import { get, render } from '../install/helm.js';
import { readArchive } from './archive.js';

// The first call of imageInfo() rebuilds a stale archive (1-2 min on this machine's two
// cores) before the tests run: give this file more than .taprc's 120 s.
t.setTimeout(10 * 60_000);

interface Instruction {
  op: string;
  args: string;
  line: number;
}

/** Instructions of a Dockerfile (comments dropped, backslash continuations joined). */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n').entries();
  for (const [start, first] of lines) {
    let l = first;
    if (/^\s*(#|$)/.test(l)) continue;
    while (l.endsWith('\\')) {
      const next = lines.next();
      if (next.done) break;
      l = `${l.slice(0, -1)} ${next.value[1].trim()}`;
    }
    const [, op, args] = /^\s*([A-Za-z]+)\s+(.*)$/.exec(l) ?? [];
    if (op === undefined || args === undefined) throw new Error(`Dockerfile line ${start + 1}: cannot parse ${JSON.stringify(l)}`);
    out.push({ op: op.toUpperCase(), args: args.trim(), line: start + 1 });
  }
  return out;
}

/** key=value pairs (values optionally double-quoted) with ${ARG} substituted. */
function pairs(args: string, vars: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [, key = '', value = '', quoted] of args.matchAll(/([A-Za-z0-9_.-]+)=("((?:[^"\\]|\\.)*)"|\S+)/g)) {
    const raw = quoted ?? value;
    out[key] = raw.replace(/\$\{([A-Za-z0-9_]+)\}|\$([A-Za-z0-9_]+)/g, (_, a: string | undefined, b: string | undefined) => vars[a ?? b ?? ''] ?? '');
  }
  return out;
}

const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const instructions = parseDockerfile(dockerfile);
const stages: Instruction[][] = [];
for (const ins of instructions) {
  if (ins.op === 'FROM') stages.push([]);
  stages.at(-1)?.push(ins);
}
const final = stages.at(-1) ?? [];
const finalFrom = final[0]?.args ?? '(no FROM)';
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string; license: string };

t.test('the Dockerfile: multi-stage, npm ci --omit=dev, the bundle made from it, distroless Node 20, says it cannot be built here', async (t) => {
  t.ok(stages.length >= 2, 'multi-stage');
  t.match(finalFrom, /^gcr\.io\/distroless\/nodejs20-debian12(:nonroot)?(@sha256:[0-9a-f]{64})?$/, 'the final stage is distroless Node 20 (no shell, no package manager)');
  t.ok(
    stages.some((s) => s.some((i) => i.op === 'RUN' && /npm ci\b.*--omit=dev/.test(i.args))),
    'production dependencies by npm ci --omit=dev',
  );
  t.ok(
    stages.some((s) => s.some((i) => i.op === 'RUN' && /npm ci\b.*--omit=dev[\s\S]*node \S*scripts\/bundle\.mjs/.test(i.args))),
    'the bundle is made from that production tree (scripts/bundle.mjs)',
  );
  t.ok(final.some((i) => i.op === 'COPY' && /--from=\S+\s+\S*dist\/bundle\s+\S*dist\/bundle$/.test(i.args)), 'the final stage takes the bundle from that stage');
  t.notOk(final.some((i) => i.op === 'COPY' && /node_modules|dist\/src/.test(i.args)), 'and no node_modules or dist/src');
  t.notOk(final.some((i) => i.op === 'RUN'), 'the final stage runs nothing (its base has no shell)');
  t.match(dockerfile.split('\n').slice(0, 12).join('\n'), /CANNOT be built on this project's machines/, 'the header says it cannot be built here');
  const arg = final.find((i) => i.op === 'ARG' && i.args.startsWith('VERSION='));
  t.equal(arg?.args, `VERSION=${pkg.version}`, 'the default VERSION is package.json version');
});

t.test('the Dockerfile final stage and the built image have the same entrypoint, cmd, user, workdir, port, env and labels', async (t) => {
  await imageInfo();
  const { config } = readArchive(IMAGE_ARCHIVE);
  const vars: Record<string, string> = {};
  for (const i of final) if (i.op === 'ARG') Object.assign(vars, pairs(i.args, {}));
  const one = (op: string): string => {
    const found = final.filter((i) => i.op === op);
    t.equal(found.length, 1, `one ${op} in the final stage`);
    return found[0]?.args ?? '';
  };
  t.strictSame(JSON.parse(one('ENTRYPOINT')), config.config.Entrypoint, 'ENTRYPOINT');
  t.strictSame(JSON.parse(one('CMD')), config.config.Cmd, 'CMD');
  t.equal(one('USER'), config.config.User, 'USER (numeric)');
  t.match(one('USER'), /^\d+:\d+$/, 'USER is numeric (runAsNonRoot can check it)');
  t.equal(one('WORKDIR'), config.config.WorkingDir, 'WORKDIR');
  t.strictSame(
    one('EXPOSE')
      .split(/\s+/)
      .map((p) => (p.includes('/') ? p : `${p}/tcp`)),
    Object.keys(config.config.ExposedPorts ?? {}),
    'EXPOSE',
  );
  const labels: Record<string, string> = {};
  for (const i of final) if (i.op === 'LABEL') Object.assign(labels, pairs(i.args, vars));
  t.strictSame(labels, config.config.Labels, 'LABELs');
  for (const key of ['org.opencontainers.image.source', 'org.opencontainers.image.version', 'org.opencontainers.image.licenses']) t.ok(labels[key], `label ${key}`);
  t.equal(labels['org.opencontainers.image.licenses'], pkg.license);
  // The Dockerfile's own ENV entries are in the image; the image's others (PATH,
  // SSL_CERT_FILE) are what the distroless base sets.
  const env: Record<string, string> = {};
  for (const i of final) if (i.op === 'ENV') Object.assign(env, pairs(i.args, vars));
  const imageEnv = Object.fromEntries((config.config.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  for (const [k, v] of Object.entries(env)) t.equal(imageEnv[k], v, `ENV ${k}`);
  t.strictSame(Object.keys(imageEnv).sort(), [...Object.keys(env), 'PATH', 'SSL_CERT_FILE'].sort(), 'no other environment');
});

t.test("the chart's default image is the one npm run image writes, pulled IfNotPresent", async (t) => {
  const info = await imageInfo();
  const pod = get(render(), 'Deployment', 'sdb-tls-guard').spec?.template.spec;
  const c = pod?.containers[0];
  t.equal(c?.image, info.reference, `chart image ${String(c?.image)}`);
  t.equal(c?.imagePullPolicy, 'IfNotPresent');
  const user = readArchive(IMAGE_ARCHIVE).config.config.User ?? '';
  const sc = pod?.securityContext;
  t.equal(`${String(sc?.runAsUser)}:${String(sc?.runAsGroup)}`, user, "the chart's runAsUser/runAsGroup are the image's user");
});
