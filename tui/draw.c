/*
 * Drawing helpers: colours (or none: NO_COLOR, monochrome terminals),
 * text clipped to a number of columns (UTF-8 where the locale has it,
 * '?' for what cannot be shown), line drawing through ACS, the title,
 * message and footer lines.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "compat.h"
#include "util.h"
#include "tui.h"

void
draw_init(struct screen *s)
{
	const char	*nc = getenv("NO_COLOR");

	s->colour = has_colors() && (nc == NULL || *nc == '\0');
	if (!s->colour)
		return;
	start_color();
	use_default_colors();
	draw_init_pairs();
}

/* The fixed colour pairs (again after reset_color_pairs()). */
void
draw_init_pairs(void)
{
	init_pair(COLOUR_RUNNING, COLOR_GREEN, -1);
	init_pair(COLOUR_BUSY, COLOR_YELLOW, -1);
	init_pair(COLOUR_FAILED, COLOR_RED, -1);
	init_pair(COLOUR_TITLE, COLOR_WHITE, COLOR_BLUE);
	init_pair(COLOUR_ERROR, COLOR_WHITE, COLOR_RED);
	init_pair(COLOUR_DIM, COLOR_BLUE, -1);
}

/* How a state looks: colour, or (without colour) bold for the unusual. */
int
draw_state_attr(struct screen *s, enum vm_state state)
{
	switch (state) {
	case VM_RUNNING:
		return (s->colour ? COLOR_PAIR(COLOUR_RUNNING) | A_BOLD :
		    A_BOLD);
	case VM_STARTING:
	case VM_STOPPING:
	case VM_REBOOTING:
		return (s->colour ? COLOR_PAIR(COLOUR_BUSY) : A_NORMAL);
	case VM_FAILED:
		return (s->colour ? COLOR_PAIR(COLOUR_FAILED) | A_BOLD :
		    A_BOLD | A_UNDERLINE);
	default:
		return (A_NORMAL);
	}
}

/*
 * Decode the next character of s: its width in columns (0 for the end),
 * the wide character in *wc ('?' when it cannot be shown) and the bytes
 * used in *len.
 */
static int
draw_next(const char *s, wchar_t *wc, size_t *len)
{
	mbstate_t	st;
	size_t		n;
	int		w;

	if (*s == '\0')
		return (0);
	memset(&st, 0, sizeof st);
	n = mbrtowc(wc, s, MB_CUR_MAX, &st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		*wc = L'?';
		*len = 1;
		return (1);
	}
	*len = n;
	w = wcwidth(*wc);
	if (w <= 0) {
		*wc = L'?';
		w = 1;
	}
	return (w);
}

int
draw_width(const char *s)
{
	wchar_t	wc;
	size_t	len;
	int	w, total = 0;

	while ((w = draw_next(s, &wc, &len)) > 0) {
		total += w;
		s += len;
	}
	return (total);
}

/*
 * Draw s at (y, x) in exactly width columns (padded with blanks, cut
 * with a '~' when too long).  Returns the columns the text used.
 */
int
draw_text(int y, int x, int width, const char *s, int attr)
{
	wchar_t	wc;
	size_t	len;
	attr_t	old;
	short	pair;
	int	w, used = 0, total;

	if (width <= 0)
		return (0);
	total = draw_width(s);
	attr_get(&old, &pair, NULL);
	attron(attr);
	move(y, x);
	while ((w = draw_next(s, &wc, &len)) > 0) {
		if (used + w > width ||
		    (total > width && used + w >= width))
			break;
		addnwstr(&wc, 1);
		used += w;
		s += len;
	}
	if (total > width && used < width) {
		addch('~');
		used++;
	}
	for (w = used; w < width; w++)
		addch(' ');
	attr_set(old, pair, NULL);
	return (used);
}

/* Like draw_text, right-aligned. */
int
draw_text_right(int y, int x, int width, const char *s, int attr)
{
	int	w = draw_width(s);

	if (w >= width)
		return (draw_text(y, x, width, s, attr));
	move(y, x);
	hline(' ', width - w);
	return (draw_text(y, x + width - w, w, s, attr));
}

void
draw_hline(int y, int x, int width)
{
	if (width > 0)
		mvhline(y, x, ACS_HLINE, width);
}

