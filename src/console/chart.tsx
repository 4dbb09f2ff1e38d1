import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One plotted series. */
export interface ChartSeries {
  readonly label: string;
  readonly color: string;
  readonly values: ReadonlyArray<number | null>;
  /** Bars instead of a line (amounts per hour). */
  readonly bars?: boolean;
}

/** A uPlot chart over time (x in Unix seconds), sized to its container's width. */
export function Chart(props: {
  readonly title: string;
  readonly times: readonly number[];
  readonly series: readonly ChartSeries[];
  readonly height?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = props.series.map((s) => `${s.label}:${s.bars === true}`).join('|');
  const data = [
    props.times as number[],
    ...props.series.map((s) => s.values as Array<number | null>),
  ] as uPlot.AlignedData;

  // Made again when the series change; fed new data otherwise, so a live plot does not flicker.
  useEffect(() => {
    const element = box.current;
    if (element === null) return;
    const bars = uPlot.paths.bars?.({ size: [0.6, 40] });
    const chart = new uPlot(
      {
        title: props.title,
        width: Math.max(240, element.clientWidth),
        height: props.height ?? 220,
        series: [
          {},
          ...props.series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            ...(s.bars === true && bars !== undefined ? { paths: bars, fill: `${s.color}88` } : {}),
          })),
        ],
        axes: [{}, { size: 60 }],
      },
      data,
      element,
    );
    plot.current = chart;
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(240, element.clientWidth), height: props.height ?? 220 }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [shape, props.title, props.height]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  return (
    <div
      class="chart"
      ref={box}
      role="img"
      aria-label={`${props.title}: ${props.series.map((s) => s.label).join(', ')}`}
    />
  );
}
