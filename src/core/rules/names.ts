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
