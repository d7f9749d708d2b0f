/*
 * Batch verbs on a VM's screen over VNC: screen (the recognised text)
 * and send-keys.  batch.c asks the agent for the VM's status and calls
 * these with its VNC address.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "compat.h"
#include "conf.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"
#include "glyph.h"
#include "tui.h"
#include "vnc.h"

#define VNC_FRAME_TIMEOUT	10000	/* ms for the first frame */
#define VNC_SETTLE_MS		300	/* no update for this long: settled */
#define VNC_SETTLE_MAX_MS	1500	/* but no longer (blinking cursors) */
#define VNC_TRIES		3	/* connections lost while starting */

/*
 * The VNC password: $ANLASSER_VNC_PASSWORD, else vnc_password from the
 * VM's INI file when the agent named it and we may read it (root).
 */
char *
batch_vnc_password(const char *ini)
{
	struct agent_conf	 ac;
	struct conf_problems	 probs;
	struct vm_conf		*vc;
	const char		*env;
	char			*pw = NULL;

	if ((env = getenv(VNC_PASSWORD_ENV)) != NULL && *env != '\0')
		return (xstrdup(env));
	if (ini == NULL || geteuid() != 0 || access(ini, R_OK) != 0)
		return (NULL);
	memset(&ac, 0, sizeof ac);
	agent_conf_defaults(&ac);
	conf_problems_init(&probs);
	vc = conf_load_vm(ini, &ac, &probs);
	if (vc != NULL && vc->vnc_password != NULL)
		pw = xstrdup(vc->vnc_password);
	vm_conf_free(vc);
	conf_problems_clear(&probs);
	agent_conf_clear(&ac);
	return (pw);
}

struct bv_wait {
	unsigned long	updates;	/* seen at the last check */
	double		since;		/* when they last changed */
	double		first;		/* when the first one came */
};

/*
 * A frame arrived and no update came for VNC_SETTLE_MS, or the first
 * came VNC_SETTLE_MAX_MS ago (a blinking cursor never settles).
 */
static int
bv_settled(struct vnc *v, void *arg)
{
	struct bv_wait	*w = arg;
	double		 now = mono_now();

	if (vnc_state(v) != VNC_UP || vnc_updates(v) == 0)
		return (0);
	if (w->first == 0)
		w->first = now;
	if (vnc_updates(v) != w->updates) {
		w->updates = vnc_updates(v);
		w->since = now;
	}
	return (now - w->since >= VNC_SETTLE_MS / 1000.0 ||
	    now - w->first >= VNC_SETTLE_MAX_MS / 1000.0);
}

static int
bv_up(struct vnc *v, void *arg)
{
	(void)arg;
	return (vnc_state(v) == VNC_UP);
}

static int
bv_never(struct vnc *v, void *arg)
{
	(void)v;
	(void)arg;
	return (0);
}

static struct vnc *
bv_connect(const char *name, const char *host, int port, const char *pw,
    int json, int (*done)(struct vnc *, void *), void *arg, int *status)
{
	struct vnc	*v;
	char		*cause;
	int		 try;

	if (host == NULL || port <= 0) {
		*status = batch_fail(json, EXIT_FAILED, "no-vnc", "%s: the VM "
		    "has no VNC display (not running, or vnc = no)", name);
		return (NULL);
	}
	vnc_log_init();
	for (try = 1;; try++) {
		v = vnc_new(host, port, pw);
		if (vnc_wait(v, done, arg, VNC_CONNECT_TIMEOUT +
		    VNC_GREET_TIMEOUT + VNC_FRAME_TIMEOUT, &cause) == 0)
			break;
		/*
		 * Lost after the handshake: QEMU can trip libvncclient
		 * while the guest changes the mode; try again.
		 */
		if (try < VNC_TRIES && vnc_state(v) == VNC_FAILED &&
		    strstr(cause, "connection lost") != NULL) {
			log_debug("%s: %s, again", name, cause);
			free(cause);
			vnc_free(v);
			if (arg != NULL)
				memset(arg, 0, sizeof (struct bv_wait));
			continue;
		}
		*status = batch_fail(json, EXIT_FAILED, vnc_busy(v) ? "busy" :
		    "vnc", "%s: %s", name, cause);
		free(cause);
		vnc_free(v);
		return (NULL);
	}
	return (v);
}

