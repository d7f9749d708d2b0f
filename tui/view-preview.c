/*
 * The VM screen view: the VM's display over VNC, as recognised text in
 * its colours, or as half-block pixels scaled to the window when the
 * screen is not text or the user asks.  Colours are exact on a terminal
 * with direct colour (terminfo RGB: TERM=xterm-direct, tmux-direct),
 * else the nearest of the 256-colour palette (cube or grey ramp).
 * Curses sends only cells that changed, and the frame is read again
 * only after an update, so an unchanged screen costs no terminal output.
 *
 * The connection runs in its own thread (vnc-worker.c), so a stalled,
 * resizing or vanishing server never holds up the terminal; when it is
 * lost the view connects again every PREVIEW_RETRY seconds while the VM
 * runs.
 *
 * Input mode sends every key to the VM until Ctrl-] (PREVIEW_LEAVE).
 */
#include "config.h"

#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rfb/keysym.h>

#include "compat.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"
#include "glyph.h"
#include "tui.h"
#include "vnc.h"

#define PREVIEW_RETRY	2	/* s between connection attempts */
#define PREVIEW_STALL	1	/* s without an answer: say so */

struct preview {
	char			*vm;
	char			*password;
	struct vnc_worker	*w;
	struct vnc_view		 view;		/* copy of the worker's */
	double			 retry_at;	/* connect again, or 0 */
	int			 stalled;	/* shown as not answering */
	struct glyph_set	*gs;
	struct glyph_screen	 gscr;
	int			 have;		/* gscr holds a frame */
	int			 pixel;		/* pixel view asked for */
	int			 input;		/* keys go to the VM */
};

/* ------------------------------------------------------------ render */

/* An RGB colour as one of the 8 curses colours, bright flagged. */
static int
rgb_colour8(uint32_t rgb, int *bright)
{
	int	r = rgb >> 16 & 0xff, g = rgb >> 8 & 0xff, b = rgb & 0xff;
	int	max = r > g ? (r > b ? r : b) : (g > b ? g : b);
	int	c = 0, cut = max / 2;

	if (bright != NULL)
		*bright = max > 0xc0 || (max > 0x60 && r > cut && g > cut &&
		    b > cut && max > 0xa0);
	if (max < 0x40)
		return (COLOR_BLACK);
	if (r > cut)
		c |= COLOR_RED;
	if (g > cut)
		c |= COLOR_GREEN;
	if (b > cut)
		c |= COLOR_BLUE;
	return (c);
}

/* The terminal takes 24-bit colours as colour numbers (terminfo RGB). */
static int
direct_colour(void)
{
	return (COLORS >= 0x1000000);
}

/*
 * An RGB colour as a curses colour: itself on a direct-colour terminal
 * (0-7 are the ANSI colours there, so near-black blues become 8),
 * else the nearer of the xterm 6x6x6 cube and the 24-step grey ramp.
 */
int
preview_colour(uint32_t rgb)
{
	static const int lvl[6] = { 0, 0x5f, 0x87, 0xaf, 0xd7, 0xff };
	int	r = rgb >> 16 & 0xff, g = rgb >> 8 & 0xff, b = rgb & 0xff;
	int	ci[3], k, gi, grey, dc, dg, d;

	if (direct_colour())
		return (rgb < 8 ? 8 : (int)rgb);
	if (COLORS < 256)
		return (rgb_colour8(rgb, NULL));
	for (k = 0; k < 3; k++) {
		d = k == 0 ? r : k == 1 ? g : b;
		ci[k] = d < 48 ? 0 : d < 115 ? 1 : (d - 35) / 40;
	}
	dc = (r - lvl[ci[0]]) * (r - lvl[ci[0]]) + (g - lvl[ci[1]]) *
	    (g - lvl[ci[1]]) + (b - lvl[ci[2]]) * (b - lvl[ci[2]]);
	gi = ((r + g + b) / 3 - 3) / 10;
	gi = gi < 0 ? 0 : gi > 23 ? 23 : gi;
	grey = 8 + 10 * gi;
	dg = (r - grey) * (r - grey) + (g - grey) * (g - grey) + (b - grey) *
	    (b - grey);
	if (dg < dc)
		return (232 + gi);
	return (16 + 36 * ci[0] + 6 * ci[1] + ci[2]);
}

/* alloc_pair() found the table full during this drawing. */
static int	pairs_full;

static int
pair_for(int fg, int bg)
{
	int	p = alloc_pair(fg, bg);

	if (p < 0) {
		pairs_full = 1;
		return (0);
	}
	return (p);
}

