import type { UploadProgress as Progressed } from '../lib/api';
import { formatBytes } from '../lib/format';
import { Progress } from './ui/progress';

/** Bytes sent so far; once all are sent the server is still reading, which the label says. */
export function UploadProgress({ progress, label }: { progress: Progressed; label: string }) {
  const percent = progress.total > 0 ? Math.round((progress.loaded / progress.total) * 100) : 0;
  const sent = progress.total > 0 && progress.loaded >= progress.total;
  return (
    <div className="grid gap-1.5" aria-live="polite">
      <div className="flex justify-between text-sm">
        <span>{sent ? 'Uploaded, processing on the server…' : label}</span>
        <span className="tabular-nums text-muted-foreground">
          {formatBytes(progress.loaded)} / {formatBytes(progress.total)}
        </span>
      </div>
      <Progress value={percent} aria-label={label} aria-valuetext={`${percent}%`} />
    </div>
  );
}
