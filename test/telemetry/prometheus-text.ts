// A strict reader of the Prometheus text exposition format (version 0.0.4), used
// to check that /metrics parses and to read values back. It throws on anything
// the format does not allow, so a test that parses the output also validates it.
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format

export type PrometheusType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: PrometheusType;
  help: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES: ReadonlySet<string> = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seenSeries = new Set<string>();
  const lines = text.split("\n");
  if (lines.at(-1) !== "") throw new Error("exposition must end with a newline");
  lines.forEach((line, index) => {
    const where = `line ${index + 1} (${JSON.stringify(line)})`;
    if (line.trim() === "") return;
    if (line.startsWith("#")) {
      const match = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (match === null) return; // any other comment is allowed
      const [, keyword, name = "", rest = ""] = match;
      if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name`);
      const family = families.get(name) ?? { name, type: "untyped" as PrometheusType, help: "", samples: [] };
      if (keyword === "TYPE") {
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type`);
        if (family.samples.length > 0) throw new Error(`${where}: TYPE after samples`);
        family.type = rest as PrometheusType;
      } else {
        family.help = rest;
      }
      families.set(name, family);
      return;
    }
    const sample = parseSample(line, where);
    const family = familyOf(families, sample.name);
    if (family === undefined) throw new Error(`${where}: sample without a TYPE line`);
    const series = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seenSeries.has(series)) throw new Error(`${where}: duplicate series`);
    seenSeries.add(series);
    family.samples.push(sample);
  });
  for (const family of families.values()) if (family.type === "histogram") checkHistogram(family);
  return families;
}

/** The value of one series; throws if it is absent. */
export function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      const same = Object.entries(labels).every(([k, v]) => sample.labels[k] === v);
      if (same && Object.keys(sample.labels).filter((k) => k !== "le").length === Object.keys(labels).filter((k) => k !== "le").length) {
        return sample.value;
      }
    }
  }
  throw new Error(`no series ${name}${JSON.stringify(labels)}`);
}

function familyOf(families: Map<string, Family>, sampleName: string): Family | undefined {
  const direct = families.get(sampleName);
  if (direct !== undefined) return direct;
  const base = sampleName.replace(/_(bucket|sum|count)$/, "");
  const family = families.get(base);
  return family?.type === "histogram" || family?.type === "summary" ? family : undefined;
}

function parseSample(line: string, where: string): Sample {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
  if (match === null) throw new Error(`${where}: not a sample`);
  const [, name = "", , labelText, valueText = ""] = match;
  const value = parseValue(valueText, where);
  return { name, labels: labelText === undefined ? {} : parseLabels(labelText, where), value };
}

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const match = /^([^=]+)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
    if (match === null) throw new Error(`${where}: bad labels at ${JSON.stringify(rest)}`);
    const [whole, name = "", raw = ""] = match;
    if (!LABEL_NAME.test(name)) throw new Error(`${where}: bad label name ${name}`);
    if (name in labels) throw new Error(`${where}: repeated label ${name}`);
    labels[name] = raw.replace(/\\(.)/g, (_m, c: string) => (c === "n" ? "\n" : c));
    rest = rest.slice(whole.length);
  }
  return labels;
}

function parseValue(text: string, where: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  const value = Number(text);
  if (text.trim() === "" || Number.isNaN(value)) throw new Error(`${where}: bad value`);
  return value;
}

/** Buckets are cumulative, end with le="+Inf", and that bucket equals _count. */
function checkHistogram(family: Family): void {
  const bySeries = new Map<string, { buckets: Sample[]; count?: number; sum?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = bySeries.get(key) ?? { buckets: [] };
    if (sample.name.endsWith("_bucket")) {
      if (le === undefined) throw new Error(`${family.name}: bucket without le`);
      entry.buckets.push(sample);
    } else if (sample.name.endsWith("_count")) entry.count = sample.value;
    else if (sample.name.endsWith("_sum")) entry.sum = sample.value;
    else throw new Error(`${family.name}: unexpected sample ${sample.name}`);
    bySeries.set(key, entry);
  }
  for (const [key, { buckets, count, sum }] of bySeries) {
    const where = `${family.name}${key}`;
    if (count === undefined || sum === undefined) throw new Error(`${where}: missing _count or _sum`);
    const last = buckets.at(-1);
    if (last?.labels.le !== "+Inf") throw new Error(`${where}: last bucket is not le="+Inf"`);
    if (last.value !== count) throw new Error(`${where}: +Inf bucket ${last.value} != count ${count}`);
    let previousLe = -Infinity;
    let previousValue = 0;
    for (const bucket of buckets) {
      const le = parseValue(bucket.labels.le ?? "", where);
      if (le <= previousLe) throw new Error(`${where}: bucket bounds not increasing`);
      if (bucket.value < previousValue) throw new Error(`${where}: buckets not cumulative`);
      previousLe = le;
      previousValue = bucket.value;
    }
  }
}
