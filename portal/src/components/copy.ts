import { useState } from 'preact/hooks';

/**
 * Copying `text` to the clipboard from a button: what happened, to show beside it, and the copy itself. Where the
 * clipboard is refused (an insecure page, or the browser's choice), `select` selects the text on the page so
 * that Ctrl+C copies it instead.
 */
export function useCopyOrSelect(text: string, select: () => void): [string | undefined, () => Promise<void>] {
  const [said, setSaid] = useState<string | undefined>();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setSaid('Copied to the clipboard.');
    } catch {
      select();
      setSaid('Selected: press Ctrl+C (or ⌘C) to copy it.');
    }
  };
  return [said, copy];
}
