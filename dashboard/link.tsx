/** An in-app link: a real <a href> (open in new tab and copy link work) that navigates without a reload. */
import type { ComponentChildren } from "preact";
import { setView } from "./use_view.ts";
import { parseView } from "./view_state.ts";

/** Props of Link. */
export interface LinkProps {
  href: string;
  children: ComponentChildren;
  class?: string;
  title?: string;
  "aria-current"?: "page" | undefined;
}

/** A link to another dashboard view. */
export function Link(props: LinkProps) {
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    const url = new URL(props.href, location.href);
    setView(parseView(url.pathname, url.search), "push");
  };
  return <a {...props} onClick={onClick}>{props.children}</a>;
}
