// The app version a review was written against, bounded. A version is metadata beside the review:
// a hostile or broken one (a 1 MB string, control characters) must cost nothing and lose nothing,
// so it is cut to APP_VERSION_MAX_CHARS characters instead of dead-lettering the whole review.
// Every writer applies it: the scrapers and the producer before sending, the review store and the
// scorer on what they consume (another producer may not have bounded it).

/** Real versions are short ("2.114.0", "10.3.1-beta (2031)"); anything longer is cut. */
export const APP_VERSION_MAX_CHARS = 64;

// C0/C1 controls and DEL: a version is one printable line.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The stored form of a version: trimmed, control characters and broken UTF-16 removed, at most
 * APP_VERSION_MAX_CHARS UTF-16 units (a surrogate pair is never split); null when nothing is left
 * or the value is not a string. Only a bounded prefix of the input is ever looked at.
 */
export function boundAppVersion(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  // A prefix a few times the limit leaves room for what trimming and cleaning remove.
  const head = value.length > APP_VERSION_MAX_CHARS * 4 ? value.slice(0, APP_VERSION_MAX_CHARS * 4) : value;
  let v = head.replace(CONTROL, '').replace(LONE_SURROGATE, '').trim();
  if (v.length > APP_VERSION_MAX_CHARS) {
    const code = v.charCodeAt(APP_VERSION_MAX_CHARS - 1);
    const cut = code >= 0xd800 && code <= 0xdbff ? APP_VERSION_MAX_CHARS - 1 : APP_VERSION_MAX_CHARS;
    v = v.slice(0, cut).trimEnd();
  }
  return v === '' ? null : v;
}
