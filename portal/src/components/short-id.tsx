import { shortId } from '../pages/list/model.ts';

/**
 * An id as a card or a row shows it: its end, seen (where two ids differ); all of it for a pointer (`title`)
 * and for a screen reader.
 */
export function ShortId({ id }: { id: string }) {
  return (
    <>
      {/* nowrap: an ellipsis is a line-break opportunity, so a squeezed table column would break it in two. */}
      <code class="nowrap" title={id} aria-hidden="true">
        {shortId(id)}
      </code>
      <span class="visually-hidden">{id}</span>
    </>
  );
}
