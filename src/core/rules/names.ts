// Value checks shared by the rules: DNS-1123 names (worded like apimachinery's
// pkg/util/validation), IPv4/IPv6 (what Go's net.ParseIP accepts, without zones),
// absolute URIs and `local@domain` e-mail addresses. Every pattern is built once here.

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
export const DNS1123_SUBDOMAIN_MAX = 253;

/** The Singlestore name rule (DOMAIN.md): `^[a-z]([-a-z0-9]*[a-z0-9])?$`, at most 63. */
export const SINGLESTORE_NAME_FMT = '^[a-z]([-a-z0-9]*[a-z0-9])?$';
const SINGLESTORE_NAME_RE = new RegExp(SINGLESTORE_NAME_FMT);
export const SINGLESTORE_NAME_MAX = 63;

/** apimachinery's wording for a bad RFC 1123 subdomain. */
export const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', " +
  "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '" +
  DNS1123_SUBDOMAIN_FMT +
  "')";

/** Problems with `value` as a DNS-1123 subdomain (empty list: valid). */
export function dns1123SubdomainErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX) errs.push(`must be no more than ${DNS1123_SUBDOMAIN_MAX} characters`);
  if (!DNS1123_SUBDOMAIN_RE.test(value)) errs.push(DNS1123_SUBDOMAIN_MSG);
  return errs;
}

export function isDns1123Subdomain(value: string): boolean {
  return value.length <= DNS1123_SUBDOMAIN_MAX && DNS1123_SUBDOMAIN_RE.test(value);
}

/** Problems with a certificate dnsName: a DNS-1123 subdomain, optionally with a leading `*.`. */
export function dnsNameErrors(value: string): string[] {
  const rest = value.startsWith('*.') ? value.slice(2) : value;
  if (isDns1123Subdomain(rest)) return [];
  return [
    rest.length > DNS1123_SUBDOMAIN_MAX
      ? `must be no more than ${DNS1123_SUBDOMAIN_MAX} characters`
      : "must be a lowercase RFC 1123 subdomain, optionally with a leading '*.' wildcard (e.g. 'db.example.com', '*.example.com')",
  ];
}

export function singlestoreNameErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > SINGLESTORE_NAME_MAX) errs.push(`must be no more than ${SINGLESTORE_NAME_MAX} characters`);
  if (!SINGLESTORE_NAME_RE.test(value)) {
    errs.push(
      "a Singlestore name must consist of lower case alphanumeric characters or '-', start with a letter " +
        `and end with an alphanumeric character (regex used for validation is '${SINGLESTORE_NAME_FMT}')`,
    );
  }
  return errs;
}

// ---- IP addresses -------------------------------------------------------------

const IPV4_OCTET_RE = /^(0|[1-9][0-9]{0,2})$/;
const HEX_GROUP_RE = /^[0-9a-fA-F]{1,4}$/;

/** Dotted-quad IPv4 without leading zeros (Go's net.ParseIP since 1.17). */
export function isIPv4(s: string): boolean {
  const parts = s.split('.');
  if (parts.length !== 4) return false;
  for (const p of parts) {
    if (!IPV4_OCTET_RE.test(p) || Number(p) > 255) return false;
  }
  return true;
}

/** RFC 4291 text forms: full, `::`-compressed, and with an embedded IPv4 tail. No zones. */
export function isIPv6(s: string): boolean {
  if (s.length < 2 || s.length > 45) return false;
  let groups = 0;
  let body = s;
  // An IPv4 tail counts as two groups.
  const lastColon = body.lastIndexOf(':');
  if (lastColon >= 0 && body.indexOf('.', lastColon) > lastColon) {
    if (!isIPv4(body.slice(lastColon + 1))) return false;
    groups += 2;
    body = body.slice(0, lastColon + 1);
    // keep a trailing ':' only if it is part of '::'
    if (body.endsWith('::')) {
      // fine: "::1.2.3.4" or "x::1.2.3.4"
    } else {
      body = body.slice(0, -1);
    }
  }
  const dbl = body.indexOf('::');
  if (dbl !== body.lastIndexOf('::')) return false; // at most one '::'
  const countGroups = (part: string): number | undefined => {
    if (part === '') return 0;
    const gs = part.split(':');
    for (const g of gs) if (!HEX_GROUP_RE.test(g)) return undefined;
    return gs.length;
  };
  if (dbl >= 0) {
    const head = countGroups(body.slice(0, dbl));
    const tail = countGroups(body.slice(dbl + 2));
    if (head === undefined || tail === undefined) return false;
    return head + tail + groups <= 7; // '::' stands for at least one group
  }
  const all = countGroups(body);
  return all !== undefined && all + groups === 8;
}

export function isIP(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}

// ---- URIs and e-mail addresses -------------------------------------------------

