import t from 'tap';
import { dns1123SubdomainErrors, dnsNameErrors, isAbsoluteURI, isEmailAddress, isIPv4, isIPv6, singlestoreNameErrors } from '../../src/core/rules/names.js';

t.test('DNS-1123 subdomain', async (t) => {
  for (const ok of ['a', 'sdb-issuer', 'a.b.c', '0abc', 'x'.repeat(63), `${'a'.repeat(63)}.${'b'.repeat(63)}`]) t.same(dns1123SubdomainErrors(ok), [], ok);
  for (const bad of ['', 'A', 'a_b', '-a', 'a-', 'a..b', '.a', 'a.', '*.a', 'a b']) t.equal(dns1123SubdomainErrors(bad).length, 1, JSON.stringify(bad));
  t.same(dns1123SubdomainErrors('a'.repeat(254)), ['must be no more than 253 characters']);
});

t.test('dnsNames allow one leading *. wildcard', async (t) => {
  for (const ok of ['*.sample-sdb-pods.demo.svc', 'localhost', 'sample-sdb.demo.svc', '*.a']) t.same(dnsNameErrors(ok), [], ok);
  for (const bad of ['a.*.b', '*', '*.', '**.a', '*.*.a', 'A.b', 'a_b.c', '.a', '']) t.equal(dnsNameErrors(bad).length, 1, JSON.stringify(bad));
});

t.test('Singlestore names', async (t) => {
  for (const ok of ['sample-sdb', 'a', 'a1', 'a'.repeat(63)]) t.same(singlestoreNameErrors(ok), [], ok);
  for (const bad of ['1a', 'A', 'a-', 'a.b', '', '-a']) t.equal(singlestoreNameErrors(bad).length, 1, JSON.stringify(bad));
  t.same(singlestoreNameErrors('a'.repeat(64)), ['must be no more than 63 characters']);
});

t.test('IPv4', async (t) => {
  for (const ok of ['127.0.0.1', '0.0.0.0', '255.255.255.255', '10.0.0.10']) t.ok(isIPv4(ok), ok);
  for (const bad of ['256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.04', 'a.b.c.d', '1.2.3.4 ', '']) t.notOk(isIPv4(bad), bad);
});

t.test('IPv6', async (t) => {
  for (const ok of ['::1', '::', 'fe80::1', '2001:db8::8a2e:370:7334', '2001:0db8:0000:0000:0000:ff00:0042:8329', '::ffff:192.0.2.1', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:1.2.3.4', 'FE80::A']) {
    t.ok(isIPv6(ok), ok);
  }
  for (const bad of ['1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', ':::1', '1:::2', '1::2::3', 'g::1', '12345::1', 'fe80::1%eth0', '::1.2.3', ':1::', '1:2:3:4:5:6:7:1.2.3.4', '127.0.0.1', '']) {
    t.notOk(isIPv6(bad), bad);
  }
});

t.test('absolute URIs', async (t) => {
  for (const ok of ['spiffe://cluster.local/ns/demo/sa/sdb', 'https://example.com/a?b=c#d', 'urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6', 'mailto:a@b.c', 'http://x/%20']) {
    t.ok(isAbsoluteURI(ok), ok);
  }
  for (const bad of ['/relative/path', 'example.com', 'http:', '1http://x', 'http://a b', 'http://x/%zz', '://x', '']) t.notOk(isAbsoluteURI(bad), bad);
});

t.test('e-mail addresses', async (t) => {
  for (const ok of ['kubedb@appscode.com', 'a.b+c@example.co.uk', 'x@localhost', 'ops@[127.0.0.1]']) t.ok(isEmailAddress(ok), ok);
  for (const bad of ['kubedb', '@appscode.com', 'kubedb@', 'a@b@c', 'a b@c.d', 'a..b@c.d', '.a@c.d', 'a@-c.d', 'a@c..d', 'Name <a@b.c>', '']) t.notOk(isEmailAddress(bad), bad);
});