/* A box with a title in its top border; the inside is cleared. */
void
draw_box(int y, int x, int h, int w, const char *title)
{
	int	i;

	for (i = 0; i < h; i++)
		mvhline(y + i, x, ' ', w);
	mvaddch(y, x, ACS_ULCORNER);
	mvhline(y, x + 1, ACS_HLINE, w - 2);
	mvaddch(y, x + w - 1, ACS_URCORNER);
	for (i = 1; i < h - 1; i++) {
		mvaddch(y + i, x, ACS_VLINE);
		mvaddch(y + i, x + w - 1, ACS_VLINE);
	}
	mvaddch(y + h - 1, x, ACS_LLCORNER);
	mvhline(y + h - 1, x + 1, ACS_HLINE, w - 2);
	mvaddch(y + h - 1, x + w - 1, ACS_LRCORNER);
	if (title != NULL && w > 6) {
		mvaddch(y, x + 2, ' ');
		draw_text(y, x + 3, draw_width(title) < w - 6 ?
		    draw_width(title) : w - 6, title, A_BOLD);
		addch(' ');
	}
}

/* The top line: what this is, counts, and the connection. */
void
draw_title(struct screen *s, const char *what)
{
	char	 left[256], right[256];
	int	 attr, rw;

	attr = s->colour ? COLOR_PAIR(COLOUR_TITLE) | A_BOLD : A_REVERSE;
	snprintf(left, sizeof left, " Anlasser: %s", what);
	if (s->client == NULL || !s->up)
		snprintf(right, sizeof right, "not connected, retrying ");
	else
		snprintf(right, sizeof right, "%zu VM%s, %zu running ",
		    s->model.nvms, s->model.nvms == 1 ? "" : "s",
		    model_count(&s->model, VM_RUNNING));
	rw = draw_width(right);
	if (rw > COLS / 2)
		rw = COLS / 2;
	draw_text(0, 0, COLS - rw, left, attr);
	draw_text_right(0, COLS - rw, rw, right, attr);
}

/* The line above the footer: the last message, if any. */
void
draw_message(struct screen *s)
{
	int	attr;

	if (s->msg == NULL) {
		move(LINES - 2, 0);
		clrtoeol();
		return;
	}
	if (s->msg_error)
		attr = s->colour ? COLOR_PAIR(COLOUR_ERROR) | A_BOLD : A_BOLD;
	else
		attr = A_NORMAL;
	draw_text(LINES - 2, 0, COLS, s->msg, attr);
}

static int
draw_footer_entry(int x, const struct key_binding *k, int attr)
{
	int	lw = draw_width(k->label), ww = draw_width(k->footer);

	draw_text(LINES - 1, x, lw, k->label, A_BOLD);
	draw_text(LINES - 1, x + lw, ww + 2, "", attr);
	draw_text(LINES - 1, x + lw + 1, ww, k->footer, attr);
	return (lw + ww + 2);
}

/* The bottom line: the top view's keys that have a footer word. */
void
draw_footer(struct screen *s)
{
	const struct view		*v = screen_top(s);
	const struct key_binding	*k;
	size_t				 i;
	int				 x = 0, pinned = 0, w, attr;

	attr = s->colour ? COLOR_PAIR(COLOUR_TITLE) : A_REVERSE;
	move(LINES - 1, 0);
	clrtoeol();
	for (i = 0; i < v->nkeys; i++) {
		k = &v->keys[i];
		if (k->footer != NULL && (k->flags & KEY_F_PIN))
			pinned += draw_width(k->label) +
			    draw_width(k->footer) + 2;
	}
	for (i = 0; i < v->nkeys; i++) {
		k = &v->keys[i];
		if (k->footer == NULL || (k->flags & KEY_F_PIN))
			continue;
		w = draw_width(k->label) + draw_width(k->footer) + 2;
		if (x + w + pinned > COLS)
			continue;
		x += draw_footer_entry(x, k, attr);
	}
	if (pinned > COLS)
		return;
	x = COLS - pinned;
	for (i = 0; i < v->nkeys; i++) {
		k = &v->keys[i];
		if (k->footer != NULL && (k->flags & KEY_F_PIN))
			x += draw_footer_entry(x, k, attr);
	}
}
