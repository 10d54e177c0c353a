// What each page of the help guide says (help.ts renders them). The source is
// NHS login's help article "Passkeys"; every sentence here is our own, in NHS
// content style. Names of things people see on screen (Login and security
// settings, Set up a passkey, Use a different phone or tablet, Windows Hello
// or external security key, Remove, This device, Password AutoFill, Passkey
// AutoFill, iCloud Keychain) are kept exactly as they appear.
//
// `client` says where the person is: "browser" (their browser or device asks
// for the passkey, and offers a QR code for another phone or tablet), "device"
// (the desktop app on Linux or macOS, which saves passkeys on security keys
// only) or "windows" (the desktop app on Windows, which offers Windows Hello,
// a phone or tablet and security keys, through Windows' own dialogs).

import { isDesktop, type Client } from "../../ceremony/ceremony";
import { insetText, websiteLink } from "../../ui/components";
import { html, type SafeHtml } from "../../ui/html";
import { WINDOWS_PASSKEY_SETTINGS } from "../passkeys/removed-windows-hello";
import { WINDOWS_SETTINGS } from "../security-keys/list";

export interface HelpTopic {
  path: string;
  /** The page's h1, and so its title. Unique across the app. */
  title: string;
  /** Its name in the contents list and in the previous and next links. */
  label: string;
  /**
   * opensBrowser: a link to a website opens the person's web browser (the desktop app's window,
   * not kiosk mode). kiosk: kiosk mode, a shared computer, which never saves a passkey on itself
   * and never offers Windows Hello ("this device"): its advice is the shared computer's.
   */
  content(client: Client, opensBrowser: boolean, kiosk: boolean): SafeHtml;
}

/**
 * The trusted-device advice on a shared computer (kiosk mode), as the Set up a passkey page
 * gives it (pages/passkeys/set-up.ts).
 */
const KIOSK_ADVICE = html`<p>This is a shared computer, so your passkey cannot be saved on it.</p>
  <p>Only save a passkey on a security key, phone or tablet that belongs to you.</p>`;

const SETTINGS = html`<a href="/account/security">Login and security settings</a>`;
const UNLOCK = "fingerprint, face, PIN, passcode or pattern";
/** The article's name for the choice, as the desktop app lists it (app/device/authenticator). */
const PHONE = "Use a different phone or tablet";

/**
 * The desktop app on Linux and macOS: a phone or tablet through the app's own QR code (the FIDO
 * hybrid transport), listed as "Use a different phone or tablet" wherever this computer has a
 * Bluetooth scanner for it (docs/api.md). `forWhat` is what the phone or tablet is for.
 */
function phoneStepsInThisApp(steps: SafeHtml, forWhat: string): SafeHtml {
  return html`<ol>
      ${steps}
      <li>Choose <strong>${PHONE}</strong> from the list, then select <strong>Continue</strong>. A QR code will appear.</li>
      <li>Scan the QR code with the camera on the phone or tablet ${forWhat}.</li>
      <li>Unlock the phone or tablet when it asks, for example with your ${UNLOCK}, and follow its instructions to finish.</li>
    </ol>
    <p>Turn on Bluetooth on this computer and on the phone or tablet first, and keep them near each other. If the app does not list <strong>${PHONE}</strong>, use a security key or your password instead.</p>`;
}

/** Said where the desktop app cannot offer what a browser can, with why, and what to do instead. */
function notInThisApp(what: string, why: string): SafeHtml {
  return insetText(
    html`<p>You cannot ${what} in this app, because ${why}.</p>
  <p>Use a security key instead. <a href="/help/set-up#security-key">Find out how to set up a passkey on a security key</a>.</p>`,
  );
}

const overview: HelpTopic = {
  path: "/help",
  title: "Help with passkeys",
  label: "Help with passkeys",
  content: (_client, opensBrowser) => html`<p class="nhsuk-lede-text">Find out what a passkey is, how to set one up and use it, and what to do if you lose your device or get a new one.</p>
    <h2>If you need more help</h2>
    <p>If you cannot find what you need here, tell the person or organisation who gave you this app.</p>
    <p>For help with your NHS login, go to the ${websiteLink("https://help.login.nhs.uk/", "NHS login help centre", opensBrowser)}.</p>
    <p>If you have a problem using this app with assistive technology, such as a screen reader, read our <a href="/accessibility">accessibility statement</a>.</p>`,
};