static json_t *
bv_screen_json(const char *name, const struct glyph_screen *s)
{
	json_t	*o, *rows, *unk;
	char	*t;
	int	 r, k;

	rows = json_array();
	unk = json_array();
	for (r = 0; r < s->rows; r++) {
		t = glyph_row_text(s, r);
		json_array_append_new(rows, json_string(t));
		free(t);
		for (k = 0; k < s->cols; k++)
			if (s->cells[(size_t)r * s->cols + k].cp == 0)
				json_array_append_new(unk, json_pack(
				    "{s:i,s:i}", "row", r, "column", k));
	}
	o = json_pack("{s:s,s:{s:i,s:i},s:{s:s,s:i,s:i,s:i,s:i,s:i,s:i},"
	    "s:b}", PF_NAME, name, "resolution", "width", s->width, "height",
	    s->height, "grid", "font", s->font, "cell_width", s->cell_w,
	    "cell_height", s->cell_h, "x", s->x0, "y", s->y0, "columns",
	    s->cols, "rows", s->rows, "text", s->text);
	json_object_set_new(o, "rows", rows);
	json_object_set_new(o, "cursor", s->cursor_row >= 0 ? json_pack(
	    "{s:i,s:i}", "row", s->cursor_row, "column", s->cursor_col) :
	    json_null());
	json_object_set_new(o, "cells_nonblank", json_integer(s->nonblank));
	json_object_set_new(o, "unrecognised", unk);
	return (o);
}

int
batch_vnc_screen(const char *name, const char *host, int port,
    const char *pw, const char *font, int json)
{
	struct bv_wait		 w;
	struct vnc		*v;
	struct glyph_set	*gs;
	struct glyph_font	*f;
	struct glyph_screen	 s;
	struct glyph_frame	 fr;
	json_t			*o;
	char			*t, *cause;
	int			 r, status = EXIT_OK;

	memset(&w, 0, sizeof w);
	gs = glyph_set_new();
	if (font != NULL) {
		if ((f = glyph_font_load(font, &cause)) == NULL) {
			status = batch_fail(json, EXIT_USAGE, "font", "%s",
			    cause);
			free(cause);
			glyph_set_free(gs);
			return (status);
		}
		glyph_set_add(gs, f);
	}
	if ((v = bv_connect(name, host, port, pw, json, bv_settled, &w,
	    &status)) == NULL) {
		glyph_set_free(gs);
		return (status);
	}
	fr.px = vnc_frame(v, &fr.width, &fr.height);
	memset(&s, 0, sizeof s);
	if (fr.px == NULL || glyph_read(gs, &fr, &s) == -1) {
		status = batch_fail(json, EXIT_FAILED, "vnc", "%s: no usable "
		    "frame (%dx%d)", name, fr.width, fr.height);
		goto out;
	}
	if (json) {
		o = bv_screen_json(name, &s);
		batch_print_json(o);
		json_decref(o);
	} else {
		for (r = 0; r < s.rows; r++) {
			t = glyph_row_text(&s, r);
			printf("%s\n", t);
			free(t);
		}
		if (!s.text)
			fprintf(stderr, "%s: %s: the screen is not text (%d of "
			    "%d cells not recognised)\n", TUI_NAME, name,
			    s.unknown, s.nonblank);
	}
	fflush(stdout);
out:
	glyph_screen_free(&s);
	glyph_set_free(gs);
	vnc_free(v);
	return (status);
}

int
batch_vnc_send_keys(const char *name, const char *host, int port,
    const char *pw, int json, int nwords, char **words)
{
	struct vnc_keyev	*ev = NULL;
	struct vnc		*v;
	json_t			*o;
	size_t			 n = 0, i;
	char			*cause;
	int			 k, status = EXIT_OK;

	for (k = 0; k < nwords; k++) {
		if (vnc_keys_parse(words[k], &ev, &n, &cause) == -1) {
			status = batch_fail(json, EXIT_USAGE, "usage", "%s",
			    cause);
			free(cause);
			free(ev);
			return (status);
		}
	}
	if ((v = bv_connect(name, host, port, pw, json, bv_up, NULL,
	    &status)) == NULL) {
		free(ev);
		return (status);
	}
	for (i = 0; i < n; i++) {
		if (vnc_key(v, ev[i].keysym, ev[i].down) == -1) {
			status = batch_fail(json, EXIT_FAILED, "vnc", "%s: %s",
			    name, vnc_error(v));
			break;
		}
	}
	/* Let the server read them before the connection goes. */
	if (status == EXIT_OK) {
		vnc_wait(v, bv_never, NULL, 200, &cause);
		free(cause);
		if (vnc_state(v) == VNC_FAILED)
			status = batch_fail(json, EXIT_FAILED, "vnc", "%s: %s",
			    name, vnc_error(v));
	}
	if (status == EXIT_OK && json) {
		o = json_pack("{s:s,s:I}", PF_NAME, name, "key_events",
		    (json_int_t)n);
		batch_print_json(o);
		json_decref(o);
	} else if (status == EXIT_OK)
		printf("%s: sent %zu key events\n", name, n);
	fflush(stdout);
	free(ev);
	vnc_free(v);
	return (status);
}
