/**
 * The Prometheus text exposition format (version 0.0.4), written once for every metrics answer: a family is its
 * `# HELP` and `# TYPE` lines and one line per sample, labels in braces.
 */

/** The content type of the text format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** One sample: its labels (none for a bare metric), an optional name suffix (`_bucket`, `_sum`) and its value. */
export interface Sample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly suffix?: string;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "histogram";
  readonly samples: readonly Sample[];
}

/** A label value escaped as the format asks: backslash, double quote and line feed. */
const escaped = (value: string): string =>
  value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

function sampleLine(name: string, sample: Sample): string {
  const labels = Object.entries(sample.labels ?? {});
  const braces =
    labels.length === 0 ? "" : `{${labels.map(([key, value]) => `${key}="${escaped(value)}"`).join(",")}}`;
  return `${name}${sample.suffix ?? ""}${braces} ${sample.value}`;
}

/** The families as one answer body, ending with a line feed. */
export function metricsText(families: readonly MetricFamily[]): string {
  const lines = families.flatMap((family) => [
    `# HELP ${family.name} ${family.help}`,
    `# TYPE ${family.name} ${family.type}`,
    ...family.samples.map((sample) => sampleLine(family.name, sample)),
  ]);
  return `${lines.join("\n")}\n`;
}
