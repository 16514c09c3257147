import { useState } from 'preact/hooks';

/** A button that copies text to the clipboard and says so (for screen readers too). */
export function CopyButton(props: { text: string; label: string }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      setDone(true);
      setTimeout(() => setDone(false), 2000);
    } catch {
      setDone(false);
    }
  };
  return (
    <button type="button" class="secondary copy" onClick={copy} aria-label={props.label}>
      {done ? 'Copied' : 'Copy'}
      <span class="sr-only" aria-live="polite">
        {done ? 'Copied to the clipboard' : ''}
      </span>
    </button>
  );
}

export function CodeBlock(props: { code: string; label: string }) {
  return (
    <div class="code">
      <pre>
        <code>{props.code}</code>
      </pre>
      <CopyButton text={props.code} label={`Copy: ${props.label}`} />
    </div>
  );
}
