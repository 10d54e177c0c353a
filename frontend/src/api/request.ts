// The one request layer (docs/api.md): every call to /api/... is fetch + JSON with the
// session cookie (same origin only), and every failure becomes an ApiError carrying the
// server's stable code and its plain-English message. The service's API (service.ts) and the
// desktop shell's own endpoints (keys, kiosk, tester, windows-hello) all send through it.

/** The fetch a request layer sends with; tests pass a fake one. */
export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

/**
 * The fetch every API sends with unless a test gives its own: the APIs pass theirs (or none)
 * on to createRequest, so this is the one default. The global is looked up at each call.
 */
const browserFetch: Fetch = (input, init) => fetch(input, init);

export type Method = "GET" | "POST" | "PATCH" | "DELETE";

/** Sends one request and resolves to its JSON object; rejects with an ApiError. */
export type Request = <T>(method: Method, path: string, body?: unknown, extraHeaders?: Record<string, string>) => Promise<T>;

/** How long the session has left, from the headers of an answer (docs/api.md). */
export interface SessionTiming {
  /** Seconds until it ends unless something else is done: the idle timeout, just restarted. */
  idleEndsIn: number;
  /** Seconds until it ends whatever is done: the absolute timeout. */
  endsIn: number;
}

/** Told the session's timing after every answer that has it, and null once signed out. */
export type SessionListener = (timing: SessionTiming | null) => void;

export function sessionTimingFrom(headers: Headers): SessionTiming | null {
  const seconds = (name: string): number | null => {
    const value = headers.get(name);
    return value !== null && /^\d+$/.test(value) ? Number(value) : null;
  };
  const idleEndsIn = seconds("Session-Idle-Ends-In");
  const endsIn = seconds("Session-Ends-In");
  return idleEndsIn === null || endsIn === null ? null : { idleEndsIn, endsIn };
}

export const SERVICE_PROBLEM = "Sorry, there is a problem with the service. Try again later.";
export const CONNECTION_PROBLEM =
  "Sorry, we could not connect to the service. Check your connection and try again.";

/**
 * On 429 too_many_attempts: which way in is paused ("paused") and until when ("pausedUntil",
 * RFC 3339 in UTC, absent when the server did not say), for the page to say so in the
 * person's own time (docs/api.md, "Lockouts").
 */
export interface Pause {
  way: "password" | "passkey";
  until: string | null;
}

export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    /** HTTP status, or 0 when no answer came back at all. */
    readonly status: number,
    /** The stable code from docs/api.md, or "network_error" / "unexpected_response". */
    readonly code: string,
    message: string,
    /** Inline messages per input name, on 422 invalid_input. */
    readonly fields: Readonly<Record<string, string>> = {},
    /** A paused way in, on 429 too_many_attempts when the server says which. */
    readonly pause: Pause | null = null,
  ) {
    super(message);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Turns an error answer into an ApiError, whatever shape the body has. */
export function errorFromResponse(status: number, body: unknown): ApiError {
  const error = isRecord(body) ? body["error"] : undefined;
  if (!isRecord(error) || typeof error["code"] !== "string" || error["code"] === "") {
    return new ApiError(status, "unexpected_response", SERVICE_PROBLEM);
  }
  const message = typeof error["message"] === "string" && error["message"] !== "" ? error["message"] : SERVICE_PROBLEM;
  const fields: Record<string, string> = {};
  if (isRecord(error["fields"])) {
    for (const [name, text] of Object.entries(error["fields"])) {
      if (typeof text === "string") fields[name] = text;
    }
  }
  return new ApiError(status, error["code"], message, fields, pauseFrom(error));
}

function pauseFrom(error: Record<string, unknown>): Pause | null {
  const way = error["paused"];
  if (way !== "password" && way !== "passkey") return null;
  const until = error["pausedUntil"];
  return { way, until: typeof until === "string" && until !== "" ? until : null };
}

/**
 * The request function for an API: `onSession` hears the session's timing from every answer
 * that has it, and null when the server says nobody is signed in (not_signed_in).
 */
export function createRequest(fetchImpl: Fetch = browserFetch, onSession: SessionListener = () => {}): Request {
  return async function request<T>(
    method: Method,
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<T> {
    const init: RequestInit = {
      method,
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json", ...extraHeaders },
    };
    if (method !== "GET") init.body = JSON.stringify(body ?? {});

    let response: Response;
    try {
      response = await fetchImpl(path, init);
    } catch {
      throw new ApiError(0, "network_error", CONNECTION_PROBLEM);
    }

    const timing = sessionTimingFrom(response.headers);
    if (timing) onSession(timing);

    let data: unknown;
    try {
      const text = await response.text();
      data = text === "" ? null : JSON.parse(text);
    } catch {
      data = null;
    }

    if (!response.ok) {
      const error = errorFromResponse(response.status, data);
      if (error.code === "not_signed_in") onSession(null);
      throw error;
    }
    if (!isRecord(data)) throw new ApiError(response.status, "unexpected_response", SERVICE_PROBLEM);
    return data as T;
  };
}
