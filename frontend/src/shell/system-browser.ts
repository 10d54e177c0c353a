// The desktop app's way to open a website in the person's own web browser.
//
// In the desktop app's window the page is the app: there is no address bar and no way back,
// so a website opened in it would look like part of the app (a phishing risk). Wails injects
// /wails/runtime.js into the app's index.html, which gives the page
// `window.runtime.BrowserOpenURL(url)`: an IPC message ("BO:" + url) that Wails itself hands
// to the system (xdg-open on Linux, open on macOS, ShellExecute on Windows), refusing only a
// few schemes (javascript, data, file, ftp). So the rule of what may go is the page's: the
// router sends only websites (isWebsite), and none in kiosk mode. In a web browser (`serve`
// mode) there is no runtime, and a link is the browser's own to follow.

declare global {
  interface Window {
    /** Wails' runtime, in the desktop app's window only. */
    runtime?: { BrowserOpenURL?: (url: string) => void };
  }
}

/**
 * Opens `url` in the person's default web browser; undefined outside the desktop app's
 * window. Asked at the moment it is needed, so a page loaded before the runtime is seen as it is.
 */
export function systemBrowser(win: Window = window): ((url: string) => void) | undefined {
  const open = win.runtime?.BrowserOpenURL;
  if (typeof open !== "function") return undefined;
  return (url) => open.call(win.runtime, url);
}

/** Whether `url` is a website (http or https): the only kind of address handed to the system browser. */
export function isWebsite(url: URL): boolean {
  return url.protocol === "https:" || url.protocol === "http:";
}
