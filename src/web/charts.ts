import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Legend and axis labels are never cut: a cut run name can hide the only part that tells runs apart. */
const CONFIG = { legend: { labelLimit: 0 }, axis: { labelLimit: 0 } };

/** Renders a Vega-Lite spec to a standalone SVG string, in Node (no browser, no canvas). */
export async function chartSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile({ width: 420, height: 240, config: CONFIG, ...spec } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}
