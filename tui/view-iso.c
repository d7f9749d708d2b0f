/*
 * The ISO chooser: the images the agent offers (list-isos), narrowed by
 * what is typed, with a "boot from it next time" switch.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xmalloc.h"
#include "tui.h"

static const char *
iso_path(const json_t *e)
{
	const char	*p;

	p = json_is_string(e) ? json_string_value(e) :
	    json_string_value(json_object_get(e, PF_PATH));
	return (p != NULL ? p : "");
}

static int
iso_match(struct screen *s, const json_t *e)
{
	return (s->iso_filter[0] == '\0' ||
	    strcasestr(iso_path(e), s->iso_filter) != NULL);
}

/* The i-th image that matches the filter, or NULL. */
static const json_t *
iso_shown(struct screen *s, size_t n)
{
	const json_t	*e;
	size_t		 i;

	json_array_foreach(s->isos, i, e) {
		if (iso_match(s, e) && n-- == 0)
			return (e);
	}
	return (NULL);
}

static size_t
iso_count(struct screen *s)
{
	const json_t	*e;
	size_t		 i, n = 0;

	json_array_foreach(s->isos, i, e) {
		if (iso_match(s, e))
			n++;
	}
	return (n);
}

void
iso_open(struct screen *s, const char *name, json_t *isos)
{
	json_decref(s->isos);
	free(s->iso_vm);
	s->isos = json_incref(isos);
	s->iso_vm = xstrdup(name);
	s->iso_filter[0] = '\0';
	s->iso_sel = s->iso_top = 0;
	s->iso_boot = 0;
	screen_push(s, &view_iso);
}

static void
iso_close(struct screen *s)
{
	json_decref(s->isos);
	s->isos = NULL;
	free(s->iso_vm);
	s->iso_vm = NULL;
	screen_pop(s);
}

void
iso_cancel(struct screen *s)
{
	iso_close(s);
}

void
iso_text(struct screen *s, int key)
{
	input_add(s->iso_filter, sizeof s->iso_filter, key);
	s->iso_sel = s->iso_top = 0;
}

void
iso_backspace(struct screen *s)
{
	input_del(s->iso_filter);
	s->iso_sel = s->iso_top = 0;
}

void
iso_up(struct screen *s)
{
	if (s->iso_sel > 0)
		s->iso_sel--;
}

void
iso_down(struct screen *s)
{
	if (s->iso_sel + 1 < iso_count(s))
		s->iso_sel++;
}

void
iso_toggle_boot(struct screen *s)
{
	s->iso_boot = !s->iso_boot;
}

void
iso_choose(struct screen *s)
{
	const json_t	*e = iso_shown(s, s->iso_sel);
	json_t		*extra;
	char		*name;

	if (e == NULL) {
		screen_message(s, 1, "no ISO image matches \"%s\"",
		    s->iso_filter);
		return;
	}
	extra = json_pack("{s:s}", PF_PATH, iso_path(e));
	if (s->iso_boot)
		json_object_set_new(extra, PF_BOOT, json_true());
	name = xstrdup(s->iso_vm);
	iso_close(s);
	action_vm(s, CMD_ATTACH_ISO, name, extra);
	free(name);
}

static void
iso_size(const json_t *e, char *buf, size_t len)
{
	json_int_t	n = json_integer_value(json_object_get(e, PF_SIZE));

	if (n >= 1024LL * 1024 * 1024)
		snprintf(buf, len, "%.1fG", n / (1024.0 * 1024 * 1024));
	else if (n > 0)
		snprintf(buf, len, "%lldM", (long long)(n / (1024 * 1024)));
	else
		buf[0] = '\0';
}

void
view_iso_draw(struct screen *s)
{
	const json_t	*e;
	char		 buf[SCREEN_INPUT_MAX + 64];
	int		 h, w, y, x, rows, i, attr;
	size_t		 n = iso_count(s);

	w = COLS - 4 < 76 ? COLS - 4 : 76;
	h = LINES - 4;
	if ((size_t)h > n + 6)
		h = n + 6 < 9 ? 9 : n + 6;
	y = 1 + (LINES - 3 - h) / 2;
	x = (COLS - w) / 2;
	snprintf(buf, sizeof buf, "ISO image for %s", s->iso_vm);
	draw_box(y, x, h, w, buf);

	snprintf(buf, sizeof buf, "Filter: %s", s->iso_filter);
	i = draw_text(y + 1, x + 2, w - 4, buf, A_NORMAL);
	mvaddch(y + 1, x + 2 + i, ' ' | A_REVERSE);

	rows = h - 5;
	if (s->iso_sel < s->iso_top)
		s->iso_top = s->iso_sel;
	if (rows > 0 && s->iso_sel >= s->iso_top + rows)
		s->iso_top = s->iso_sel - rows + 1;
	for (i = 0; i < rows; i++) {
		if ((e = iso_shown(s, s->iso_top + i)) == NULL)
			break;
		attr = (s->iso_top + i == s->iso_sel) ? A_REVERSE : A_NORMAL;
		iso_size(e, buf, sizeof buf);
		move(y + 2 + i, x + 1);
		attron(attr);
		hline(' ', w - 2);
		attroff(attr);
		draw_text(y + 2 + i, x + 2, w - 12, iso_path(e), attr);
		draw_text_right(y + 2 + i, x + w - 10, 8, buf, attr);
	}
	if (n == 0)
		draw_text(y + 2, x + 2, w - 4, "(no image matches)", A_DIM);
	snprintf(buf, sizeof buf, "[%c] boot from it next time (Tab)",
	    s->iso_boot ? 'x' : ' ');
	draw_text(y + h - 2, x + 2, w - 4, buf, s->iso_boot ? A_BOLD :
	    A_NORMAL);
}
