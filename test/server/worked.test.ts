// The docs' five worked requests, wrapped in AdmissionReviews as the API server sends
// them, against a MemoryView of the state each names: /mutate answers the default patch,
// /validate allows them (as received, and after the patch is applied).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { SinglestoreOpsRequest } from '../../src/api/types.js';
import { MemoryView } from '../../src/core/memory-view.js';
import { loadYaml, makeApp, post, wrap, WORKED_DIR } from './helpers.js';

const WORKED = ['add-tls.yaml', 'rotate.yaml', 'update.yaml', 'change-issuer.yaml', 'remove.yaml'];
const DEFAULT_PATCH = [
  { op: 'add', path: '/spec/apply', value: 'IfReady' },
  { op: 'add', path: '/spec/timeout', value: '10m' },
];
const DEFAULT_PATCH_B64 = Buffer.from(JSON.stringify(DEFAULT_PATCH)).toString('base64');

function stateFor(file: string): MemoryView {
  const [, expects] = /^# expects: ([A-Za-z0-9._-]+\.ya?ml)/m.exec(readFileSync(join(WORKED_DIR, file), 'utf8')) ?? [];
  if (expects === undefined) throw new Error(`${file}: no "# expects:" line`);
  return MemoryView.from(loadYaml(join(WORKED_DIR, expects)));
}

for (const file of WORKED) {
  t.test(file, async (t) => {
    const object = loadYaml(join(WORKED_DIR, file))[0] as SinglestoreOpsRequest;
    const { app, logs } = makeApp({ view: stateFor(file) });
    const uid = `worked-${file.replace('.yaml', '')}`;

    const mutate = await post(app, '/mutate', wrap(object, { uid }));
    t.equal(mutate.status, 200);
    t.strictSame(mutate.review().response, {
      uid,
      allowed: true,
      patchType: 'JSONPatch',
      patch: DEFAULT_PATCH_B64,
      auditAnnotations: { defaulted: 'default-apply,default-timeout' },
    });

    const asReceived = await post(app, '/validate', wrap(object, { uid }));
    t.equal(asReceived.status, 200);
    t.strictSame(asReceived.review().response, { uid, allowed: true }, 'allowed as received');

    const defaulted = structuredClone(object);
    defaulted.spec = { ...defaulted.spec, apply: 'IfReady', timeout: '10m' };
    const afterMutate = await post(app, '/validate', wrap(defaulted, { uid }));
    t.strictSame(afterMutate.review().response, { uid, allowed: true }, 'allowed after the patch');
    const again = await post(app, '/mutate', wrap(defaulted, { uid }));
    t.strictSame(again.review().response, { uid, allowed: true }, 'defaults are idempotent: no second patch');

    const decisions = logs.filter((l) => l['msg'] === 'admission decision');
    t.equal(decisions.length, 4);
    t.match(decisions[1], { uid, user: 'kubernetes-admin', namespace: 'demo', name: object.metadata?.name, webhook: 'validate', verdict: 'allowed', operation: 'CREATE' });
  });
}
