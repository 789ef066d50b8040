/** The soak's chart: server resident memory over time (vega-lite → SVG). */
import { writeFileSync } from "node:fs";
import * as vega from "vega";
import * as vl from "vega-lite";

export async function writeSoakChart(samples: readonly { t: number; rssMiB: number }[], file: string, title: string): Promise<string> {
  const spec: vl.TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title,
    width: 560,
    height: 240,
    data: { values: samples.map((s) => ({ t: s.t, rss: s.rssMiB })) },
    mark: { type: "line", point: false },
    encoding: {
      x: { field: "t", type: "quantitative", title: "seconds" },
      y: { field: "rss", type: "quantitative", title: "resident memory (MiB)", scale: { zero: true } },
    },
  };
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
  writeFileSync(file, await view.toSVG());
  await view.finalize();
  return file;
}
