import { isAppUrl } from './app-url.ts';

/** The facts about an IPC call's origin that decide whether it may reach core. */
export interface SenderFacts {
  /** `event.sender.id`: the web contents that sent the request. */
  readonly senderId: number;
  /** The main window's web contents id, or undefined when there is no live window. */
  readonly windowId: number | undefined;
  /** `event.senderFrame`, or null/undefined when the frame is gone. */
  readonly frame: { readonly url: string; readonly isTopFrame: boolean } | null | undefined;
}

/**
 * Only our window's top frame, showing a page of the URL the window actually loaded
 * (`entry`, from rendererEntry), may call core. Pure, so it is tested without Electron.
 */
export function isTrustedSender(facts: SenderFacts, entry: string): boolean {
  const { senderId, windowId, frame } = facts;
  if (windowId === undefined || !frame) return false;
  return senderId === windowId && frame.isTopFrame && isAppUrl(frame.url, entry);
}
