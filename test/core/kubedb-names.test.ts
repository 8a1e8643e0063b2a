// Issue 12: every derived name equals KubeDB's for every legal database name. KubeDB
// cuts each one with kmodules meta.NameWithSuffix (DOMAIN.md): len(suffix) >= 63 → the
// last 63 characters of the suffix; otherwise the first 63-len(suffix)-1 characters of
// the name, '-', the suffix; leading and trailing '-' trimmed. Table-tested at database
// name lengths 51, 52, 58 and 63 and with suffixed topologies.
import t from 'tap';
import type { Singlestore } from '../../src/api/types.js';
import {
  certificateName,
  certificateSecretName,
  governingServiceName,
  nameWithSuffix,
  pauseHolder,
  pauseReason,
  petSetNames,
  podName,
  skippedMessage,
  topologyPetSetName,
} from '../../src/core/names.js';
import { desiredCertificate, newTLS, tlsVolume } from '../../src/core/reconcile/tls.js';
import { restartOrder } from '../../src/core/reconcile/planner.js';

/** A legal Singlestore name of exactly n characters (starts with a letter). */
const dbName = (n: number): string => ('s' + 'abcdefghij'.repeat(7)).slice(0, n);

/** The rule written out independently of the implementation, for the property check. */
function reference(name: string, suffix: string): string {
  const out = suffix.length >= 63 ? suffix.slice(-63) : `${name.slice(0, 63 - suffix.length - 1)}-${suffix}`;
  return out.replace(/^-+/, '').replace(/-+$/, '');
}

t.test('nameWithSuffix: the rule itself', async (t) => {
  t.equal(nameWithSuffix('sample-sdb', 'server-cert'), 'sample-sdb-server-cert', 'short names are plain concatenation');
  t.equal(nameWithSuffix('a'.repeat(51), 'server-cert'), `${'a'.repeat(51)}-server-cert`, '51 + 1 + 11 = 63: not cut');
  t.equal(nameWithSuffix('a'.repeat(52), 'server-cert'), `${'a'.repeat(51)}-server-cert`, '52: the name loses one character');
  t.equal(nameWithSuffix('abc', 'x'.repeat(63)), 'x'.repeat(63), 'a 63-character suffix is the whole name');
  t.equal(nameWithSuffix('abc', `${'y'.repeat(10)}${'x'.repeat(63)}`), 'x'.repeat(63), 'a longer suffix: its last 63 characters');
  t.equal(nameWithSuffix('abc', `-${'x'.repeat(62)}`), 'x'.repeat(62), 'leading - of a cut suffix is trimmed');
  t.equal(nameWithSuffix(`${'a'.repeat(50)}-bcd`, 'server-cert'), `${'a'.repeat(50)}--server-cert`, 'the name cut to 51 ends in -: kept (only the ends are trimmed)');
  t.equal(nameWithSuffix('-abc-', 'x-'), 'abc--x', 'leading and trailing - trimmed, inner kept');
  t.equal(nameWithSuffix('', 'pods'), 'pods');
  for (const n of [1, 10, 40, 51, 52, 53, 58, 62, 63]) {
    for (const suffix of ['server-cert', 'client-cert', 'metrics-exporter-cert', 'pods', 'aggregator', 'leaf', 'x'.repeat(62), 'x'.repeat(63), 'x'.repeat(70)]) {
      const got = nameWithSuffix(dbName(n), suffix);
      t.equal(got, reference(dbName(n), suffix), `n=${n} suffix=${suffix.length}`);
      t.ok(got.length <= 63, `n=${n} suffix=${suffix.length}: at most 63 (${got.length})`);
    }
  }
});

interface NameCase {
  length: number;
  server: string;
  client: string;
  exporter: string;
  aggregator: string;
  leaf: string;
  pods: string;
}

const NAME_CASES: NameCase[] = [51, 52, 58, 63].map((length) => {
  const n = dbName(length);
  return {
    length,
    server: `${n.slice(0, 51)}-server-cert`,
    client: `${n.slice(0, 51)}-client-cert`,
    exporter: `${n.slice(0, 41)}-metrics-exporter-cert`,
    aggregator: `${n.slice(0, 52)}-aggregator`,
    leaf: `${n.slice(0, 58)}-leaf`,
    pods: `${n.slice(0, 58)}-pods`,
  };
});

