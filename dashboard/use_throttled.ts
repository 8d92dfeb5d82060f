/** A state counter that is bumped at most once per animation frame, however often `bump` is called. */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

/** [version, bump]: bumping many times within one frame re-renders once. */
export function useFrameVersion(): [number, () => void] {
  const [version, setVersion] = useState(0);
  const frame = useRef(0);
  useEffect(() => () => cancelAnimationFrame(frame.current), []);
  const bump = useCallback(() => {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      setVersion((v) => v + 1);
    });
  }, []);
  return [version, bump];
}
