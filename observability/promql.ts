// The metric names a PromQL expression (or a Grafana `label_values(...)` variable query) reads, so a test can check
// that the dashboard and the alert rules use only series the clients export. Not a full PromQL parser: it knows
// enough of the grammar to tell metric names from functions, keywords, label names, strings, numbers, durations and
// Grafana variables, and it refuses what it cannot check (a __name__ regex that is not a list of plain names).

const IDENT = /^[A-Za-z_:][A-Za-z0-9_:]*/
const NUMBER = /^(?:0[xX][0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)[A-Za-z0-9]*/
/** Words that are never metric names: binary operators, modifiers, special numbers. */
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan'])
/** Keywords followed by a parenthesised list of label names. */
const LABEL_LIST = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right'])

export class PromqlNameError extends Error {
  override readonly name = 'PromqlNameError'
}

function skipString(s: string, i: number): number {
  const quote = s[i]
  let j = i + 1
  while (j < s.length && s[j] !== quote) j += s[j] === '\\' && quote !== '`' ? 2 : 1
  if (j >= s.length) throw new PromqlNameError(`unterminated string at ${i} in: ${s}`)
  return j + 1
}

function matching(s: string, i: number, open: string, close: string): number {
  let depth = 0
  for (let j = i; j < s.length; j++) {
    const c = s[j]
    if (c === '"' || c === "'" || c === '`') {
      j = skipString(s, j) - 1
      continue
    }
    if (c === open) depth++
    else if (c === close && --depth === 0) return j
  }
  throw new PromqlNameError(`unbalanced ${open}${close} at ${i} in: ${s}`)
}

/** Metric names named by `__name__` matchers inside a `{...}` selector body. */
function namesInMatchers(body: string, expr: string): string[] {
  const names: string[] = []
  const matcher = /([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)/g
  for (const m of body.matchAll(matcher)) {
    const [, label, op, quoted = ''] = m
    if (label !== '__name__') continue
    const value = quoted.slice(1, -1)
    if (op === '=') names.push(value)
    else if (op === '=~' && /^[A-Za-z_:][A-Za-z0-9_:]*(\|[A-Za-z_:][A-Za-z0-9_:]*)*$/.test(value)) names.push(...value.split('|'))
    else throw new PromqlNameError(`cannot check __name__${op}"${value}" (only = or =~ with a list of plain names, a|b): ${expr}`)
  }
  return names
}

/** Every metric name the expression reads, in order of appearance, without repeats. */
export function metricNames(expr: string): string[] {
  const names: string[] = []
  let i = 0
  while (i < expr.length) {
    const c = expr[i] ?? ''
    const rest = expr.slice(i)
    if (/\s/.test(c)) {
      i++
    } else if (c === '#') {
      const nl = expr.indexOf('\n', i)
      i = nl === -1 ? expr.length : nl + 1
    } else if (c === '"' || c === "'" || c === '`') {
      i = skipString(expr, i)
    } else if (c === '$') {
      // Grafana variables: $topic, ${datasource}, $__rate_interval
      const braced = /^\$\{[^}]*\}/.exec(rest)
      i += braced ? braced[0].length : (/^\$[A-Za-z0-9_]*/.exec(rest)?.[0].length ?? 1)
    } else if (c === '{') {
      const end = matching(expr, i, '{', '}')
      names.push(...namesInMatchers(expr.slice(i + 1, end), expr))
      i = end + 1
    } else if (c === '[') {
      i = matching(expr, i, '[', ']') + 1 // range or subquery: durations and Grafana variables only
    } else if (/[0-9.]/.test(c) && NUMBER.test(rest)) {
      i += NUMBER.exec(rest)?.[0].length ?? 1
    } else if (IDENT.test(rest)) {
      const word = IDENT.exec(rest)?.[0] ?? ''
      const after = expr.slice(i + word.length).trimStart()
      i += word.length
      if (LABEL_LIST.has(word)) {
        if (after.startsWith('(')) i = matching(expr, expr.indexOf('(', i), '(', ')') + 1
      } else if (word === 'label_values' && after.startsWith('(')) {
        // Grafana: label_values(<selector>, <label>) or label_values(<label>); the label is not a metric.
        const open = expr.indexOf('(', i)
        const close = matching(expr, open, '(', ')')
        const args = expr.slice(open + 1, close)
        const comma = topLevelComma(args)
        if (comma !== -1) names.push(...metricNames(args.slice(0, comma)))
        i = close + 1
      } else if (!after.startsWith('(') && !/^(by|without)\b/.test(after) && !KEYWORDS.has(word.toLowerCase())) {
        names.push(word) // a function is followed by "(", an aggregation by "(" or by/without
      }
    } else {
      i++
    }
  }
  return [...new Set(names)]
}

function topLevelComma(s: string): number {
  let depth = 0
  for (let j = 0; j < s.length; j++) {
    const c = s[j]
    if (c === '"' || c === "'" || c === '`') j = skipString(s, j) - 1
    else if (c === '(' || c === '{' || c === '[') depth++
    else if (c === ')' || c === '}' || c === ']') depth--
    else if (c === ',' && depth === 0) return j
  }
  return -1
}

/** The names of `expr` that are not in `known`; also refuses an expression that reads no metric at all. */
export function unknownMetricNames(expr: string, known: ReadonlySet<string>): string[] {
  const names = metricNames(expr)
  if (names.length === 0) throw new PromqlNameError(`no metric name found in: ${expr}`)
  return names.filter((n) => !known.has(n))
}
