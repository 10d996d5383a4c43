import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

/**
 * Calls `onChange` when the bundle file may have changed, at most once per `debounceMs` of quiet. Watches the
 * directory, not the file: deploy tools replace files by rename, and Kubernetes ConfigMap volumes swap a `..data`
 * symlink, neither of which a watch on the file itself survives. Spurious calls are harmless: the reload compares
 * digests and does nothing for the same bundle.
 */
export function watchBundle(file: string, onChange: () => void, debounceMs = 250): { close(): void } {
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(path.dirname(path.resolve(file)), { persistent: false }, () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  });
  // A directory that goes away (unmounted volume) ends the watch; reloads by SIGHUP keep working.
  watcher.on('error', () => watcher.close());
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
