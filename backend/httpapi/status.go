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

// Recorder is a ResponseWriter that keeps an in-process request's answer in memory: the
// desktop shell's own requests to the backend (the kiosk's logout, the device endpoints'
// reads of the account), which are served without a network. The first status counts, and
// a body written without one is a 200, as net/http answers.
type Recorder struct {
	Status int
	Body   []byte
	header http.Header
}

// Header is the answer's header, made on first use.
func (r *Recorder) Header() http.Header {
	if r.header == nil {
		r.header = http.Header{}
	}
	return r.header
}

// WriteHeader records the first status.
func (r *Recorder) WriteHeader(code int) {
	if r.Status == 0 {
		r.Status = code
	}
}

// Write keeps b, recording an implicit 200 when nothing was written before.
func (r *Recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	r.Body = append(r.Body, b...)
	return len(b), nil
}