/* One cell; pairs above SHRT_MAX (direct colour) go through opts. */
static void
cell_put(int y, int x, const wchar_t *wc, attr_t attr, int pair)
{
	cchar_t	cc;

#ifdef NCURSES_EXT_COLORS
	setcchar(&cc, wc, attr, pair > SHRT_MAX ? 0 : (short)pair, &pair);
#else
	setcchar(&cc, wc, attr, pair > SHRT_MAX ? 0 : (short)pair, NULL);
#endif
	mvadd_wch(y, x, &cc);
}

void
preview_render_text(const struct glyph_screen *g, int top, int height,
    int width, int colour)
{
	const struct glyph_cell	*c;
	wchar_t			 wc[2];
	attr_t			 attr;
	int			 r, k, fg, bg, bright, pair;

	for (r = 0; r < height; r++) {
		move(top + r, 0);
		clrtoeol();
		if (r >= g->rows)
			continue;
		for (k = 0; k < width && k < g->cols; k++) {
			c = &g->cells[(size_t)r * g->cols + k];
			wc[0] = c->cp == 0 ? GLYPH_UNKNOWN : c->cp == 0xa0 ?
			    ' ' : c->cp;
			wc[1] = L'\0';
			attr = c->cp == 0 ? A_DIM : A_NORMAL;
			pair = 0;
			if (colour && direct_colour())
				pair = pair_for(preview_colour(c->fg),
				    preview_colour(c->bg));
			else if (colour) {
				fg = rgb_colour8(c->fg, &bright);
				bg = rgb_colour8(c->bg, NULL);
				if (bright)
					attr |= A_BOLD;
				pair = pair_for(fg, bg == COLOR_BLACK ? -1 :
				    bg);
			} else if ((c->bg & 0xff) + (c->bg >> 8 & 0xff) >
			    (c->fg & 0xff) + (c->fg >> 8 & 0xff))
				attr |= A_REVERSE;
			if (g->cursor_row == r && g->cursor_col == k)
				attr |= A_REVERSE;
			cell_put(top + r, k, wc, attr, pair);
		}
	}
}

void
preview_render_pixels(const uint32_t *px, int w, int h, int top,
    int height, int width)
{
	const wchar_t	half[2] = { 0x2580, L'\0' };	/* upper half block */
	int		r, k, x, y0, y1;

	for (r = 0; r < height; r++) {
		y0 = (int)((long long)(2 * r) * h / (2 * height));
		y1 = (int)((long long)(2 * r + 1) * h / (2 * height));
		for (k = 0; k < width; k++) {
			x = (int)((long long)k * w / width);
			cell_put(top + r, k, half, A_NORMAL, pair_for(
			    preview_colour(px[(size_t)y0 * w + x]),
			    preview_colour(px[(size_t)y1 * w + x])));
		}
	}
}

/* ------------------------------------------------------------- view */

static void
preview_free(struct preview *p)
{
	if (p == NULL)
		return;
	vnc_worker_free(p->w);
	vnc_view_free(&p->view);
	glyph_set_free(p->gs);
	glyph_screen_free(&p->gscr);
	if (p->password != NULL)
		explicit_bzero(p->password, strlen(p->password));
	free(p->password);
	free(p->vm);
	free(p);
}

/* Connect (again) to the VM's display as the agent last reported it. */
static int
preview_connect(struct screen *s, struct preview *p)
{
	struct model_vm	*m;

	if ((m = model_find(&s->model, p->vm)) == NULL ||
	    !proto_state_live(m->info.state) || m->info.vnc_host == NULL ||
	    m->info.vnc_port <= 0)
		return (-1);
	vnc_worker_free(p->w);
	p->w = vnc_worker_new(m->info.vnc_host, m->info.vnc_port,
	    p->password);
	free(p->view.error);
	p->view.error = NULL;
	p->view.busy = 0;
	p->view.state = VNC_CONNECTING;
	p->view.step_since = 0;
	p->view.updates = 0;	/* the new worker counts from 0 */
	p->stalled = 0;
	p->retry_at = 0;
	return (0);
}

static enum vnc_state
preview_state(const struct screen *s)
{
	return (s->preview != NULL ? s->preview->view.state : VNC_FAILED);
}

void
preview_open(struct screen *s)
{
	struct model_vm	*m;
	const char	*name = screen_target(s), *env;
	struct preview	*p;
	struct glyph_font *f;
	char		*cause;

	if (name == NULL || (m = model_find(&s->model, name)) == NULL)
		return;
	if (!proto_state_live(m->info.state) || m->info.vnc_host == NULL ||
	    m->info.vnc_port <= 0) {
		screen_message(s, 1, "%s has no VNC display (not running, or "
		    "vnc = no)", name);
		return;
	}
	preview_free(s->preview);
	p = xcalloc(1, sizeof *p);
	p->vm = xstrdup(name);
	p->gs = glyph_set_new();
	if ((env = getenv("ANLASSER_FONT")) != NULL && *env != '\0') {
		if ((f = glyph_font_load(env, &cause)) != NULL)
			glyph_set_add(p->gs, f);
		else {
			screen_message(s, 1, "%s", cause);
			free(cause);
		}
	}
	vnc_log_init();
	p->password = batch_vnc_password(json_string_value(json_object_get(
	    m->extra, "config_file")));
	preview_connect(s, p);
	s->preview = p;
	screen_push(s, &view_preview);
}

