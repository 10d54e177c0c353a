package httpapi

import "net/http"

// StatusWriter passes an answer through and remembers its status (0 until anything is
// written): for the request log, and for the desktop shell, which acts on how a request it
// passed on was answered (a kiosk visit ends only when the logout was accepted).
type StatusWriter struct {
	http.ResponseWriter
	Status int
}

// WriteHeader records the first status and passes it on.
func (w *StatusWriter) WriteHeader(code int) {
	if w.Status == 0 {
		w.Status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200 when nothing was written before.
func (w *StatusWriter) Write(b []byte) (int, error) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (w *StatusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
