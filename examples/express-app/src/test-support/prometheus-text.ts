// A strict reader of the Prometheus text exposition format 0.0.4, so tests check what a Prometheus server would accept.

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  readonly types: ReadonlyMap<string, MetricType>;
  readonly help: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
  /** Samples of `name` whose labels include `labels`. */
  find(name: string, labels?: Readonly<Record<string, string>>): Sample[];
  /** The value of the one sample of `name` with exactly these labels; throws when there is none or several. */
  value(name: string, labels?: Readonly<Record<string, string>>): number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"/;
const SUFFIXES: Readonly<Record<MetricType, readonly string[]>> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/** Prometheus reads values with Go's `strconv.ParseFloat`: `NaN` and `Inf` in any case (prom-client writes `Nan`). */
function parseValue(text: string, line: number): number {
  if (/^\+?inf(inity)?$/i.test(text)) return Infinity;
  if (/^-inf(inity)?$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`line ${line}: not a sample value: ${JSON.stringify(text)}`);
  return Number(text);
}

function unescape(value: string): string {
  return value.replace(/\\(["\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

/** Parses `text`, throwing with the line number at the first thing Prometheus would refuse. */
export function parseExposition(text: string): Exposition {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  const types = new Map<string, MetricType>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
      if (meta === null) return; // any other comment is allowed
      const [, keyword, name = '', rest = ''] = meta;
      if (!METRIC_NAME.test(name)) throw new Error(`line ${line}: bad metric name ${JSON.stringify(name)}`);
      if (keyword === 'HELP') {
        if (help.has(name)) throw new Error(`line ${line}: second HELP for ${name}`);
        help.set(name, rest);
        return;
      }
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest))
        throw new Error(`line ${line}: bad type ${JSON.stringify(rest)}`);
      if (types.has(name)) throw new Error(`line ${line}: second TYPE for ${name}`);
      if ([...seen].some((sampleName) => sampleName === name || SUFFIXES[rest as MetricType].some((s) => sampleName === name + s))) {
        throw new Error(`line ${line}: TYPE of ${name} after its samples`);
      }
      types.set(name, rest as MetricType);
      return;
    }
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(raw);
    if (nameMatch === null) throw new Error(`line ${line}: not a sample: ${JSON.stringify(raw)}`);
    const name = nameMatch[0];
    let rest = raw.slice(name.length);
    const labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      rest = rest.slice(1);
      while (!rest.startsWith('}')) {
        const label = LABEL.exec(rest);
        if (label === null) throw new Error(`line ${line}: bad label in ${JSON.stringify(raw)}`);
        const [whole, labelName = '', labelValue = ''] = label;
        if (Object.hasOwn(labels, labelName)) throw new Error(`line ${line}: label ${labelName} twice`);
        labels[labelName] = unescape(labelValue);
        rest = rest.slice(whole.length);
        if (rest.startsWith(',')) rest = rest.slice(1);
        else if (!rest.startsWith('}')) throw new Error(`line ${line}: expected , or } in ${JSON.stringify(raw)}`);
      }
      rest = rest.slice(1);
    }
    const fields = /^ (\S+)(?: (-?\d+))?$/.exec(rest);
    if (fields === null) throw new Error(`line ${line}: bad value part ${JSON.stringify(rest)}`);
    const family = [...types].find(([typed, type]) => SUFFIXES[type].some((suffix) => name === typed + suffix));
    if (family === undefined) throw new Error(`line ${line}: sample ${name} has no TYPE before it`);
    if (family[1] === 'histogram' && name.endsWith('_bucket') && labels.le === undefined)
      throw new Error(`line ${line}: histogram bucket without le`);
    seen.add(name);
    samples.push({ name, labels, value: parseValue(fields[1] ?? '', line) });
  });

  const matches = (sample: Sample, name: string, labels: Readonly<Record<string, string>>) =>
    sample.name === name && Object.entries(labels).every(([k, v]) => sample.labels[k] === v);
  return {
    types,
    help,
    samples,
    find: (name, labels = {}) => samples.filter((s) => matches(s, name, labels)),
    value(name, labels = {}) {
      const exact = samples.filter((s) => matches(s, name, labels) && Object.keys(s.labels).length === Object.keys(labels).length);
      if (exact.length !== 1) throw new Error(`expected one sample ${name}${JSON.stringify(labels)}, found ${exact.length}`);
      return exact[0]!.value;
    },
  };
}