void
preview_close(struct screen *s)
{
	preview_free(s->preview);
	s->preview = NULL;
	screen_pop(s);
}

void
preview_toggle(struct screen *s)
{
	if (s->preview != NULL)
		s->preview->pixel = !s->preview->pixel;
}

void
preview_input(struct screen *s)
{
	if (preview_state(s) != VNC_UP) {
		screen_message(s, 1, "not connected to the VM's screen");
		return;
	}
	s->preview->input = 1;
	screen_message(s, 0, "input mode: keys go to the VM, Ctrl-] leaves");
}

static void
preview_send(struct screen *s, const struct vnc_keyev *ev, size_t n)
{
	if (s->preview->w != NULL)
		vnc_worker_keys(s->preview->w, ev, n);
}

void
preview_cad(struct screen *s)
{
	struct vnc_keyev	*ev = NULL;
	size_t			 n = 0;
	char			*cause;

	if (preview_state(s) != VNC_UP)
		return;
	if (vnc_keys_parse("Ctrl-Alt-Del", &ev, &n, &cause) == 0) {
		preview_send(s, ev, n);
		screen_message(s, 0, "sent Ctrl-Alt-Del to %s",
		    s->preview->vm);
	} else
		free(cause);
	free(ev);
}

/* A curses key as key events. */
static int
preview_key_events(int key, struct vnc_keyev **ev, size_t *n)
{
	static const struct {
		int		key;
		const char	*name;
	} fn[] = {
		{ KEY_UP, "Up" }, { KEY_DOWN, "Down" }, { KEY_LEFT, "Left" },
		{ KEY_RIGHT, "Right" }, { KEY_HOME, "Home" },
		{ KEY_END, "End" }, { KEY_PPAGE, "PageUp" },
		{ KEY_NPAGE, "PageDown" }, { KEY_IC, "Insert" },
		{ KEY_DC, "Delete" }, { KEY_BTAB, "Shift-Tab" },
	};
	char		 buf[16], *cause = NULL;
	size_t		 i;
	int		 rc;

	if (key == KEYC_ENTER)
		snprintf(buf, sizeof buf, "Enter");
	else if (key == KEYC_BSPACE)
		snprintf(buf, sizeof buf, "Backspace");
	else if (key == KEYC_ESC)
		snprintf(buf, sizeof buf, "Esc");
	else if (key == KEYC_TAB)
		snprintf(buf, sizeof buf, "Tab");
	else if (key > 0 && key < 0x20)
		snprintf(buf, sizeof buf, "Ctrl-%c", key + 'a' - 1);
	else if (key >= 0x20 && key < 0x7f)
		snprintf(buf, sizeof buf, "%s%c", key == '\\' ? "\\" : "",
		    key);
	else if (key >= KEYC_FN(KEY_F(1)) && key <= KEYC_FN(KEY_F(12)))
		snprintf(buf, sizeof buf, "F%d", key - KEYC_FN(KEY_F(0)));
	else {
		for (i = 0; i < nitems(fn); i++)
			if (key == KEYC_FN(fn[i].key))
				break;
		if (i == nitems(fn))
			return (-1);
		snprintf(buf, sizeof buf, "%s", fn[i].name);
	}
	rc = vnc_keys_parse(buf, ev, n, &cause);
	free(cause);
	return (rc);
}

int
preview_key(struct screen *s, int key)
{
	struct vnc_keyev	*ev = NULL;
	size_t			 n = 0;

	if (s->preview == NULL || !s->preview->input ||
	    screen_top(s) != &view_preview)
		return (0);
	if (key == PREVIEW_LEAVE) {
		s->preview->input = 0;
		screen_message(s, 0, "input mode left");
		return (1);
	}
	if (preview_state(s) != VNC_UP) {
		s->preview->input = 0;
		return (0);
	}
	if (preview_key_events(key, &ev, &n) == 0)
		preview_send(s, ev, n);
	free(ev);
	return (1);
}

