import type { ComponentChildren } from 'preact';

/** The console's panels, in tab order. */
export const PANELS = ['Live events', 'Trace', 'Systems', 'Alerts', 'Dead letters', 'Economy', 'Throughput'] as const;
export type Panel = (typeof PANELS)[number];

/** A tab list (WAI-ARIA tabs): arrow keys, Home and End move between tabs; Enter or a click opens one. */
export function Tabs(props: { readonly current: Panel; readonly onSelect: (panel: Panel) => void }) {
  function onKey(event: KeyboardEvent, index: number): void {
    const last = PANELS.length - 1;
    const next =
      event.key === 'ArrowRight'
        ? index === last
          ? 0
          : index + 1
        : event.key === 'ArrowLeft'
          ? index === 0
            ? last
            : index - 1
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? last
              : undefined;
    if (next === undefined) return;
    event.preventDefault();
    props.onSelect(PANELS[next] ?? props.current);
    document.getElementById(tabId(PANELS[next] ?? props.current))?.focus();
  }
  return (
    <nav role="tablist" aria-label="Console panels" class="tabs">
      {PANELS.map((panel, index) => (
        <button
          key={panel}
          id={tabId(panel)}
          role="tab"
          type="button"
          aria-selected={panel === props.current}
          aria-controls={panelId(panel)}
          tabIndex={panel === props.current ? 0 : -1}
          onClick={() => props.onSelect(panel)}
          onKeyDown={(event) => onKey(event, index)}
        >
          {panel}
        </button>
      ))}
    </nav>
  );
}

/**
 * One panel. Every panel stays mounted, hidden when its tab is not selected, so its stream and polls go on
 * and it is up to date the moment its tab opens.
 */
export function TabPanel(props: {
  readonly panel: Panel;
  readonly current: Panel;
  readonly children: ComponentChildren;
}) {
  return (
    <section
      id={panelId(props.panel)}
      role="tabpanel"
      aria-labelledby={tabId(props.panel)}
      hidden={props.panel !== props.current}
      class="panel"
    >
      {props.children}
    </section>
  );
}

function panelId(panel: Panel): string {
  return `panel-${panel.toLowerCase().replace(/ /g, '-')}`;
}

function tabId(panel: Panel): string {
  return `tab-${panel.toLowerCase().replace(/ /g, '-')}`;
}
