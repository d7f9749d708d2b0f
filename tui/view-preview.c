/*
 * The VM screen view: the VM's display over VNC, as recognised text in
 * its colours, or as half-block pixels (256 colours) scaled to the
 * window when the screen is not text or the user asks.  Curses sends
 * only cells that changed, and the frame is read again only after an
 * update, so an unchanged screen costs no terminal output.
 *
 * Input mode sends every key to the VM until Ctrl-] (PREVIEW_LEAVE).
 */
#include "config.h"

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rfb/keysym.h>

#include "compat.h"
#include "log.h"
#include "xmalloc.h"
#include "glyph.h"
#include "tui.h"
#include "vnc.h"

struct preview {
	char			*vm;
	struct vnc		*vnc;
	struct glyph_set	*gs;
	struct glyph_screen	 gscr;
	int			 have;		/* gscr holds a frame */
	unsigned long		 seen;		/* vnc_updates() read */
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

/* An RGB colour in the xterm 256-colour cube. */
static int
rgb_colour256(uint32_t rgb)
{
	int	r = rgb >> 16 & 0xff, g = rgb >> 8 & 0xff, b = rgb & 0xff;

	if (COLORS < 256)
		return (rgb_colour8(rgb, NULL));
	return (16 + 36 * ((r * 5 + 127) / 255) + 6 * ((g * 5 + 127) / 255) +
	    (b * 5 + 127) / 255);
}

static int
pair_for(int fg, int bg)
{
	int	p = alloc_pair(fg, bg);

	return (p < 0 ? 0 : p);
}

void
preview_render_text(const struct glyph_screen *g, int top, int height,
    int width, int colour)
{
	const struct glyph_cell	*c;
	cchar_t			 cc;
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
			if (colour) {
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
			setcchar(&cc, wc, attr, pair, NULL);
			mvadd_wch(top + r, k, &cc);
		}
	}
}

void
preview_render_pixels(const uint32_t *px, int w, int h, int top,
    int height, int width)
{
	cchar_t		cc;
	const wchar_t	half[2] = { 0x2580, L'\0' };	/* upper half block */
	int		r, k, x, y0, y1;

	for (r = 0; r < height; r++) {
		y0 = (int)((long long)(2 * r) * h / (2 * height));
		y1 = (int)((long long)(2 * r + 1) * h / (2 * height));
		for (k = 0; k < width; k++) {
			x = (int)((long long)k * w / width);
			setcchar(&cc, half, A_NORMAL, pair_for(rgb_colour256(
			    px[(size_t)y0 * w + x]), rgb_colour256(
			    px[(size_t)y1 * w + x])), NULL);
			mvadd_wch(top + r, k, &cc);
		}
	}
}

/* ------------------------------------------------------------- view */

static void
preview_free(struct preview *p)
{
	if (p == NULL)
		return;
	vnc_free(p->vnc);
	glyph_set_free(p->gs);
	glyph_screen_free(&p->gscr);
	free(p->vm);
	free(p);
}

void
preview_open(struct screen *s)
{
	struct model_vm	*m;
	const char	*name = screen_target(s), *env;
	struct preview	*p;
	struct glyph_font *f;
	char		*pw, *cause;

	if (name == NULL || (m = model_find(&s->model, name)) == NULL)
		return;
	if (m->info.vnc_host == NULL || m->info.vnc_port <= 0) {
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
	pw = batch_vnc_password(json_string_value(json_object_get(m->extra,
	    "config_file")));
	p->vnc = vnc_new(m->info.vnc_host, m->info.vnc_port, pw);
	free(pw);
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
	if (s->preview == NULL || vnc_state(s->preview->vnc) != VNC_UP) {
		screen_message(s, 1, "not connected to the VM's screen");
		return;
	}
	s->preview->input = 1;
	screen_message(s, 0, "input mode: keys go to the VM, Ctrl-] leaves");
}

static void
preview_send(struct screen *s, const struct vnc_keyev *ev, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (vnc_key(s->preview->vnc, ev[i].keysym, ev[i].down) == -1)
			break;
}

void
preview_cad(struct screen *s)
{
	struct vnc_keyev	*ev = NULL;
	size_t			 n = 0;
	char			*cause;

	if (s->preview == NULL || vnc_state(s->preview->vnc) != VNC_UP)
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
	if (vnc_state(s->preview->vnc) != VNC_UP) {
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
	struct vnc	*v;

	pfd->fd = -1;
	pfd->events = 0;
	if (s->preview == NULL)
		return (-1);
	v = s->preview->vnc;
	if (vnc_state(v) == VNC_FAILED)
		return (-1);
	pfd->fd = vnc_fd(v);
	pfd->events = vnc_events(v);
	return (vnc_pending(v) ? 0 : vnc_timeout(v));
}

void
preview_io(struct screen *s)
{
	struct preview		*p = s->preview;
	struct glyph_frame	 fr;
	enum vnc_state		 before;

	if (p == NULL || vnc_state(p->vnc) == VNC_FAILED)
		return;
	before = vnc_state(p->vnc);
	vnc_step(p->vnc);
	if (vnc_state(p->vnc) != before)
		s->dirty = 1;
	if (vnc_state(p->vnc) == VNC_FAILED) {
		p->input = 0;
		return;
	}
	if (vnc_updates(p->vnc) == p->seen)
		return;
	p->seen = vnc_updates(p->vnc);
	fr.px = vnc_frame(p->vnc, &fr.width, &fr.height);
	if (fr.px != NULL)
		p->have = glyph_read(p->gs, &fr, &p->gscr) == 0;
	s->dirty = 1;
}

void
view_preview_draw(struct screen *s)
{
	struct preview	*p = s->preview;
	const uint32_t	*px;
	char		 title[256];
	int		 w, h, height = LINES - 3;

	if (p == NULL)
		return;
	px = vnc_frame(p->vnc, &w, &h);
	if (px != NULL && p->have && p->gscr.text && !p->pixel)
		snprintf(title, sizeof title, "screen of %s (%dx%d, %s %dx%d)%s",
		    p->vm, w, h, p->gscr.font, p->gscr.cols, p->gscr.rows,
		    p->input ? " INPUT" : "");
	else
		snprintf(title, sizeof title, "screen of %s (%dx%d, pixels)%s",
		    p->vm, w, h, p->input ? " INPUT" : "");
	draw_title(s, title);
	switch (vnc_state(p->vnc)) {
	case VNC_CONNECTING:
	case VNC_GREETING:
		draw_text(2, 2, COLS - 4, "connecting to the VM's screen...",
		    0);
		return;
	case VNC_FAILED:
		draw_text(2, 2, COLS - 4, vnc_error(p->vnc) != NULL ?
		    vnc_error(p->vnc) : "VNC failed", s->colour ?
		    COLOR_PAIR(COLOUR_FAILED) : A_BOLD);
		return;
	default:
		break;
	}
	if (px == NULL)
		return;
	if (p->have && p->gscr.text && !p->pixel)
		preview_render_text(&p->gscr, 1, height, COLS, s->colour);
	else if (s->colour)
		preview_render_pixels(px, w, h, 1, height, COLS);
	else
		draw_text(2, 2, COLS - 4, "the screen is not text (pixels "
		    "need colours)", 0);
}

void
preview_end(struct screen *s)
{
	preview_free(s->preview);
	s->preview = NULL;
}