const whatIsAPasskey: HelpTopic = {
  path: "/help/what-is-a-passkey",
  title: "What is a passkey?",
  label: "What is a passkey",
  content: () => html`<p>A passkey lets you log in without a password. It is safer than a password and you do not need to remember it.</p>
    <p>Your passkey is made and kept on one of your devices, such as your phone, tablet, computer or a security key. You never see it or type it in.</p>
    <p>To use your passkey, you unlock your device in the way you usually do, such as with your ${UNLOCK}.</p>
    <h2>Why use a passkey</h2>
    <p>Passkeys give you the strongest protection against scams that try to steal your login details (phishing) and against hacking.</p>
    <ul>
      <li>Each passkey only works with the website or app it was made for. A fake website or app cannot get it from you.</li>
      <li>Each passkey is different. If another website is hacked, your NHS login passkey is still safe.</li>
      <li>Your passkey stays on your device. Nobody can see it or use it, not even NHS login.</li>
    </ul>
    <p><a href="/help/what-you-need">Find out what you need to set up a passkey</a></p>`,
};

const whatYouNeed: HelpTopic = {
  path: "/help/what-you-need",
  title: "What you need to set up a passkey",
  label: "What you need",
  content: (client, _opensBrowser, kiosk) =>
    client === "windows" && kiosk
      ? html`<p>On this computer, you can save your passkey in 2 places. Windows lists the ones it can use.</p>
    <ul>
      <li>A phone or tablet near you. Turn on Bluetooth on your phone or tablet first.</li>
      <li>A security key that works with passkeys (sometimes called a FIDO2 key). You need its PIN, if it has one.</li>
    </ul>
    ${insetText(KIOSK_ADVICE)}
    <p><a href="/help/set-up">Find out how to set up a passkey</a></p>`
      : client === "windows"
      ? html`<p>In this app, you can save your passkey in 3 places. Windows lists the ones it can use on this computer.</p>
    <ul>
      <li>This computer, with Windows Hello. You need Windows Hello set up, so that you can unlock this computer with your fingerprint, face or Windows Hello PIN.</li>
      <li>A phone or tablet near you. Turn on Bluetooth on this computer and on your phone or tablet first.</li>
      <li>A security key that works with passkeys (sometimes called a FIDO2 key). You need its PIN, if it has one.</li>
    </ul>
    ${insetText(html`<p>Only set up a passkey on a device that belongs to you or that you trust.</p>`)}
    <p><a href="/help/set-up">Find out how to set up a passkey</a></p>`
      : client === "device"
      ? html`<p>In this app, you save your passkey on a security key, or on a phone or tablet near you. For a security key, you need:</p>
    <ul>
      <li>a security key that works with passkeys (sometimes called a FIDO2 key)</li>
      <li>a USB port on this computer to plug it into</li>
      <li>the PIN for your security key, if it has one – if it does not, you will be asked to create one</li>
    </ul>
    <p>For a phone or tablet, you need a screen lock on it, such as your ${UNLOCK}, and Bluetooth turned on, on this computer and on the phone or tablet. The app lists it as <strong>${PHONE}</strong> when this computer can use one.</p>
    <p>The app cannot save a passkey on this computer itself.</p>
    ${insetText(kiosk ? KIOSK_ADVICE : html`<p>Only set up a passkey on a security key that belongs to you.</p>`)}
    <p><a href="/help/set-up#security-key">Find out how to set up a passkey on a security key</a></p>`
      : html`<p>You need a screen lock on the device you want to save your passkey on. This could be your ${UNLOCK}.</p>
    <p>To save your passkey on a phone or tablet near you, rather than the device you are using, turn on Bluetooth on both devices.</p>
    ${insetText(html`<p>If you use an Apple device, you may be asked to turn on <strong>iCloud Keychain</strong>.</p>
  <p>Your passkey will then work on all your Apple devices.</p>`)}
    <p>You can also save a passkey on a security key. You will need the key's PIN, if it has one.</p>
    <p><a href="/help/set-up">Find out how to set up a passkey</a></p>`,
};

// The help article's steps, in its order and with its names: Login and security settings,
// then Passkeys, then Set up a passkey (pages/account/security.ts, pages/passkeys/passkeys.ts).
const STEPS_TO_SET_UP = html`<li>Go to your ${SETTINGS}. You will be asked to log in first if you have not already.</li>
      <li>Select <strong>Passkeys</strong>.</li>
      <li>Select <strong>Set up a passkey</strong>, then select <strong>Continue</strong>.</li>`;

/** What a second passkey takes, said wherever setting one up is explained. */
const IF_YOU_HAVE_ONE = html`<p>If you already have a passkey, you will first be asked to confirm it's you with it, unless you logged in less than 5 minutes ago. Then you create the new one.</p>`;

