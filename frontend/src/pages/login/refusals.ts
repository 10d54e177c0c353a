// What to do after a login is refused for a reason the person can act on, said after the
// server's message in the error summary of /login and /login/password:
//   401 passkey_flagged: the passkey may have been copied, so it no longer works
//   429 too_many_attempts: a way in is paused for a while. When the server says which
//     ("paused": "password" or "passkey") and until when ("pausedUntil"), the page says so
//     with the time in the person's own time zone ("3:45pm"), and which way still works;
//     otherwise the server's message (which says how long) and the older advice.
import { formatTimeSoon } from "../../ui/dates";
import { ApiError, type Pause } from "../../api/request";

export interface LoginRefusal {
  /** Said instead of the server's message; absent: the server's message. */
  message?: string;
  advice: string;
  /** Whether logging in with the password is worth offering: not while it is paused too. */
  offerPassword: boolean;
  /** Whether to offer logging in with a passkey: the password is paused, the passkey is not. */
  offerPasskey?: boolean;
}

/** A paused way in, said with its end in the person's time when the server gave it. */
function pausedRefusal(pause: Pause, now: Date): LoginRefusal {
  const until = pause.until ? formatTimeSoon(pause.until, now) : null;
  if (pause.way === "password") {
    return {
      ...(until
        ? { message: `Logging in with your password is paused until ${until}, because the wrong password was entered too many times.` }
        : {}),
      advice: `You can still log in with your passkey, if you have set one up. Or try your password again${until ? ` after ${until}` : " later"}. If you did not try to log in, someone else may have: after you log in, check your recent activity and change your password.`,
      offerPassword: false,
      offerPasskey: true,
    };
  }
  return {
    ...(until
      ? { message: `Logging in with a passkey on this device is paused until ${until}, because too many passkey attempts did not work.` }
      : {}),
    advice: `You can log in with your password instead. Or try your passkey again${until ? ` after ${until}` : " later"}.`,
    offerPassword: true,
  };
}

export function loginRefusal(error: unknown, now: Date = new Date()): LoginRefusal | null {
  if (!(error instanceof ApiError)) return null;
  switch (error.code) {
    case "passkey_flagged":
      return {
        advice:
          "Log in with your password or a different passkey instead. Then, in your Login and security settings, remove this passkey and set up a new one.",
        offerPassword: true,
      };
    case "too_many_attempts":
      if (error.pause) return pausedRefusal(error.pause, now);
      return {
        advice:
          "Until then, you cannot log in with a passkey or your password. If you did not try to log in, someone else may have: after you log in, check your recent activity and change your password.",
        offerPassword: false,
      };
    default:
      return null;
  }
}
