//go:build linux && (production || dev) && webkit2_41

package desktop

/*
#cgo linux pkg-config: gtk+-3.0 webkit2gtk-4.1
#include <stdint.h>
#include <gtk/gtk.h>
#include <webkit2/webkit2.h>

// navigation_linux.go: the shell's navigationGuard.allow, for the guard that is this handle.
extern int nhspAllowNavigation(uintptr_t guard, char *uri, int newWindow);

// The zoom levels a person steps through, as web browsers offer them; 400% is the most
// WCAG 1.4.10 (Reflow) asks a page to cope with.
static const double nhsp_zoom_levels[] = {0.5, 0.67, 0.75, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0};

static void nhsp_zoom_step(WebKitWebView *view, int direction) {
	const int n = sizeof nhsp_zoom_levels / sizeof nhsp_zoom_levels[0];
	double current = webkit_web_view_get_zoom_level(view), next = 1.0;
	if (direction > 0) {
		next = nhsp_zoom_levels[n - 1];
		for (int i = 0; i < n; i++) {
			if (nhsp_zoom_levels[i] > current + 0.001) { next = nhsp_zoom_levels[i]; break; }
		}
	} else if (direction < 0) {
		next = nhsp_zoom_levels[0];
		for (int i = n - 1; i >= 0; i--) {
			if (nhsp_zoom_levels[i] < current - 0.001) { next = nhsp_zoom_levels[i]; break; }
		}
	}
	webkit_web_view_set_zoom_level(view, next);
}

// Ctrl and plus (or equals) zooms in, Ctrl and minus zooms out, Ctrl and 0 goes back to
// 100%, on the main keyboard or the number pad. Connected to the window, so it runs before
// the page sees the keys, as in a browser.
static gboolean nhsp_zoom_on_key(GtkWidget *window, GdkEventKey *event, gpointer view) {
	if (!(event->state & GDK_CONTROL_MASK)) return FALSE;
	switch (event->keyval) {
	case GDK_KEY_plus: case GDK_KEY_equal: case GDK_KEY_KP_Add:
		nhsp_zoom_step(WEBKIT_WEB_VIEW(view), 1);
		return TRUE;
	case GDK_KEY_minus: case GDK_KEY_underscore: case GDK_KEY_KP_Subtract:
		nhsp_zoom_step(WEBKIT_WEB_VIEW(view), -1);
		return TRUE;
	case GDK_KEY_0: case GDK_KEY_KP_0:
		nhsp_zoom_step(WEBKIT_WEB_VIEW(view), 0);
		return TRUE;
	}
	return FALSE;
}

// Ctrl and the mouse wheel (or a touchpad's two-finger scroll) zooms too.
static gboolean nhsp_zoom_on_scroll(GtkWidget *widget, GdkEventScroll *event, gpointer unused) {
	if (!(event->state & GDK_CONTROL_MASK)) return FALSE;
	int direction = 0;
	if (event->direction == GDK_SCROLL_UP) direction = 1;
	else if (event->direction == GDK_SCROLL_DOWN) direction = -1;
	else if (event->direction == GDK_SCROLL_SMOOTH && event->delta_y != 0) direction = event->delta_y < 0 ? 1 : -1;
	if (direction != 0) nhsp_zoom_step(WEBKIT_WEB_VIEW(widget), direction);
	return TRUE;
}

static WebKitWebView *nhsp_find_web_view(GtkWidget *widget) {
	if (WEBKIT_IS_WEB_VIEW(widget)) return WEBKIT_WEB_VIEW(widget);
	if (!GTK_IS_CONTAINER(widget)) return NULL;
	WebKitWebView *found = NULL;
	GList *children = gtk_container_get_children(GTK_CONTAINER(widget));
	for (GList *c = children; c != NULL && found == NULL; c = c->next) {
		found = nhsp_find_web_view(GTK_WIDGET(c->data));
	}
	g_list_free(children);
	return found;
}

// In every mode the web view goes nowhere but the app's own pages and opens no new windows;
// outside kiosk mode a website asked for is opened in the system browser instead. The rule is
// the shell's, in Go (navigationGuard, webview.go); here only the asking. A navigation (a
// link followed, a location change, in the page or a frame) or a new window's first load
// comes here; responses do too (the third type), and are left alone: the page's own fetches
// are not navigations and never come here at all.
static gboolean nhsp_navigation_policy(WebKitWebView *view, WebKitPolicyDecision *decision, WebKitPolicyDecisionType type, gpointer guard) {
	if (type != WEBKIT_POLICY_DECISION_TYPE_NAVIGATION_ACTION && type != WEBKIT_POLICY_DECISION_TYPE_NEW_WINDOW_ACTION) return FALSE;
	WebKitNavigationAction *action = webkit_navigation_policy_decision_get_navigation_action(WEBKIT_NAVIGATION_POLICY_DECISION(decision));
	const char *uri = webkit_uri_request_get_uri(webkit_navigation_action_get_request(action));
	int newWindow = type == WEBKIT_POLICY_DECISION_TYPE_NEW_WINDOW_ACTION;
	if (nhspAllowNavigation((uintptr_t)guard, (char *)(uri != NULL ? uri : ""), newWindow)) return FALSE;
	webkit_policy_decision_ignore(decision);
	return TRUE;
}

// Runs on GTK's thread (g_idle_add). Wails keeps its window and web view to itself, so they
// are found among the toplevel windows; each window is set up once.
static gboolean nhsp_web_view_attach(gpointer guard) {
	GList *windows = gtk_window_list_toplevels();
	for (GList *w = windows; w != NULL; w = w->next) {
		GtkWidget *window = GTK_WIDGET(w->data);
		if (g_object_get_data(G_OBJECT(window), "nhsp-zoom") != NULL) continue;
		WebKitWebView *view = nhsp_find_web_view(window);
		if (view == NULL) continue;
		g_object_set_data(G_OBJECT(window), "nhsp-zoom", view);
		g_signal_connect(window, "key-press-event", G_CALLBACK(nhsp_zoom_on_key), view);
		gtk_widget_add_events(GTK_WIDGET(view), GDK_SCROLL_MASK | GDK_SMOOTH_SCROLL_MASK);
		g_signal_connect(view, "scroll-event", G_CALLBACK(nhsp_zoom_on_scroll), NULL);
		g_signal_connect(view, "decide-policy", G_CALLBACK(nhsp_navigation_policy), guard);
	}
	g_list_free(windows);
	return G_SOURCE_REMOVE;
}

static void nhsp_set_up_web_view(uintptr_t guard) {
	g_idle_add(nhsp_web_view_attach, (gpointer)guard);
}
*/
import "C"

import "runtime/cgo"

// webViewSetUp gives the window a browser's zoom keys (WCAG 1.4.4, Resize Text): WebKitGTK
// zooms the page (text and layout, so it reflows) when asked, but Wails v2 binds no keys to
// it on Linux. It also fits the navigation guard, in every mode: the web view loads nothing
// but the app's own pages, and a website goes to the system browser (outside kiosk mode).
type webViewSetUp struct {
	// guard is the navigationGuard, for GTK's thread to ask (nhspAllowNavigation). It is never
	// deleted: GTK may still ask while it takes the window down after Wails returns, and a
	// deleted handle would panic there. One for each window the process opens.
	guard cgo.Handle
}

func newWebViewSetUp(guard *navigationGuard) *webViewSetUp {
	return &webViewSetUp{guard: cgo.NewHandle(guard)}
}

// apply sets up the window's web view. Called at every page load; each window is set up once.
func (s *webViewSetUp) apply() {
	C.nhsp_set_up_web_view(C.uintptr_t(s.guard))
}