for (const c of NAME_CASES) {
  t.test(`database name of ${c.length} characters: every derived name as KubeDB's`, async (t) => {
    const name = dbName(c.length);
    t.equal(name.length, c.length);
    t.equal(certificateName(name, 'server'), c.server, 'server Certificate');
    t.equal(certificateName(name, 'client'), c.client, 'client Certificate');
    t.equal(certificateName(name, 'metrics-exporter'), c.exporter, 'metrics-exporter Certificate');
    t.equal(certificateSecretName(name, 'server'), c.server, 'server Secret (no secretName given)');
    t.equal(certificateSecretName(name, 'server', 'my-secret'), 'my-secret', 'a given secretName wins');
    t.equal(governingServiceName(name), c.pods, 'governing Service');
    const db: Singlestore = {
      metadata: { name, namespace: 'demo', uid: 'u' },
      spec: { topology: { aggregator: { replicas: 2 }, leaf: { replicas: 1 } }, tls: { issuerRef: { kind: 'Issuer', name: 'ca' } } },
    };
    t.strictSame(petSetNames(db), [
      { name: c.aggregator, role: 'aggregator' },
      { name: c.leaf, role: 'leaf' },
    ]);
    t.strictSame(restartOrder(db, []), [`${c.aggregator}-0`, `${c.aggregator}-1`, `${c.leaf}-0`], 'pods are <petset>-<ordinal>');
    for (const p of petSetNames(db)) t.ok(p.name.length <= 63);
    // The objects the reconciler makes carry the same names.
    const tls = newTLS(db.spec?.tls, { issuerRef: { kind: 'Issuer', name: 'ca' } }, name);
    if (!tls) throw new Error('newTLS removed spec.tls');
    t.strictSame(
      tls.certificates?.map((x) => [x.alias, x.secretName]),
      [
        ['server', c.server],
        ['client', c.client],
      ],
      'derived secretNames written into spec.tls',
    );
    const server = desiredCertificate(db, tls, { alias: 'server' });
    t.equal(server.metadata?.name, c.server);
    t.equal(server.spec?.secretName, c.server);
    t.ok(server.spec?.dnsNames?.includes(`*.${c.pods}.demo.svc`), 'dnsNames use the governing Service name');
    t.ok(server.spec?.dnsNames?.includes(`*.${c.pods}.demo.svc.cluster.local`));
    const vol = tlsVolume(name, tls);
    const sources = (vol.projected as { sources?: { secret?: { name?: string } }[] } | undefined)?.sources ?? [];
    t.strictSame(sources.map((s) => s.secret?.name), [c.server, c.client], 'tls-volume mounts the cut Secret names');
  });
}

t.test('suffixed topologies: NameWithSuffix(NameWithSuffix(db, suffix), role)', async (t) => {
  const cases: { db: string; suffix: string; aggregator: string; leaf: string }[] = [
    { db: 'sample-sdb', suffix: 'east', aggregator: 'sample-sdb-east-aggregator', leaf: 'sample-sdb-east-leaf' },
    // <51>-east is 56 characters; cut to 52 for -aggregator it ends in '-': KubeDB keeps the inner '--'.
    { db: dbName(51), suffix: 'east', aggregator: `${dbName(51)}--aggregator`, leaf: `${dbName(51)}-east-leaf` },
    { db: dbName(63), suffix: 'zone-a', aggregator: `${dbName(63).slice(0, 56)}-zone-a`.slice(0, 52) + '-aggregator', leaf: `${dbName(63).slice(0, 56)}-zone-a`.slice(0, 58) + '-leaf' },
    { db: 'db', suffix: 'x'.repeat(70), aggregator: `${'x'.repeat(52)}-aggregator`, leaf: `${'x'.repeat(58)}-leaf` },
  ];
  for (const c of cases) {
    t.equal(topologyPetSetName(c.db, 'aggregator', c.suffix), c.aggregator, `${c.db.length}/${c.suffix}: aggregator`);
    t.equal(topologyPetSetName(c.db, 'leaf', c.suffix), c.leaf, `${c.db.length}/${c.suffix}: leaf`);
    const db: Singlestore = { metadata: { name: c.db }, spec: { topology: { aggregator: { suffix: c.suffix }, leaf: { suffix: c.suffix } } } };
    t.strictSame(petSetNames(db).map((p) => p.name), [c.aggregator, c.leaf]);
  }
  t.equal(topologyPetSetName('sample-sdb', 'aggregator'), 'sample-sdb-aggregator', 'no suffix');
  t.strictSame(petSetNames({ metadata: { name: dbName(63) }, spec: {} }), [{ name: dbName(63), role: 'standalone' }], 'standalone: the database name itself');
  t.equal(podName('sample-sdb-leaf', 3), 'sample-sdb-leaf-3');
});

t.test('pause reason and Skipped message', async (t) => {
  const req = { metadata: { name: 'sdbops-rotate', namespace: 'demo' } };
  t.equal(pauseReason(req), 'SinglestoreOpsRequest demo/sdbops-rotate');
  t.strictSame(pauseHolder(pauseReason(req)), { namespace: 'demo', name: 'sdbops-rotate' });
  for (const other of [undefined, '', 'Paused', 'PausedByUser', 'SinglestoreOpsRequest demo', 'SinglestoreOpsRequest a/b c']) t.equal(pauseHolder(other), undefined, String(other));
  t.equal(skippedMessage('demo/sdbops-newer'), 'Skipped in favour of the newer SinglestoreOpsRequest demo/sdbops-newer');
});
