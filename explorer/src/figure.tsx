/**
 * A chart drawn by Observable Plot, with "download SVG" and "download PNG". Each drawing is
 * timed from the moment its answer arrived to the first frame painted after it, and the time
 * is kept on the element (`data-drawn-ms`) and in `window.driftqlTimings` for the benchmark.
 */
import * as Plot from '@observablehq/plot';
import { useLayoutEffect, useRef } from 'preact/hooks';
import { saveBlob } from './download';

export interface Timing {
  figure: string;
  /** performance.now() when the answer arrived. */
  answeredAt: number;
  /** Answer arrived → Plot built the chart → the next frame was painted (ms). */
  buildMs: number;
  drawnMs: number;
  marks: number;
}
declare global {
  interface Window {
    driftqlTimings?: Timing[];
  }
}

export function Figure<T>({
  name,
  options,
  answeredAt,
  onPick,
}: {
  name: string;
  options: Plot.PlotOptions;
  answeredAt?: number;
  /** Called with the datum under the pointer (a tip mark's) when the chart is clicked. */
  onPick?: (datum: T) => void;
}) {
  const holder = useRef<HTMLDivElement>(null);
  // The latest handler: the chart is redrawn only when its options change, not with every state.
  const pick = useRef(onPick);
  pick.current = onPick;
  useLayoutEffect(() => {
    const el = holder.current!;
    const start = answeredAt ?? performance.now();
    const chart = Plot.plot({ style: { fontSize: '11px', background: 'white', overflow: 'visible' }, ...options });
    el.replaceChildren(chart);
    if (pick.current) {
      chart.style.cursor = 'pointer';
      chart.addEventListener('click', () => {
        const datum = (chart as unknown as { value?: T }).value;
        if (datum) pick.current?.(datum);
      });
    }
    const built = performance.now();
    el.removeAttribute('data-drawn-ms');
    requestAnimationFrame(() =>
      setTimeout(() => {
        const drawn = performance.now();
        const timing = {
          figure: name,
          answeredAt: start,
          buildMs: built - start,
          drawnMs: drawn - start,
          marks: options.marks?.filter(Boolean).length ?? 0,
        };
        (window.driftqlTimings ??= []).push(timing);
        el.dataset.drawnMs = timing.drawnMs.toFixed(1);
      }),
    );
  }, [options]);
  return (
    <figure class="chart" data-figure={name}>
      <div class="figure-actions">
        <button onClick={() => saveBlob(new Blob([svgOf(holder.current!)], { type: 'image/svg+xml' }), `${name}.svg`)}>download SVG</button>
        <button onClick={() => void pngOf(holder.current!).then((b) => saveBlob(b, `${name}.png`))}>download PNG</button>
      </div>
      <div ref={holder} class="plot" />
    </figure>
  );
}

const NS = 'http://www.w3.org/2000/svg';

/**
 * One standalone SVG of what the holder shows: Plot's own SVGs (chart, colour ramps, swatch
 * squares) and the legend labels, each placed where the page laid it out.
 */
function svgOf(holder: HTMLElement): string {
  const root = holder.getBoundingClientRect();
  const out = document.createElementNS(NS, 'svg');
  out.setAttribute('xmlns', NS);
  out.setAttribute('width', String(Math.ceil(root.width)));
  out.setAttribute('height', String(Math.ceil(root.height)));
  out.setAttribute('viewBox', `0 0 ${Math.ceil(root.width)} ${Math.ceil(root.height)}`);
  // Plot draws in currentColor; outside the page that is the text colour the page gave it.
  out.setAttribute('color', getComputedStyle(holder).color);
  out.setAttribute('font-family', getComputedStyle(holder).fontFamily);
  const background = document.createElementNS(NS, 'rect');
  background.setAttribute('width', '100%');
  background.setAttribute('height', '100%');
  background.setAttribute('fill', 'white');
  out.append(background);
  for (const svg of holder.querySelectorAll('svg')) {
    if (svg.parentElement?.closest('svg')) continue;
    const r = svg.getBoundingClientRect();
    const copy = svg.cloneNode(true) as SVGSVGElement;
    copy.setAttribute('x', String(r.left - root.left));
    copy.setAttribute('y', String(r.top - root.top));
    copy.setAttribute('width', String(r.width));
    copy.setAttribute('height', String(r.height));
    // Plot's page styles (height: auto, max-width: 100%) would resize the copy inside another SVG.
    copy.setAttribute('style', `overflow: visible; max-width: none; height: ${r.height}px; font-size: ${getComputedStyle(svg).fontSize}`);
    out.append(copy);
  }
  // Legend labels and titles are HTML text in the page; they become SVG text at the same place.
  const walker = document.createTreeWalker(holder, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent?.trim();
    if (!text || node.parentElement?.closest('svg, style')) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const r = range.getBoundingClientRect();
    const style = getComputedStyle(node.parentElement!);
    const t = document.createElementNS(NS, 'text');
    t.setAttribute('x', String(r.left - root.left));
    t.setAttribute('y', String(r.bottom - root.top - r.height * 0.22));
    t.setAttribute('font-family', style.fontFamily);
    t.setAttribute('font-size', style.fontSize);
    t.setAttribute('font-weight', style.fontWeight);
    t.setAttribute('fill', style.color);
    t.textContent = text;
    out.append(t);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(out)}`;
}

/** The same picture as PNG at twice the page's resolution. */
async function pngOf(holder: HTMLElement, scale = 2): Promise<Blob> {
  const svg = svgOf(holder);
  const { width, height } = holder.getBoundingClientRect();
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.ceil(width * scale);
    canvas.height = Math.ceil(height * scale);
    const ctx = canvas.getContext('2d')!;
    ctx.scale(scale, scale);
    ctx.drawImage(image, 0, 0, width, height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png'),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}
