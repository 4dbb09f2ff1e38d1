/** A value as indented JSON, in a scrollable block. */
export function JsonView(props: { readonly value: unknown; readonly label: string }) {
  return (
    <pre class="json" aria-label={props.label} tabIndex={0}>
      {JSON.stringify(props.value, null, 2)}
    </pre>
  );
}