// RFC 3986: scheme ":" hier-part; no spaces/controls; percent signs followed by two hex digits.
const URI_SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const URI_CHARS_RE = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;
const URI_PERCENT_RE = /%(?![0-9A-Fa-f]{2})/;

/** An absolute URI: a scheme, then a non-empty rest of legal URI characters. */
export function isAbsoluteURI(s: string): boolean {
  const m = URI_SCHEME_RE.exec(s);
  if (!m) return false;
  const rest = s.slice(m[0].length);
  return rest !== '' && URI_CHARS_RE.test(rest) && !URI_PERCENT_RE.test(rest);
}

// local part: RFC 5322 dot-atom; domain: a hostname (letters, digits, '-', dots) or a [literal].
const EMAIL_LOCAL_RE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const EMAIL_DOMAIN_RE = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$/;

/** `local@domain`: a dot-atom local part, then a host name or an [IP literal]. */
export function isEmailAddress(s: string): boolean {
  const at = s.lastIndexOf('@');
  if (at <= 0 || at === s.length - 1) return false;
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  if (local.length > 64 || domain.length > 253) return false;
  if (!EMAIL_LOCAL_RE.test(local)) return false;
  if (domain.startsWith('[') && domain.endsWith(']')) return isIP(domain.slice(1, -1).replace(/^IPv6:/i, ''));
  return EMAIL_DOMAIN_RE.test(domain);
}

// ---- what cert-manager and X.509 refuse (deny) vs. what is only unusual (warn) -------
// cert-manager owns dnsNames, uris, emailAddresses and ipAddresses: its webhook
// (internal/apis/certmanager/validation/certificate.go) checks ipAddresses with
// net.ParseIP and emailAddresses with net/mail.ParseAddress (the address alone); the
// rest goes into the CSR, where Go's crypto/x509 refuses a SAN that is not an IA5String
// (ASCII) and net/url refuses a URI with control characters or a bad %-escape. RFC 5280
// forbids an empty dNSName and a relative URI. Everything stricter than that is a warning.

/** An IA5String: ASCII only (what crypto/x509 encodes into a SAN). */
export function isIA5(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

// eslint-disable-next-line no-control-regex -- refusing names with C0 controls or DEL is this pattern's job
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

/** Why cert-manager or X.509 would refuse a dnsName (undefined: it would issue it). */
export function dnsNameRefusal(v: string): string | undefined {
  if (v === '') return 'must not be empty (RFC 5280 forbids an empty dNSName)';
  if (!isIA5(v)) return 'must be ASCII (an IA5String; punycode an internationalised name): cert-manager cannot issue it';
  return undefined;
}

/** Why a dnsName cert-manager would issue is still unusual (undefined: a host name). */
export function dnsNameConcern(v: string): string | undefined {
  return dnsNameErrors(v.toLowerCase()).length ? 'cert-manager issues it, but it is no RFC 1123 host name: TLS clients will not match it' : undefined;
}

/** Why cert-manager or X.509 would refuse a URI SAN. */
export function uriRefusal(v: string): string | undefined {
  if (!URI_SCHEME_RE.test(v) || v.slice(v.indexOf(':') + 1) === '') return 'must be an absolute URI with a scheme (e.g. spiffe://cluster.local/ns/demo)';
  if (!isIA5(v) || CONTROL_RE.test(v)) return 'must be ASCII without control characters: cert-manager cannot issue it';
  if (URI_PERCENT_RE.test(v)) return "has a malformed %-escape: Go's net/url (cert-manager) cannot parse it";
  return undefined;
}

/** Why a URI cert-manager would issue is still unusual (characters RFC 3986 does not allow). */
export function uriConcern(v: string): string | undefined {
  return isAbsoluteURI(v) ? undefined : 'cert-manager issues it, but it has characters RFC 3986 does not allow';
}

const MAIL_ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const MAIL_DOT_ATOM_RE = new RegExp(`^${MAIL_ATOM}(\\.${MAIL_ATOM})*$`);
const MAIL_DOMAIN_LITERAL_RE = /^\[[!-Z^-~]*\]$/;

/** Why cert-manager would refuse an emailAddress: net/mail must parse it as the address alone. */
export function emailRefusal(v: string): string | undefined {
  const at = v.lastIndexOf('@');
  const local = at > 0 ? v.slice(0, at) : '';
  const domain = at > 0 ? v.slice(at + 1) : '';
  const ok = isIA5(v) && MAIL_DOT_ATOM_RE.test(local) && (MAIL_DOT_ATOM_RE.test(domain) || MAIL_DOMAIN_LITERAL_RE.test(domain));
  return ok ? undefined : 'must be an e-mail address of the form local@domain';
}

/** Why an emailAddress cert-manager would issue is still unusual (no host name, RFC 5321 lengths). */
export function emailConcern(v: string): string | undefined {
  return isEmailAddress(v) ? undefined : 'cert-manager issues it, but its domain is no host name or a part is too long (RFC 5321)';
}