const setUp: HelpTopic = {
  path: "/help/set-up",
  title: "How to set up a passkey",
  label: "Set up a passkey",
  content: (client, _opensBrowser, kiosk) => {
    const securityKey =
      client === "device"
        ? html`<h2 id="security-key">Set up a passkey on a security key</h2>
    <ol>
      <li>Plug your security key into this computer.</li>
      ${STEPS_TO_SET_UP}
      <li>Choose your security key from the list, then select <strong>Continue</strong>.</li>
      <li>Enter your security key's PIN. If it does not have a PIN yet, you will be asked to create one.</li>
      <li>Touch your security key when it flashes or lights up.</li>
    </ol>
    <p>Your new passkey will then be listed in Passkeys, in your Login and security settings.</p>`
        : html`<h2 id="security-key">Set up a passkey on a Windows computer or a security key</h2>
    <ol>
      ${STEPS_TO_SET_UP}
      <li>When you are asked where to save your passkey, choose <strong>Windows Hello or external security key</strong>.</li>
      <li>Use your fingerprint, face or Windows Hello PIN. For a security key, plug it in, enter its PIN and touch it.</li>
      <li>Follow the instructions on your screen to finish.</li>
    </ol>`;
    const intro = kiosk
      ? html`<p>You can set up a passkey on a security key, or on a phone or tablet where this computer offers one. You can have more than one passkey, for example one on each of your devices.</p>
    ${insetText(KIOSK_ADVICE)}`
      : html`<p>You can set up a passkey on a phone, tablet, computer or security key. You can have more than one passkey, for example one on each of your devices.</p>
    ${insetText(html`<p>Only set up a passkey on a device that belongs to you or that you trust.</p>`)}`;
    const secondPasskey = html`<h2>If you already have a passkey</h2>
    ${IF_YOU_HAVE_ONE}`;
    if (client === "windows" && kiosk) {
      return html`${intro}
    <h2>Set up a passkey in this app</h2>
    <ol>
      ${STEPS_TO_SET_UP}
      <li>Choose where to save your passkey: <strong>Use a different phone or tablet</strong> or <strong>A security key</strong>. Then select <strong>Continue</strong>.</li>
      <li>Follow the instructions from Windows. For a phone or tablet, scan the QR code with it, then unlock it. For a security key, plug it in, enter its PIN and touch it.</li>
    </ol>
    <p>To use a phone or tablet, turn on Bluetooth on it first.</p>
    <p>Your new passkey will then be listed in Passkeys, in your Login and security settings.</p>
    ${IF_YOU_HAVE_ONE}`;
    }
    if (client === "windows") {
      return html`${intro}
    <h2>Set up a passkey in this app</h2>
    <ol>
      ${STEPS_TO_SET_UP}
      <li>Choose where to save your passkey: <strong>This device (Windows Hello)</strong>, <strong>Use a different phone or tablet</strong> or <strong>A security key</strong>. Then select <strong>Continue</strong>.</li>
      <li>Follow the instructions from Windows. For Windows Hello, use your fingerprint, face or Windows Hello PIN. For a phone or tablet, scan the QR code with it, then unlock it. For a security key, plug it in, enter its PIN and touch it.</li>
    </ol>
    <p>To use a phone or tablet, turn on Bluetooth on this computer and on the phone or tablet first.</p>
    <p>Your new passkey will then be listed in Passkeys, in your Login and security settings.</p>
    ${IF_YOU_HAVE_ONE}`;
    }
    return html`${intro}
    ${client === "device" ? securityKey : ""}
    <h2>Set up a passkey on the device you are using</h2>
    ${
      kiosk
        ? insetText(KIOSK_ADVICE)
        : client === "device"
        ? notInThisApp("save a passkey on the computer itself", "the app saves passkeys on security keys, phones and tablets")
        : html`<ol>
      ${STEPS_TO_SET_UP}
      <li>On a computer, you may be asked where to save your passkey. Choose <strong>This device</strong> (or something like it) to save it on the computer you are using. On a Windows computer, choose <strong>Windows Hello</strong>.</li>
      <li>Unlock your device when it asks, for example with your ${UNLOCK}.</li>
      <li>Follow the instructions on your device to finish.</li>
    </ol>`
    }
    <h2>Set up a passkey on a different phone or tablet</h2>
    <p>For example, you may be using a laptop but want to keep your passkey on your phone.</p>
    ${
      client === "device"
        ? phoneStepsInThisApp(STEPS_TO_SET_UP, "you want to keep your passkey on")
        : html`<ol>
      ${STEPS_TO_SET_UP}
      <li>Choose <strong>Use a different phone or tablet</strong> (or something like it). A QR code will appear.</li>
      <li>Scan the QR code with the phone or tablet you want to keep your passkey on.</li>
      <li>Unlock that phone or tablet when it asks, for example with your ${UNLOCK}.</li>
      <li>Follow the instructions on the phone or tablet to finish.</li>
    </ol>`
    }
    ${client === "device" ? "" : securityKey}
    ${secondPasskey}`;
  },
};

