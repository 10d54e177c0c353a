// What to do after a login is refused for a reason the person can act on, said after the
// server's message in the error summary of /login and /login/password:
//   401 passkey_flagged: the passkey may have been copied, so it no longer works
//   429 too_many_attempts: the email (or this computer) is locked for a while; the
//     server's message says how many minutes are left
import { ApiError } from "../api";

export interface LoginRefusal {
  advice: string;
  /** Whether logging in with the password is worth offering: not during a lockout, which covers it too. */
  offerPassword: boolean;
}

export function loginRefusal(error: unknown): LoginRefusal | null {
  if (!(error instanceof ApiError)) return null;
  switch (error.code) {
    case "passkey_flagged":
      return {
        advice:
          "Log in with your password or a different passkey instead. Then, in your login and security settings, remove this passkey and set up a new one.",
        offerPassword: true,
      };
    case "too_many_attempts":
      return {
        advice:
          "Until then, you cannot log in with a passkey or your password. If you did not try to log in, someone else may have: after you log in, check your recent activity and change your password.",
        offerPassword: false,
      };
    default:
      return null;
  }
}