/* The poll loop: what to wait for (fd -1: nothing) and the timeout. */
int
preview_poll(struct screen *s, struct pollfd *pfd)
{
	struct preview	*p = s->preview;
	double		 now = mono_now(), at = 0;

	pfd->fd = -1;
	pfd->events = 0;
	if (p == NULL)
		return (-1);
	if (p->w != NULL) {
		pfd->fd = vnc_worker_fd(p->w);
		pfd->events = POLLIN;
	}
	if (p->retry_at != 0)
		at = p->retry_at;
	else if (p->view.state == VNC_UP && p->view.step_since != 0 &&
	    !p->stalled)
		at = p->view.step_since + PREVIEW_STALL;
	if (at == 0)
		return (-1);
	return (at > now ? (int)((at - now) * 1000) + 1 : 0);
}

void
preview_io(struct screen *s)
{
	struct preview		*p = s->preview;
	struct glyph_frame	 fr;
	enum vnc_state		 before;
	double			 now = mono_now();
	int			 stalled;

	if (p == NULL)
		return;
	if (p->retry_at != 0) {
		if (now >= p->retry_at && preview_connect(s, p) == -1)
			p->retry_at = now + PREVIEW_RETRY;
		s->dirty = 1;
		return;
	}
	if (p->w == NULL)
		return;
	before = p->view.state;
	if (vnc_worker_sync(p->w, &p->view)) {
		fr.px = p->view.px;
		fr.width = p->view.width;
		fr.height = p->view.height;
		p->have = glyph_read(p->gs, &fr, &p->gscr) == 0;
		s->dirty = 1;
	}
	stalled = p->view.state == VNC_UP && p->view.step_since != 0 &&
	    now - p->view.step_since >= PREVIEW_STALL;
	if (stalled != p->stalled) {
		p->stalled = stalled;
		s->dirty = 1;
	}
	if (p->view.state != before)
		s->dirty = 1;
	if (p->view.state == VNC_FAILED && before != VNC_FAILED) {
		/* Its thread has ended; nothing more will come from it. */
		vnc_worker_free(p->w);
		p->w = NULL;
		p->input = 0;
		p->stalled = 0;
		/* A refused password stays refused. */
		if (!p->view.auth)
			p->retry_at = now + PREVIEW_RETRY;
	}
}

static void
preview_render(struct preview *p, int textview, int height, int colour)
{
	if (textview)
		preview_render_text(&p->gscr, 1, height, COLS, colour);
	else
		preview_render_pixels(p->view.px, p->view.width,
		    p->view.height, 1, height, COLS);
}

void
view_preview_draw(struct screen *s)
{
	struct preview	*p = s->preview;
	const uint32_t	*px;
	char		 title[256];
	const char	*note;
	int		 w, h, height = LINES - 3, textview;

	if (p == NULL)
		return;
	px = p->view.px;
	w = p->view.width;
	h = p->view.height;
	textview = px != NULL && p->have && p->gscr.text && !p->pixel;
	note = p->stalled ? " - not answering" : p->input ? " INPUT" : "";
	if (textview)
		snprintf(title, sizeof title, "screen of %s (%dx%d, %s %dx%d)%s",
		    p->vm, w, h, p->gscr.font, p->gscr.cols, p->gscr.rows,
		    note);
	else if (px != NULL)
		snprintf(title, sizeof title, "screen of %s (%dx%d, pixels)%s",
		    p->vm, w, h, note);
	else
		snprintf(title, sizeof title, "screen of %s%s", p->vm, note);
	draw_title(s, title);
	if (p->retry_at != 0 || p->view.state == VNC_FAILED) {
		draw_text(2, 2, COLS - 4, p->view.error != NULL ?
		    p->view.error : "VNC failed", s->colour ?
		    COLOR_PAIR(COLOUR_FAILED) : A_BOLD);
		if (p->retry_at != 0) {
			snprintf(title, sizeof title, "connecting again every "
			    "%d s while the VM runs; q goes back",
			    PREVIEW_RETRY);
			draw_text(3, 2, COLS - 4, title, 0);
		}
		return;
	}
	if (p->view.state != VNC_UP || px == NULL) {
		draw_text(2, 2, COLS - 4, "connecting to the VM's screen...",
		    0);
		return;
	}
	if (textview || s->colour) {
		pairs_full = 0;
		preview_render(p, textview, height, s->colour);
		/*
		 * Pairs are never freed one by one, and in direct colour every
		 * colour combination of every frame takes one: when the table
		 * is full, start it afresh and repaint the whole terminal.
		 */
		if (pairs_full) {
			reset_color_pairs();
			draw_init_pairs();
			clearok(curscr, TRUE);
			draw_title(s, title);
			preview_render(p, textview, height, s->colour);
		}
	} else
		draw_text(2, 2, COLS - 4, "the screen is not text (pixels "
		    "need colours)", 0);
}

void
preview_end(struct screen *s)
{
	preview_free(s->preview);
	s->preview = NULL;
}