const logIn: HelpTopic = {
  path: "/help/log-in",
  title: "How to log in with a passkey",
  label: "Log in with a passkey",
  content: (client, _opensBrowser, kiosk) =>
    client === "windows" && kiosk
      ? html`<ol>
      <li>On the <a href="/login">Log in</a> page, enter your email address and select <strong>Continue</strong>.</li>
      <li>Choose where your passkey is saved: <strong>Use a different phone or tablet</strong> or <strong>A security key</strong>. Then select <strong>Continue</strong>.</li>
      <li>Follow the instructions from Windows. For example, scan the QR code with your phone or tablet, or touch your security key.</li>
    </ol>
    <p>To use a passkey on a phone or tablet, turn on Bluetooth on it first.</p>
    <h2>If you cannot use your passkey</h2>
    <p>You can <a href="/login/password">log in with your password instead</a>.</p>`
      : client === "windows"
      ? html`<ol>
      <li>On the <a href="/login">Log in</a> page, enter your email address and select <strong>Continue</strong>.</li>
      <li>Choose where your passkey is saved: <strong>This device (Windows Hello)</strong>, <strong>Use a different phone or tablet</strong> or <strong>A security key</strong>. Then select <strong>Continue</strong>.</li>
      <li>Follow the instructions from Windows. For example, use your fingerprint, face or Windows Hello PIN, scan the QR code with your phone or tablet, or touch your security key.</li>
    </ol>
    <p>You do not have to type your email address. If you leave it empty, Windows will offer the passkeys it can find.</p>
    <p>To use a passkey on a phone or tablet, turn on Bluetooth on this computer and on the phone or tablet first.</p>
    <h2>If you cannot use your passkey</h2>
    <p>You can <a href="/login/password">log in with your password instead</a>.</p>`
      : client === "device"
      ? html`<h2>Log in with a passkey on a security key</h2>
    <ol>
      <li>Plug your security key into this computer.</li>
      <li>On the <a href="/login">Log in</a> page, enter your email address and select <strong>Continue</strong>.</li>
      <li>Choose your security key from the list, then select <strong>Continue</strong>.</li>
      <li>Enter your security key's PIN.</li>
      <li>Touch your security key when it flashes or lights up.</li>
    </ol>
    <p>You do not have to type your email address. If you leave it empty, the app will look for your passkey on the security key you choose.</p>
    <h2>If your passkey is on a phone or tablet</h2>
    <p>For example, your passkey may be on your phone but you want to log in on this computer.</p>
    ${phoneStepsInThisApp(html`<li>On the <a href="/login">Log in</a> page, enter your email address and select <strong>Continue</strong>.</li>`, "that has your passkey")}
    <h2>If you cannot use your passkey</h2>
    <p>You can <a href="/login/password">log in with your password instead</a>.</p>`
      : html`<h2>Log in on a device that has your passkey</h2>
    <ol>
      <li>On the <a href="/login">Log in</a> page, enter your email address and select <strong>Continue</strong>.</li>
      <li>Unlock your device when it asks, for example with your ${UNLOCK}.</li>
      <li>Follow the instructions on your device to finish logging in.</li>
    </ol>
    <p>You do not have to type your email address. If you leave it empty and select <strong>Continue</strong>, your device will show you the passkeys it has for NHS login.</p>
    ${insetText(html`<p>If you have problems logging in on an iPhone or iPad, check that <strong>Password AutoFill</strong> and <strong>Passkey AutoFill</strong> are turned on in your device settings.</p>`)}
    <h2>Log in on a device that does not have your passkey</h2>
    <p>For example, your passkey may be on your phone but you want to log in on your laptop.</p>
    <ol>
      <li>On the <a href="/login">Log in</a> page, enter your email address and select <strong>Continue</strong>. You will be asked to log in with a passkey.</li>
      <li>Choose <strong>Use a different phone or tablet</strong> (or something like it). A QR code will appear.</li>
      <li>Scan the QR code with the phone or tablet that has your passkey.</li>
      <li>Follow the instructions on the phone or tablet to finish logging in.</li>
    </ol>
    <p>Both devices need Bluetooth turned on.</p>
    <h2>If you cannot use your passkey</h2>
    <p>You can <a href="/login/password">log in with your password instead</a>.</p>
    <p>If the log in page says your passkey may not be on this device, it may be on a different device, or on one you no longer have. <a href="/help/lost-device">Find out what to do if you lose your device</a>.</p>`,
};

