// What the signed-in staff member may do, as /web/api/console/me says (`permissions`): pages show
// a button only when its action is granted. The server checks the role on every request all
// the same; this only spares staff buttons that would be refused.
let granted = new Set<string>();

export function setPermissions(permissions: string[] | undefined): void {
  granted = new Set(permissions ?? []);
}

/** Whether the staff member's role may take `action` (e.g. "market.mode", "user.lock"). */
export function can(action: string): boolean {
  return granted.has(action);
}
