// What every page and dialog of the console is given: the API client, who is signed in and what
// they may do, the server, and the shell's hooks (navigation, the Actions pane, messages).
import type { Api } from './api.js';
import type { Permission, ServerInfo, SessionInfo } from './types.js';

export interface ActionItem {
  label: string;
  run: () => void;
  /** Greyed out (it needs a selected row). */
  disabled?: boolean;
}

export interface ActionGroup {
  heading: string;
  items: ActionItem[];
  /** A line under the heading (what the group acts on). */
  note?: string;
}

export interface Ctx {
  readonly api: Api;
  readonly session: SessionInfo;
  server: ServerInfo;
  can(permission: Permission): boolean;
  /** Whether the internal CA exists (GET /ca answers 200). */
  caExists(): Promise<boolean>;
  /** Goes to a page: `#/certificates`, `#/sites/NAME`, … */
  navigate(hash: string): Promise<void>;
  /**
   * Reloads the Connections tree and the current page (after a change). Focus stays where it was;
   * if that is gone, it goes to the selected row, else the page's heading.
   * `focusRow`: the key of the row to focus (after a removal: the next row), else as above.
   */
  refresh(options?: { focusRow: string | null }): Promise<void>;
  /** A success message at the top of the feature page (role="status"); with warnings, they are listed in a role="alert" note. */
  notify(message: string, warnings?: string[]): void;
  /** A failure at the top of the feature page (role="alert"). */
  fail(error: unknown): void;
  /** The Actions pane's content; only actions the user's permissions allow should be given. */
  setActions(groups: ActionGroup[]): void;
  /** The selected row of a list, kept across reloads of its page. */
  readonly selection: Map<string, string | null>;
}

/** Keeps only the groups with items, and only the items whose permission the user has. */
export function allowed(ctx: Ctx, groups: Array<{ heading: string; note?: string; items: Array<ActionItem & { needs: Permission }> }>): ActionGroup[] {
  return groups
    .map((g) => ({ heading: g.heading, ...(g.note ? { note: g.note } : {}), items: g.items.filter((i) => ctx.can(i.needs)).map(({ needs: _needs, ...item }) => item) }))
    .filter((g) => g.items.length > 0);
}

/** The location of a site's page. */
export function siteHash(name: string): string {
  return `#/sites/${encodeURIComponent(name)}`;
}