const remove: HelpTopic = {
  path: "/help/remove",
  title: "How to remove a passkey",
  label: "Remove a passkey",
  content: (client, _opensBrowser, kiosk) => html`<p>You can remove a passkey you do not want any more, whichever device it is on.</p>
    <ol>
      <li>Log in. If the passkey you want to remove was on a device you no longer have, log in with your password or another passkey.</li>
      <li>Go to your ${SETTINGS}.</li>
      <li>Select <strong>Remove</strong> for the passkey you want to remove.</li>
      <li>Follow the instructions on your screen to confirm that you want to remove it.</li>
    </ol>
    <p>You can also select <strong>Passkeys</strong> in your Login and security settings, then <strong>Remove</strong> for the passkey.</p>
    <p>To remove more than one passkey, remove them one after the other. You will not be asked to log in again, and you only need to confirm it's you once every 5 minutes. You can confirm it's you with your password if you cannot use your passkeys.</p>
    <p>Once you have removed a passkey, you cannot use it to log in any more.</p>
    <p>You cannot remove your only way to log in. If you do not have a password, keep at least one passkey.</p>
    <h2>Remove the passkey from your device too</h2>
    <p>Your device may still offer you the passkey the next time you log in. To stop this, also remove the passkey in your device's settings.</p>
    ${
      client === "windows" && kiosk
        ? html`<p>To delete a passkey from a security key, use the settings of a computer of your own, or ask staff.</p>`
        : client === "windows"
        ? html`<p>To delete a passkey from Windows Hello on this computer, open Windows Settings and go to <strong>${WINDOWS_PASSKEY_SETTINGS}</strong>. To delete one from a security key, go to <strong>${WINDOWS_SETTINGS}</strong> and select <strong>Manage</strong>.</p>`
        : client === "device"
          ? html`<p>To delete a passkey from a security key itself, go to <a href="/security-keys">Security keys</a> in your Login and security settings.</p>`
          : ""
    }`,
};

const lostDevice: HelpTopic = {
  path: "/help/lost-device",
  title: "If you lose your device",
  label: "If you lose your device",
  content: () => html`<p>Your passkey stays safe if you lose your device or it is stolen. Nobody else can use it, because it only works once the device is unlocked with your ${UNLOCK}. A security key also needs its PIN.</p>
    <h2>Log in another way</h2>
    <p>You can still log in with a passkey on another of your devices. If you do not have one, you can <a href="/login/password">log in with your password</a>.</p>
    <h2>Remove the passkey from your account</h2>
    <p>To be safe, remove the passkey that was on the lost device.</p>
    <ol>
      <li>Go to your ${SETTINGS}.</li>
      <li>Find the passkey that was on the lost device. Each passkey shows its name, where it is saved and when it was last used.</li>
      <li>Select <strong>Remove</strong> for the passkey, and confirm.</li>
    </ol>
    <p>If you lost more than one device, remove each of their passkeys, one after the other. You will not need to log in again. If you are asked to confirm it's you, you can use your password.</p>
    <h2>Set up a new passkey</h2>
    <p>When you have a new device, you can set up a passkey on it. <a href="/help/set-up">Find out how to set up a passkey</a>.</p>`,
};

const newDevice: HelpTopic = {
  path: "/help/new-device",
  title: "If you get a new device",
  label: "If you get a new device",
  content: (client) => html`<p>You can set up a passkey on your new device. Go to your ${SETTINGS}, select <strong>Passkeys</strong>, then select <strong>Set up a passkey</strong>. <a href="/help/set-up">Find out how to set up a passkey</a>.</p>
    ${insetText(
      html`<p>If you will not use your old device any more, remove its passkey in your Login and security settings, and in the old device's settings too. <a href="/help/remove">Find out how to remove a passkey</a>.</p>`,
    )}
    ${
      isDesktop(client)
        ? html`<p>A passkey on a security key stays on the key. You can keep using it on your new computer.</p>`
        : ""
    }
    <p>If you set up your passkey on an iPhone or iPad, you can use it on all your Apple devices that use the same Apple ID, so you may not need a new one.</p>`,
};

/** The guide, in the order of its contents list. */
export const HELP_TOPICS: readonly HelpTopic[] = [
  overview,
  whatIsAPasskey,
  whatYouNeed,
  setUp,
  logIn,
  remove,
  lostDevice,
  newDevice,
];
