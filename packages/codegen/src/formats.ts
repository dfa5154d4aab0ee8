import { _Code } from 'ajv/dist/compile/codegen/code.js'

/**
 * A fast path for RFC 3339 `date-time` in the generated validators, as a function expression (emitted into their
 * source). It answers true only for the usual shape — `2026-11-29T17:45:00Z`, with `t`/`z` in lower case, a fraction
 * of any length and `±hh:mm` offsets — with every field in range; for anything else it answers false and ajv-formats'
 * own full-mode check decides. So a validator accepts and rejects exactly what ajv-formats does (formats.test.ts
 * checks the fast path never says yes where ajv-formats says no), without ajv-formats' split and two regular
 * expressions per value: ~7 % of the typed consumer's CPU on an event with one timestamp.
 */
export const FAST_DATE_TIME = `(s) => {
  const n = s.length;
  if (n < 20) return false;
  for (let k = 0; k < 19; k++) {
    const c = s.charCodeAt(k);
    if (k === 4 || k === 7) { if (c !== 45) return false; }
    else if (k === 10) { if (c !== 84 && c !== 116) return false; }
    else if (k === 13 || k === 16) { if (c !== 58) return false; }
    else if (c < 48 || c > 57) return false;
  }
  const digit = (k) => { const c = s.charCodeAt(k); return c >= 48 && c <= 57; };
  const num = (k) => (s.charCodeAt(k) - 48) * 10 + s.charCodeAt(k + 1) - 48;
  let i = 19;
  if (s.charCodeAt(i) === 46) {
    const first = ++i;
    while (i < n && digit(i)) i++;
    if (i === first) return false;
  }
  const z = s.charCodeAt(i);
  if (z === 90 || z === 122) {
    if (i + 1 !== n) return false;
  } else if (z === 43 || z === 45) {
    if (i + 6 !== n || s.charCodeAt(i + 3) !== 58) return false;
    if (!digit(i + 1) || !digit(i + 2) || !digit(i + 4) || !digit(i + 5)) return false;
    if (num(i + 1) > 23 || num(i + 4) > 59) return false;
  } else return false;
  const year = num(0) * 100 + num(2);
  const month = num(5);
  const day = num(8);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= days && num(11) <= 23 && num(14) <= 59 && num(17) <= 59;
}`

/**
 * What the generated validators take their formats from: ajv-formats' full formats, with `date-time` first trying
 * FAST_DATE_TIME (evaluated once, when a validator module loads).
 */
export const FORMATS_CODE = new _Code(
  `((formats, fast) => Object.assign({}, formats, { "date-time": Object.assign({}, formats["date-time"], { validate: (s) => fast(s) || formats["date-time"].validate(s) }) }))` +
    `(require("ajv-formats/dist/formats").fullFormats, ${FAST_DATE_TIME.replace(/\n\s*/g, ' ')})`,
)
